"""Tests of reconciler.kube's package surface."""

from __future__ import annotations

import reconciler.kube


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, and every name in it is importable from the package."""
    names = reconciler.kube.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(reconciler.kube, name) is not None, name


def test_errors_join_the_library_root() -> None:
    """Every kube error derives from ReconcilerError, so one except clause catches them all."""
    from reconciler.errors import ReconcilerError

    for name in ("ApiError", "ApiUnavailableError", "InvalidRequestError", "KubeError",
                 "UnknownKindError"):
        assert issubclass(getattr(reconciler.kube, name), ReconcilerError), name
