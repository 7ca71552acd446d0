"""Server-owned metadata rules."""

from __future__ import annotations

import re

from reconciler.testing.apiserver import meta


def test_generated_names_use_the_kubernetes_alphabet() -> None:
    """generateName appends five characters from the real server's alphabet (no vowels)."""
    name = meta.generated_name("web-")
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", name)


def test_spec_changed_ignores_metadata_and_optionally_status() -> None:
    """Only non-metadata changes count; status counts unless it has its own subresource."""
    old = {"metadata": {"labels": {}}, "spec": {"a": 1}, "status": {"b": 1}}
    assert not meta.spec_changed(old, {**old, "metadata": {"labels": {"x": "y"}}},
                                 has_status_subresource=True)
    assert not meta.spec_changed(old, {**old, "status": {"b": 2}}, has_status_subresource=True)
    assert meta.spec_changed(old, {**old, "status": {"b": 2}}, has_status_subresource=False)
    assert meta.spec_changed(old, {**old, "spec": {"a": 2}}, has_status_subresource=True)


def test_timestamps_are_rfc3339_utc_seconds() -> None:
    """Timestamps look like 2024-01-01T00:00:00Z."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta.now())
