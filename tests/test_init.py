"""The public surface is exactly the sorted ``__all__`` and every name in it resolves."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, has no duplicates, and each name exists on the package."""
    names = reconciler.__all__
    assert names == sorted(names) and len(set(names)) == len(names)
    for name in names:
        assert hasattr(reconciler, name), name


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
