"""``reconciler demo --objects 500`` converges on one machine and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from reconciler.testing.redisserver import free_port

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
