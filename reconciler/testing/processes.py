"""Run the Procfile's processes as real child processes: start, watch, kill one, stop all.

The demo and the end-to-end tests run exactly the commands of the repository's ``Procfile``
(``name: command`` lines), each as many times as asked, with an environment that points them
at the embedded API server and Redis. Output goes to one log file per process, which tests
print when something fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from reconciler import errors

_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


def read_procfile(path: Path) -> dict[str, str]:
    """The ``name: command`` entries of a Procfile, in order."""
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise errors.ConfigError(f"{path}:{number}: not a 'name: command' line: {line!r}")
        entries[match.group(1)] = match.group(2)
    return entries


@dataclass
class Child:
    """One running process of a Procfile entry."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        """The last lines of its output."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class ProcessGroup:
    """Children started from Procfile entries; stopping the group stops them all."""

    procfile: dict[str, str]
    env: dict[str, str]
    log_dir: Path
    cwd: Path
    children: list[Child] = field(default_factory=list)

    def start(self, entry: str, *, count: int = 1) -> list[Child]:
        """Start ``count`` processes of Procfile entry ``entry``."""
        if entry not in self.procfile:
            raise errors.ConfigError(f"the Procfile has no {entry!r} entry: {list(self.procfile)}")
        started = []
        for _ in range(count):
            index = sum(1 for c in self.children if c.name.startswith(f"{entry}."))
            name = f"{entry}.{index + 1}"
            command = self.procfile[entry].replace("$PYTHON", shlex.quote(sys.executable))
            log = self.log_dir / f"{name}.log"
            env = {**self.env, "RECONCILER_PROCESS": name}
            with log.open("wb") as out:
                process = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"], cwd=self.cwd, env=env,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            child = Child(name, process, log)
            self.children.append(child)
            started.append(child)
        return started

    def alive(self, entry: str | None = None) -> list[Child]:
        """Children still running (of one entry, or all)."""
        return [c for c in self.children if c.process.poll() is None
                and (entry is None or c.name.startswith(f"{entry}."))]

    def kill(self, child: Child, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to a child's whole process group (a Celery node and its pool)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, sig)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM every child, then SIGKILL what is still running after ``timeout``."""
        for child in self.alive():
            self.kill(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(child, signal.SIGKILL)
                child.process.wait()

    def logs(self, lines: int = 40) -> str:
        """Every child's last lines, for failure messages."""
        return "\n".join(f"--- {c.name} (exit {c.process.poll()}) ---\n{c.tail(lines)}"
                         for c in self.children)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
