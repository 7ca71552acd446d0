"""``reconciler demo --objects 500`` converges on one machine and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.testing.redisserver import free_port
from reconciler.testing.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_with_500_objects_exits_0_with_a_summary(redis_url: str) -> None:
    """The README's run command creates, changes and deletes 500 objects and converges."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "demo", "--objects", "500"],
        check=False, capture_output=True, text=True, timeout=600,
        env={**os.environ, "REDIS_URL": redis_url},
    )
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    assert "objects converged: 450/450 live, 50/50 deleted and gone" in done.stdout
    assert "result:            OK" in done.stdout
    assert "change-to-ready latency: p50" in done.stdout


def test_bad_arguments_are_one_clear_line() -> None:
    """--objects 0 is refused with exit code 2 and a message naming the option."""
    done = subprocess.run([sys.executable, "-m", "reconciler", "demo", "--objects", "0"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--objects must be >= 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_starts_an_embedded_redis_when_none_answers() -> None:
    """With nothing at REDIS_URL the demo runs on an embedded server, as on a fresh machine."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "demo", "--objects", "40", "--workers", "1"],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "REDIS_URL": dead},
    )
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    assert "result:            OK" in done.stdout
    redis_line = next(line for line in done.stderr.splitlines() if "redis:" in line)
    assert dead not in redis_line, "the demo should have started its own Redis"


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment contains ``marker`` (the demo's children carry its prefix)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_every_process(redis_url: str, sig: signal.Signals) -> None:
    """Interrupted mid-run, the demo exits 130 and leaves no watcher or worker behind."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "demo", "--objects", "2000", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "REDIS_URL": redis_url},
    )
    assert demo.stderr is not None
    prefix = ""
    for line in demo.stderr:
        if "prefix:" in line:
            prefix = line.split("prefix:")[1].strip()
        if "creating 2000" in line:
            break
    assert prefix, "the demo did not say its prefix"
    assert _processes_with(f"RECONCILER_PREFIX={prefix}"), "no child process found"
    demo.send_signal(sig)
    _, rest = demo.communicate(timeout=60)
    assert demo.returncode == 130, rest[-3000:]
    assert "interrupted: stopping every process" in rest
    wait_until(lambda: not _processes_with(f"RECONCILER_PREFIX={prefix}"), timeout=10,
               what="every child of the demo to exit")
