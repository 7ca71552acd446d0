"""The public surface is exactly the sorted ``__all__`` and every name in it resolves."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler


def isort_order(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, has no duplicates, and each name exists on the package."""
    names = reconciler.__all__
    assert names == sorted(names, key=isort_order) and len(set(names)) == len(names)
    for name in names:
        assert getattr(reconciler, name) is not None, name


def test_unknown_names_raise_attribute_error() -> None:
    """The lazy loader only knows the public names."""
    try:
        reconciler.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("reconciler.no_such_name did not raise")


def test_the_library_never_imports_the_testing_kit() -> None:
    """Modules outside reconciler/testing do not import reconciler.testing."""
    root = Path(reconciler.__file__).parent
    for path in root.rglob("*.py"):
        if "testing" in path.relative_to(root).parts or path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("reconciler.testing"), f"{path} imports the kit"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("reconciler.testing"), path
