"""Event filters: which events of a watched resource enqueue keys.

A :class:`Predicate` is a named ``Event -> bool``; combine them with :func:`all_of`,
:func:`any_of` and :func:`not_` (or ``&``, ``|``, ``~``). As in controller-runtime, the
"changed" predicates judge updates only: creations and deletions always pass them. A
predicate only filters *enqueueing*: the shared cache always takes every event, so what a
worker reads is the latest state whatever the filters.

Periodic resyncs bypass predicates (unlike controller-runtime, where a resync arrives as an
update with no change and ``generation_changed`` silently swallows it).
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler import errors
from reconciler.watch import events, labels


class Predicate:
    """A named event filter; ``predicate(event)`` says whether the event enqueues."""

    def __init__(self, test: Callable[[events.Event], bool], name: str) -> None:
        if not callable(test):
            raise errors.ConfigError(f"predicate {name!r}: test must be callable, got {test!r}")
        self._test = test
        self.name = name

    def __call__(self, event: events.Event) -> bool:
        return bool(self._test(event))

    def __repr__(self) -> str:
        return f"Predicate({self.name})"

    def __and__(self, other: Predicate) -> Predicate:
        return all_of(self, other)

    def __or__(self, other: Predicate) -> Predicate:
        return any_of(self, other)

    def __invert__(self) -> Predicate:
        return not_(self)


def _update_changed(name: str, changed: Callable[[events.Event, events.OldState], bool]
                    ) -> Predicate:
    def test(event: events.Event) -> bool:
        if event.type != events.MODIFIED or event.old is None:
            return True
        return changed(event, event.old)

    return Predicate(test, name)


def generation_changed() -> Predicate:
    """Updates pass only when ``metadata.generation`` changed (spec changes, not status)."""
    return _update_changed(
        "generation_changed",
        lambda e, old: (e.obj.get("metadata") or {}).get("generation") != old.generation,
    )


def labels_changed() -> Predicate:
    """Updates pass only when the labels changed."""
    return _update_changed(
        "labels_changed",
        lambda e, old: dict((e.obj.get("metadata") or {}).get("labels") or {}) != old.labels,
    )


def annotations_changed() -> Predicate:
    """Updates pass only when the annotations changed."""
    return _update_changed(
        "annotations_changed",
        lambda e, old: events.digest((e.obj.get("metadata") or {}).get("annotations"))
        != old.annotations_digest,
    )


def label_selector(selector: str) -> Predicate:
    """Every event passes only when the object's labels match ``selector`` (client side)."""
    parsed = labels.parse(selector)
    return Predicate(
        lambda e: parsed.matches((e.obj.get("metadata") or {}).get("labels")),
        f"label_selector({selector!r})",
    )


def _check(predicates: tuple[Predicate, ...], combinator: str) -> None:
    for p in predicates:
        if not isinstance(p, Predicate):
            raise errors.ConfigError(f"{combinator}: expected predicates, got {p!r}")


def all_of(*predicates: Predicate) -> Predicate:
    """Passes when every predicate passes (``and``; true when empty)."""
    _check(predicates, "all_of")
    return Predicate(lambda e: all(p(e) for p in predicates),
                     "(" + " & ".join(p.name for p in predicates) + ")")


def any_of(*predicates: Predicate) -> Predicate:
    """Passes when any predicate passes (``or``; false when empty)."""
    _check(predicates, "any_of")
    return Predicate(lambda e: any(p(e) for p in predicates),
                     "(" + " | ".join(p.name for p in predicates) + ")")


def not_(predicate: Predicate) -> Predicate:
    """Passes when ``predicate`` does not."""
    _check((predicate,), "not_")
    return Predicate(lambda e: not predicate(e), f"~{predicate.name}")
