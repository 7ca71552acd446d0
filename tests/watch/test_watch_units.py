"""Unit tests of reconciler.watch.labels, .predicates, .events, .backoff and .mapping."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.controller import Controller, Resource
from reconciler.watch import (
    Event,
    all_of,
    annotations_changed,
    any_of,
    events,
    generation_changed,
    label_selector,
    labels,
    labels_changed,
    not_,
)
from reconciler.watch.backoff import Backoff
from reconciler.watch.discovery import Served
from reconciler.watch.mapping import KeyMap


def obj(**meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "x", "namespace": "ns", "resourceVersion": "1", **meta}}


@pytest.mark.parametrize(
    ("selector", "labels_", "expected"),
    [
        ("", {}, True),
        ("a=1", {"a": "1"}, True),
        ("a==1,b!=2", {"a": "1", "b": "3"}, True),
        ("a!=1", {}, True),
        ("a in (1, 2)", {"a": "3"}, False),
        ("a notin (1,2),c", {"a": "3", "c": ""}, True),
        ("!a", {"a": "1"}, False),
        ("example.com/tier=web", {"example.com/tier": "web"}, True),
    ],
)
def test_label_selectors_match_like_the_api_server(selector: str, labels_: dict[str, str],
                                                   expected: bool) -> None:
    """Equality, set-based, existence and negation requirements match as Kubernetes does."""
    assert labels.parse(selector).matches(labels_) is expected


@pytest.mark.parametrize("bad", ["a in (", "a=1,", "=1", "a b", "a in (x y)"])
def test_bad_selectors_are_refused(bad: str) -> None:
    """A malformed selector fails with ConfigError quoting it."""
    with pytest.raises(errors.ConfigError, match="label selector"):
        labels.parse(bad)


def update(old_meta: dict[str, Any], new_meta: dict[str, Any]) -> Event:
    return Event(events.MODIFIED, obj(**new_meta), events.remember(obj(**old_meta)))


def test_changed_predicates_judge_updates_only() -> None:
    """generation/labels/annotations_changed pass creations and deletions, and pass updates
    only when their field changed."""
    for predicate, field, a, b in [
        (generation_changed(), "generation", 1, 2),
        (labels_changed(), "labels", {"a": "1"}, {"a": "2"}),
        (annotations_changed(), "annotations", {"n": "1"}, {"n": "2"}),
    ]:
        assert predicate(Event(events.ADDED, obj(**{field: a})))
        assert predicate(Event(events.DELETED, obj(**{field: a})))
        assert not predicate(update({field: a}, {field: a}))
        assert predicate(update({field: a}, {field: b}))


def test_combinators() -> None:
    """all_of/any_of/not_ and & | ~ combine predicates as boolean logic."""
    web, on = label_selector("tier=web"), label_selector("on")
    event = Event(events.ADDED, obj(labels={"tier": "web"}))
    assert all_of(web, not_(on))(event) and (web & ~on)(event)
    assert not all_of(web, on)(event)
    assert any_of(on, web)(event) and (on | web)(event)
    assert all_of()(event) and not any_of()(event)
    with pytest.raises(errors.ConfigError):
        all_of(len)  # type: ignore[arg-type]
    assert "tier=web" in repr(web & on)


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    """Waits double up to the maximum, stay within [ceiling/2, ceiling], and are never
    shorter than Retry-After; reset starts over."""
    backoff = Backoff(initial=0.1, maximum=1.0)
    waits = [backoff.next() for _ in range(8)]
    for i, wait in enumerate(waits):
        ceiling = min(1.0, 0.1 * 2 ** i)
        assert ceiling / 2 <= wait <= ceiling
    assert backoff.next(retry_after=5) == 5
    backoff.reset()
    assert backoff.next() <= 0.1


def test_owned_keys_follow_the_controller_owner_of_the_primary_kind() -> None:
    """Only a controller ownerReference of the primary's kind and group maps, to the owner's
    key; a moved owner enqueues both owners."""
    primary = Served("example.com", "v1", "widgets", "Widget", namespaced=True)
    ctl = Controller("w", Resource("example.com/v1", "Widget"), print,
                     owns=[Resource("v1", "ConfigMap")])
    mapper = KeyMap(ctl, list(ctl.sources())[1], primary)

    def ref(name: str, kind: str = "Widget", api: str = "example.com/v1",
            controller: bool = True) -> dict[str, Any]:
        return {"apiVersion": api, "kind": kind, "name": name, "controller": controller}

    assert mapper.keys(Event(events.ADDED, obj(ownerReferences=[ref("o")]))) == ["ns/o"]
    assert mapper.keys(Event(events.ADDED, obj(ownerReferences=[ref("o", controller=False)]))) \
        == []
    assert mapper.keys(Event(events.ADDED, obj(ownerReferences=[ref("o", kind="Gadget")]))) \
        == []
    assert mapper.keys(Event(events.ADDED, obj(ownerReferences=[ref("o", api="other/v1")]))) \
        == []
    moved = Event(events.MODIFIED, obj(ownerReferences=[ref("new")]),
                  events.remember(obj(ownerReferences=[ref("old")])))
    assert mapper.keys(moved) == ["ns/new", "ns/old"]


def test_a_failing_map_function_is_skipped() -> None:
    """A user map function that raises or returns non-strings enqueues nothing bad."""
    from reconciler.controller import Watch

    def bad(o: dict[str, Any]) -> list[Any]:
        if o["metadata"]["name"] == "boom":
            raise RuntimeError("boom")
        return ["ns/ok", 3]

    ctl = Controller("w", Resource("v1", "Pod"), print, watches=[Watch(Resource("v1", "Secret"),
                                                                        bad)])
    mapper = KeyMap(ctl, list(ctl.sources())[1], Served("", "v1", "pods", "Pod", True))
    assert mapper.keys(Event(events.ADDED, obj())) == ["ns/ok"]
    assert mapper.keys(Event(events.ADDED, obj(name="boom"))) == []
