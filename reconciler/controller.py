"""Declaring controllers: what each one watches, how events become keys, what it runs.

A :class:`Controller` names its primary :class:`Resource` (an ``apiVersion`` and a kind or
plural, resolved against the API server's discovery at start-up), the resources it
``owns`` (their events reach the owner's key through the ``controller: true``
ownerReference of the primary's kind), other ``watches`` (each mapped to keys by a user
function), scoping (namespace, server-side label selector), client-side predicates, and a
resync period (10 h with up to 10 % jitter, as controller-runtime). An :class:`Application`
holds several controllers; one watcher process (the elected leader) serves them all, each
into its own work queue named after the controller.

Everything that can be checked without a server is checked here, on construction, with a
message naming the controller and the field; what needs the server (an unknown kind) is
checked when the watcher starts, with the same kind of message.

The reconcile function is only held and checked to be callable: the workers run it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.watch import events, labels, predicates

#: controller-runtime's default SyncPeriod.
DEFAULT_RESYNC_PERIOD = 10 * 3600.0
DEFAULT_RESYNC_JITTER = 0.1

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$")

KeyMapper = Callable[[events.JsonObj], Iterable[str]]
"""Maps a watched object (a dict) to the queue keys (``namespace/name``) it affects."""


InvalidControllerError = errors.InvalidControllerError


def _fail(controller: str, field_name: str, problem: str) -> InvalidControllerError:
    return InvalidControllerError(f"controller {controller!r}: field {field_name!r}: {problem}")


@dataclass(frozen=True)
class Resource:
    """A watched resource: ``Resource("apps/v1", "Deployment")`` or
    ``Resource("example.com/v1", "widgets", namespace="prod", label_selector="tier=web")``."""

    api_version: str
    kind: str
    """The kind (``Widget``) or the plural resource name (``widgets``)."""
    namespace: str | None = None
    """Watch one namespace only; ``None`` takes the controller's namespace (or all)."""
    label_selector: str | None = None
    """Sent to the API server: only matching objects are listed, watched and cached."""
    predicate: predicates.Predicate | None = None
    """Client-side filter of the events that enqueue keys (the cache still sees all)."""

    def check(self, controller: str, field_name: str) -> None:
        """Raise :class:`InvalidControllerError` naming ``field_name`` if malformed."""
        if not isinstance(self.api_version, str) or not _API_VERSION.match(self.api_version):
            raise _fail(controller, field_name,
                        f"api_version must look like 'v1' or 'group/v1', got "
                        f"{self.api_version!r}")
        if not isinstance(self.kind, str) or not re.match(r"^[A-Za-z][A-Za-z0-9]*$", self.kind):
            raise _fail(controller, field_name, f"kind must be a kind or plural, got "
                                                f"{self.kind!r}")
        if self.namespace is not None and not (
                isinstance(self.namespace, str) and _NAME.match(self.namespace)):
            raise _fail(controller, field_name, f"namespace {self.namespace!r} is not a name")
        if self.label_selector is not None:
            try:
                labels.parse(self.label_selector)
            except errors.ConfigError as exc:
                raise _fail(controller, field_name, str(exc)) from exc
        if self.predicate is not None and not isinstance(self.predicate, predicates.Predicate):
            raise _fail(controller, field_name,
                        f"predicate must be a reconciler Predicate, got {self.predicate!r}")

    @property
    def group(self) -> str:
        """The API group ('' for the core group)."""
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        """The API version within the group."""
        return self.api_version.rpartition("/")[2]


@dataclass(frozen=True)
class Watch:
    """Another resource whose events enqueue the keys ``map(obj)`` returns."""

    resource: Resource
    map: KeyMapper


@dataclass(frozen=True)
class Source:
    """One resource a controller watches, with its role: ``primary``, ``owned``, ``watched``."""

    role: str
    field: str
    """The declaration field it came from (``resource``, ``owns[0]``, ``watches[1]``)."""
    resource: Resource
    mapper: KeyMapper | None = None


@dataclass(frozen=True)
class Controller:
    """One controller: a name (also its work queue's), what it watches, what it runs."""

    name: str
    resource: Resource
    reconcile: Callable[..., Any]
    owns: tuple[Resource, ...] = ()
    watches: tuple[Watch, ...] = ()
    namespace: str | None = None
    """The default namespace of every resource that names none; ``None`` watches all."""
    resync_period: float = DEFAULT_RESYNC_PERIOD
    resync_jitter: float = DEFAULT_RESYNC_JITTER
    """Each resync waits ``resync_period * (1 + uniform(0, resync_jitter))``."""
    options: dict[str, Any] = field(default_factory=dict)
    """Free-form settings for the workers (concurrency, timeouts); the watcher ignores them."""

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidControllerError(
                f"controller {name!r}: field 'name' must be lower-case letters, digits, '-', "
                f"'_' or '.', starting and ending with a letter or digit")
        if not callable(self.reconcile):
            raise _fail(name, "reconcile", f"must be a callable, got {self.reconcile!r}")
        if not isinstance(self.resource, Resource):
            raise _fail(name, "resource", f"must be a Resource, got {self.resource!r}")
        object.__setattr__(self, "owns", tuple(self.owns))
        object.__setattr__(self, "watches", tuple(self.watches))
        for i, owned in enumerate(self.owns):
            if not isinstance(owned, Resource):
                raise _fail(name, f"owns[{i}]", f"must be a Resource, got {owned!r}")
        for i, watch in enumerate(self.watches):
            if not isinstance(watch, Watch) or not callable(watch.map):
                raise _fail(name, f"watches[{i}]",
                            f"must be a Watch(resource, map) with a callable map, got {watch!r}")
        for source in self.sources():
            source.resource.check(name, source.field)
        if self.namespace is not None and not (
                isinstance(self.namespace, str) and _NAME.match(self.namespace)):
            raise _fail(name, "namespace", f"{self.namespace!r} is not a namespace name")
        period = self.resync_period
        if isinstance(period, bool) or not isinstance(period, int | float) or not period > 0 \
                or period == float("inf"):
            raise _fail(name, "resync_period", f"must be a positive number of seconds, got "
                                               f"{period!r}")
        jitter = self.resync_jitter
        if isinstance(jitter, bool) or not isinstance(jitter, int | float) \
                or not 0 <= jitter <= 1:
            raise _fail(name, "resync_jitter", f"must be within [0, 1], got {jitter!r}")

    def sources(self) -> Iterator[Source]:
        """Every watched resource with its role, primary first."""
        yield Source("primary", "resource", self.resource)
        for i, owned in enumerate(self.owns):
            yield Source("owned", f"owns[{i}]", owned)
        for i, watch in enumerate(self.watches):
            yield Source("watched", f"watches[{i}]", watch.resource, watch.map)

    def namespace_of(self, resource: Resource) -> str | None:
        """The namespace ``resource`` is watched in (``None``: all namespaces)."""
        return resource.namespace if resource.namespace is not None else self.namespace


class Application:
    """The controllers one deployment runs; ``reconciler watch --app module:attr`` loads it."""

    def __init__(self, name: str = "reconciler", controllers: Iterable[Controller] = ()) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise errors.ConfigError(f"application name must be a lower-case name, got {name!r}")
        self.name = name
        self._controllers: dict[str, Controller] = {}
        for controller in controllers:
            self.add(controller)

    def __repr__(self) -> str:
        return f"Application({self.name!r}, controllers={list(self._controllers)})"

    @property
    def controllers(self) -> tuple[Controller, ...]:
        """The controllers, in the order they were added."""
        return tuple(self._controllers.values())

    def add(self, controller: Controller) -> Controller:
        """Add ``controller``; a second controller with the same name is refused."""
        if not isinstance(controller, Controller):
            raise errors.ConfigError(f"application {self.name!r}: expected a Controller, "
                                     f"got {controller!r}")
        if controller.name in self._controllers:
            raise _fail(controller.name, "name",
                        f"duplicate: application {self.name!r} already has a controller "
                        f"of that name")
        self._controllers[controller.name] = controller
        return controller

    def controller(self, name: str, resource: Resource, **kwargs: Any
                   ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form: ``@app.controller("widgets", Resource("example.com/v1",
        "Widget"), owns=[...])`` over the reconcile function, which is returned unchanged."""
        def register(reconcile: Callable[..., Any]) -> Callable[..., Any]:
            self.add(Controller(name, resource, reconcile, **kwargs))
            return reconcile

        return register
