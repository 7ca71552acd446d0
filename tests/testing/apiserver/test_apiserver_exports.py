"""The public surface of the embedded API server package."""

from __future__ import annotations

from reconciler.testing import apiserver


def test_all_is_sorted_and_exported() -> None:
    """__all__ is sorted and every name in it is importable from the package."""
    assert apiserver.__all__ == sorted(apiserver.__all__)
    for name in apiserver.__all__:
        assert getattr(apiserver, name) is not None
    assert {"ApiServer", "ApiError", "Faults"} <= set(apiserver.__all__)
