"""Every error derives from the root and from the builtin a caller would expect."""

from __future__ import annotations

import inspect

from reconciler import errors


def test_every_error_derives_from_the_root() -> None:
    """One except clause catches anything the library raises."""
    classes = [
        cls for _, cls in inspect.getmembers(errors, inspect.isclass)
        if cls.__module__ == errors.__name__
    ]
    assert len(classes) >= 7
    assert all(issubclass(cls, errors.ReconcilerError) for cls in classes)


def test_errors_are_also_the_natural_builtins() -> None:
    """Bad input is a ValueError and an unreachable server a ConnectionError."""
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.InvalidDelayError, ValueError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.RedisUnavailableError, ConnectionError)


def test_the_docstring_draws_every_error() -> None:
    """The tree in the module docstring names every error class."""
    doc = errors.__doc__ or ""
    for name, cls in inspect.getmembers(errors, inspect.isclass):
        if cls.__module__ == errors.__name__:
            assert name in doc, f"{name} is missing from the error tree in errors.py"
