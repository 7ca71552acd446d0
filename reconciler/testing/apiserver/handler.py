"""The HTTP layer: one request handler that routes the Kubernetes REST API onto the store.

It speaks HTTP/1.1 with keep-alive (clients pool connections) and streams watches with chunked
transfer encoding, one JSON event per line, as the real server does. Every refusal is an
:class:`~.status.ApiError` rendered as a ``metav1.Status``; an unexpected exception becomes a
500 Status with its message rather than a dropped connection, so a client always learns why.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import yaml

from reconciler.testing.apiserver import (
    admin,
    discovery,
    faults,
    openapi,
    resources,
    routing,
    selectors,
    status,
    store,
    streaming,
    tables,
)

JsonObj = dict[str, Any]
log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024


@dataclass
class Context:
    """What the handler threads share: the server's state and settings."""

    registry: resources.Registry
    store: store.Store
    faults: faults.Faults
    bookmark_interval: float = 5.0
    default_watch_timeout: float = 1800.0
    stopping: bool = False
    address: str = ""


class Server(ThreadingHTTPServer):
    """A threading HTTP server carrying the shared :class:`Context`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], context: Context) -> None:
        self.context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a stopped watch, a process killed) is normal
        for an API server: say nothing. Anything else is printed as socketserver does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        """Remember (or forget) an open client connection."""
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Shut every open client connection, so pooled keep-alive connections of clients
        fail fast after a stop instead of talking to a server that is gone."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Serves one connection's requests."""

    protocol_version = "HTTP/1.1"
    timeout = 600  # an idle keep-alive connection is closed after this many seconds
    server_version = "reconciler-apiserver"
    server: Server
    _raw_body: bytes = b""
    _record: dict[str, str] | None = None

    def setup(self) -> None:
        """Disable Nagle's algorithm: headers and body go out as separate small writes, which
        would otherwise stall each response on the client's delayed ACK (~40 ms)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        """Forget the connection once it is done."""
        self.server.track(self.connection, open_=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Route the access log to ``logging`` at debug level instead of stderr."""
        log.debug("%s " + format, self.address_string(), *args)

    # -- plumbing -------------------------------------------------------------------------

    def do_GET(self) -> None:
        """GET: discovery, get, list and watch."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """POST: create."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """PUT: update."""
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        """PATCH: patch."""
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        """DELETE: delete and deletecollection."""
        self._dispatch("DELETE")

    def send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Send one JSON response."""
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_bytes(self, code: int, data: bytes, content_type: str) -> None:
        """Send one non-JSON response."""
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drain_body(self) -> bytes:
        """Read the whole request body up front, so an early refusal leaves the connection
        usable for the next keep-alive request."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise status.bad_request("invalid Content-Length") from exc
        if length > MAX_BODY:
            self.close_connection = True
            raise status.ApiError(413, "RequestEntityTooLarge", "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def read_body(self) -> Any:
        """The request body parsed as JSON (or YAML); None when empty; 400 when malformed."""
        raw = self._raw_body
        if not raw.strip():
            return None
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            if "yaml" in ctype:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except ValueError as exc:
            raise status.bad_request(f"the request body is not valid JSON: {exc}") from exc
        except Exception as exc:  # yaml.YAMLError and friends
            raise status.bad_request(f"the request body could not be decoded: {exc}") from exc

    def send_response(self, code: int, message: str | None = None) -> None:
        """Record the request (with its code) before the client can see the response, so a
        test that has its answer also finds it in ``faults.requests``."""
        if self._record is not None:
            info, self._record = self._record, None
            url = urlsplit(self.path)
            self.server.context.faults.record(faults.RecordedRequest(
                self.command, url.path, url.query, info.get("verb", ""),
                info.get("resource", ""), info.get("namespace", ""), info.get("name", ""), code))
        super().send_response(code, message)

    def _dispatch(self, method: str) -> None:
        ctx = self.server.context
        url = urlsplit(self.path)
        admin_path = url.path.startswith("/_reconciler/")
        record: dict[str, str] = {}
        self._record = None if admin_path else record
        self._raw_body = b""
        try:
            self._raw_body = self._drain_body()
            if admin_path:
                admin.handle(self, ctx, method, url.path)
                return
            self._route(ctx, method, url.path, routing.Query(url.query), record)
        except status.ApiError as err:
            self.send_json(err.code, err.status(), err.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:
            log.exception("internal error serving %s %s", method, self.path)
            self.send_json(500, status.failure(500, "InternalError",
                                               f"Internal error occurred: {exc}"))

    # -- routing --------------------------------------------------------------------------

    def _route(self, ctx: Context, method: str, path: str, query: routing.Query,
               record: dict[str, str]) -> None:
        doc = self._discovery(ctx, path)
        if doc is not None:
            if method != "GET":
                raise status.method_not_allowed(method, path)
            if isinstance(doc, bytes):
                self.send_bytes(200, doc, openapi.CONTENT_TYPE if path.startswith("/openapi")
                                else "text/plain")
            else:
                self.send_json(200, doc)
            return
        target = routing.parse_resource_path(path)
        if target is None:
            raise status.resource_not_found(path)
        rt = ctx.registry.get(target.group, target.version, target.resource)
        if rt is None or (target.namespace and not rt.namespaced) or (
                target.subresource and target.subresource not in rt.subresources):
            raise status.resource_not_found(path)
        verb = self._verb(method, target, query)
        if verb not in rt.verbs and not (target.subresource and verb in ("get", "update",
                                                                          "patch")):
            raise status.method_not_allowed(method, path)
        resource = f"{rt.plural}/{target.subresource}" if target.subresource else rt.plural
        record.update(verb=verb, resource=resource, namespace=target.namespace,
                      name=target.name)
        ctx.faults.check(verb, resource)
        self._serve(ctx, verb, rt, target, query)

    @staticmethod
    def _verb(method: str, target: routing.Target, query: routing.Query) -> str:
        if method == "GET":
            if target.name:
                return "get"
            return "watch" if query.flag("watch") else "list"
        if method == "POST" and not target.name:
            return "create"
        if method == "PUT" and target.name:
            return "update"
        if method == "PATCH" and target.name:
            return "patch"
        if method == "DELETE":
            return "delete" if target.name else "deletecollection"
        raise status.method_not_allowed(method, "this path")

    def _discovery(self, ctx: Context, path: str) -> JsonObj | bytes | None:
        path = path.rstrip("/") or "/"
        if path in ("/healthz", "/livez", "/readyz"):
            return b"ok"
        if path == "/version":
            return discovery.version_info()
        if path == "/api":
            return discovery.core_versions(ctx.address)
        if path == "/apis":
            return discovery.group_list(ctx.registry)
        if path == "/openapi/v2":
            return openapi.document()
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            found = discovery.resource_list(ctx.registry, "", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            found = discovery.group(ctx.registry, parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            found = discovery.resource_list(ctx.registry, parts[1], parts[2])
        else:
            return None
        if found is None:
            raise status.resource_not_found(path)
        return found

    def _serve(self, ctx: Context, verb: str, rt: resources.ResourceType,
               target: routing.Target, query: routing.Query) -> None:
        objects = ctx.store
        ns, name = target.namespace, target.name
        if rt.namespaced and not ns and verb not in ("list", "watch"):
            if name:
                raise status.resource_not_found(self.path)
            raise status.method_not_allowed(self.command, self.path)
        options = store.WriteOptions(
            dry_run=query.text("dryRun") == "All",
            strict_fields=query.text("fieldValidation") == "Strict",
        )
        as_table = tables.wants_table(self.headers.get("Accept") or "")
        if verb == "get":
            obj = objects.get(rt, ns, name)
            self.send_json(200, tables.render(rt, [obj], ctx.registry) if as_table else obj)
            return
        matchers = [m for m in (selectors.label_matcher(query.text("labelSelector")),
                                selectors.field_matcher(query.text("fieldSelector"),
                                                        rt.storage_key)) if m is not None]
        if verb == "list":
            doc = objects.list_doc(rt, ns, matchers, limit=query.number("limit"),
                                   continue_token=query.text("continue"))
            if as_table:
                table = tables.render(rt, doc["items"], ctx.registry)
                table["metadata"] = doc["metadata"]
                doc = table
            self.send_json(200, doc)
            return
        if verb == "watch":
            streaming.serve_watch(self, ctx, rt, ns, matchers=matchers, query=query,
                                  as_table=as_table)
            return
        if verb == "create":
            self.send_json(201, objects.create(rt, ns, self.read_body(), options))
            return
        if verb == "update":
            self.send_json(200, objects.update(rt, ns, name, self.read_body(),
                                               subresource=target.subresource, options=options))
            return
        if verb == "patch":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            self.send_json(200, objects.patch(rt, ns, name, ctype, self.read_body(),
                                              subresource=target.subresource, options=options))
            return
        delete_options = self._delete_options(query)
        if verb == "delete":
            obj, gone = objects.delete(rt, ns, name, delete_options, dry_run=options.dry_run)
            if gone and rt.crd is None:
                # Built-in kinds answer an immediate delete with a Status; custom resources
                # (ReturnDeletedObject in the real server) with the deleted object.
                md = obj["metadata"]
                details = {"name": md["name"], "kind": rt.plural, "uid": md["uid"]}
                if rt.group:
                    details["group"] = rt.group
                self.send_json(200, status.success(details))
                return
            # As the real server: 202 only when orphanDependents=false was asked explicitly.
            code = 202 if not gone and delete_options.get("orphanDependents") is False else 200
            self.send_json(code, obj)
            return
        items, _ = objects.select(rt, ns, matchers)
        for item in items:
            md = item["metadata"]
            try:
                objects.delete(rt, md.get("namespace", ""), md["name"], delete_options,
                               dry_run=options.dry_run)
            except status.ApiError as err:
                if err.code != 404:
                    raise
        self.send_json(200, status.success())

    def _delete_options(self, query: routing.Query) -> JsonObj:
        body = self.read_body()
        if body is not None and not isinstance(body, dict):
            raise status.bad_request("DeleteOptions must be a JSON object")
        options: JsonObj = dict(body or {})
        if query.text("propagationPolicy"):
            options["propagationPolicy"] = query.text("propagationPolicy")
        if query.text("orphanDependents"):
            options["orphanDependents"] = query.flag("orphanDependents")
        return options
