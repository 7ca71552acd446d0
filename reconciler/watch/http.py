"""The watcher's HTTP: lists and watch streams as plain dicts over the kubernetes client's
transport (its TLS, credentials and proxies), without its model classes.

Errors are classified for the retry loop: :class:`ApiStatusError` carries the HTTP code and
any ``Retry-After``; :class:`WatchExpiredError` is 410 Gone (relist); transport failures
(refused, reset, read timeout on a stalled stream) are :class:`TransportError`.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import urllib3

from reconciler import errors
from reconciler.watch.events import JsonObj

ApiStatusError = errors.ApiStatusError
WatchExpiredError = errors.WatchExpiredError
TransportError = errors.TransportError


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def status_error(code: int, body: Any, retry_after: str | None = None) -> ApiStatusError:
    """The error for an error ``code`` with a Status ``body`` (or anything else)."""
    message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
    seconds = _retry_after(retry_after)
    if seconds is None and isinstance(body, dict):
        seconds = _retry_after(str((body.get("details") or {}).get("retryAfterSeconds"))
                               if (body.get("details") or {}).get("retryAfterSeconds") is not None
                               else None)
    cls = WatchExpiredError if code == 410 else ApiStatusError
    return cls(code, message, retry_after=seconds)


_END = object()
"""Marks the end of a stream in the reader's inbox."""


class KubeHttp:
    """GETs against the API server of a ``kubernetes.client.ApiClient``."""

    def __init__(self, api_client: Any, *, connect_timeout: float = 5.0,
                 request_timeout: float = 60.0) -> None:
        self.api_client = api_client
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._open: set[Any] = set()
        self._lock = threading.Lock()

    def _request(self, path: str, params: dict[str, Any], read_timeout: float) -> Any:
        _, url, headers, _, _ = self.api_client.param_serialize(
            method="GET", resource_path=path, header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"])
        if params:
            url += "?" + urlencode(params)
        try:
            return self.api_client.rest_client.pool_manager.request(
                "GET", url, headers=headers, preload_content=False, retries=False,
                timeout=urllib3.Timeout(connect=self.connect_timeout, read=read_timeout))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransportError(f"GET {path}: {exc}") from exc

    def get(self, path: str, params: dict[str, Any] | None = None) -> JsonObj:
        """One GET returning the decoded JSON body; raises on an error status."""
        resp = self._request(path, params or {}, self.request_timeout)
        try:
            raw = resp.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransportError(f"GET {path}: {exc}") from exc
        finally:
            resp.release_conn()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if resp.status >= 400:
            raise status_error(resp.status, body, resp.headers.get("Retry-After"))
        if not isinstance(body, dict):
            raise ApiStatusError(resp.status, f"GET {path}: expected a JSON object")
        return body

    def stream(self, path: str, params: dict[str, Any], *, read_timeout: float,
               batch: int = 1000) -> Iterator[list[JsonObj]]:
        """A watch: yields the events (dicts) that arrived, in batches, until the server ends
        the stream; a silence longer than ``read_timeout`` raises :class:`TransportError`.

        The API server sends each event as its own HTTP chunk. A reader thread decodes them
        while the caller applies the previous batch, and each batch is everything that
        arrived meanwhile (up to ``batch``): one cache pipeline and one queue call then serve
        many events under load, and one event when idle."""
        resp = self._request(path, params, read_timeout)
        with self._lock:
            self._open.add(resp)
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        reader = threading.Thread(target=self._read, args=(resp, path, inbox), daemon=True,
                                  name=f"read-{path}")
        try:
            if resp.status >= 400:
                raw = resp.read()
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                raise status_error(resp.status, body, resp.headers.get("Retry-After"))
            reader.start()
            while True:
                item = inbox.get()
                events: list[JsonObj] = []
                while True:
                    if item is _END:
                        if events:
                            yield events
                        return
                    if isinstance(item, BaseException):
                        raise item
                    events.append(item)
                    if len(events) >= batch:
                        break
                    try:
                        item = inbox.get_nowait()
                    except queue.Empty:
                        break
                yield events
                if item is _END:
                    return
        finally:
            with contextlib.suppress(Exception):  # the socket may be half torn down
                resp.shutdown()
            with self._lock:
                self._open.discard(resp)
            resp.release_conn()

    @staticmethod
    def _read(resp: Any, path: str, inbox: queue.SimpleQueue[Any]) -> None:
        buffer = b""
        try:
            for chunk in resp.stream(65536, decode_content=True):
                buffer += chunk
                if b"\n" not in buffer:
                    continue
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        inbox.put(json.loads(line))
            if buffer.strip():
                inbox.put(json.loads(buffer))
            inbox.put(_END)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            inbox.put(TransportError(f"watch {path}: {exc}"))
        except BaseException as exc:  # anything else reaches the caller, never lost
            inbox.put(exc)

    def cut(self) -> None:
        """Close every open stream now (to stop or restart watches promptly)."""
        with self._lock:
            streams = list(self._open)
        for resp in streams:
            with contextlib.suppress(Exception):  # the socket may be half torn down
                resp.shutdown()
