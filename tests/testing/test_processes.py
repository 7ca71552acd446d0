"""The Procfile runner: parsing, starting, killing one child, stopping all."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.testing.processes import ProcessGroup, read_procfile
from reconciler.testing.stack import REPO_ROOT
from reconciler.testing.waiting import wait_until


def test_the_repository_procfile_has_the_three_processes() -> None:
    """watcher, worker and flower are declared, in that order."""
    assert list(read_procfile(REPO_ROOT / "Procfile")) == ["watcher", "worker", "flower"]


def test_a_malformed_line_is_named(tmp_path: Path) -> None:
    """A line that is not 'name: command' fails naming the file and line."""
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: serve\n# a comment\nthis is not an entry\n")
    with pytest.raises(errors.ConfigError, match=r"Procfile:3"):
        read_procfile(procfile)


def test_children_start_die_and_stop(tmp_path: Path) -> None:
    """Each start is a new child with its own log; kill ends one; stop ends the rest."""
    sleeper = f"{sys.executable} -c 'import time; print(\"up\", flush=True); time.sleep(60)'"
    group = ProcessGroup({"sleeper": sleeper}, env=dict(os.environ), log_dir=tmp_path,
                         cwd=tmp_path)
    with group:
        first, second = group.start("sleeper", count=2)
        assert (first.name, second.name) == ("sleeper.1", "sleeper.2")
        wait_until(lambda: "up" in first.tail() and "up" in second.tail(), timeout=10,
                   what="both children to print")
        group.kill(first, signal.SIGKILL)
        wait_until(lambda: group.alive("sleeper") == [second], timeout=10,
                   what="only the second child alive")
    assert group.alive() == []
    with pytest.raises(errors.ConfigError, match="no 'web' entry"):
        group.start("web")
