"""Each queue operation is one Lua file that states its contract and builds no key names."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from reconciler.queue import scripts
from reconciler.queue.workqueue import KEY_SUFFIXES

FOLDER = resources.files("reconciler.queue") / "scripts"


@pytest.mark.parametrize("operation", scripts.OPERATIONS)
def test_every_script_has_a_contract_header(operation: str) -> None:
    """The file opens with its name, its KEYS, its ARGV and what it returns."""
    text = (FOLDER / f"{operation}.lua").read_text()
    header = text.split("\n\n")[0]
    assert header.startswith(f"-- {operation}.lua:")
    for word in ("KEYS", "ARGV", "Returns"):
        assert word in text.split("\n\n")[0] + text, f"{operation}.lua does not state its {word}"


def test_every_redis_call_names_its_key_through_keys() -> None:
    """No script passes a literal or concatenated key name to redis.call."""
    for path in FOLDER.iterdir():
        if not path.name.endswith(".lua"):
            continue
        for call in re.findall(r"redis\.call\('(\w+)',\s*([^,)]+)", path.read_text()):
            command, first = call
            if command in {"TIME"}:
                continue
            assert first.strip().startswith("K_") or first.strip() == "zset", (
                f"{path.name}: redis.call('{command}', {first}) does not use a KEYS variable"
            )


def test_common_layout_matches_the_python_key_order() -> None:
    """The KEYS order documented in _common.lua is the order WorkQueue passes them in."""
    text = (FOLDER / "_common.lua").read_text()
    documented = re.findall(r"--\s+KEYS\[(\d+)\]\s+(\w+)", text)
    assert [name for _, name in documented] == list(KEY_SUFFIXES)
    assert [int(i) for i, _ in documented] == list(range(1, len(KEY_SUFFIXES) + 1))


def test_sources_are_cached_and_unknown_names_refused() -> None:
    """A script is read once; asking for one that does not exist is an error."""
    assert scripts.source("add") is scripts.source("add")
    with pytest.raises(KeyError, match="no queue script"):
        scripts.source("flushall")
