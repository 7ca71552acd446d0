"""The ``/_reconciler/`` admin endpoints: fault injection over HTTP.

For tests in another process (or another language) than the server. JSON in, JSON out:

=======  ===========================  ====================================================
method   path                         effect
=======  ===========================  ====================================================
GET      /_reconciler/faults          the active fault and latency rules
POST     /_reconciler/faults          add a rule: ``{"code": 500, "verb": "create",
                                      "resource": "configmaps", "times": 2}`` or with
                                      ``"fraction": 0.5``; ``"retryAfter": 1`` adds the
                                      ``Retry-After`` header
DELETE   /_reconciler/faults          remove every fault and latency rule
POST     /_reconciler/latency         ``{"seconds": 0.2, "verb": "*", "resource": "*"}``
POST     /_reconciler/cut-watches     end every open watch; answers ``{"cut": n}``
POST     /_reconciler/compact         drop the watch history; answers the resourceVersion
GET      /_reconciler/requests        every request recorded so far
DELETE   /_reconciler/requests        forget them
=======  ===========================  ====================================================
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from reconciler.testing.apiserver import status

if TYPE_CHECKING:
    from reconciler.testing.apiserver.handler import Context, Handler


def _body(handler: Handler) -> dict[str, Any]:
    body = handler.read_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise status.bad_request("the admin request body must be a JSON object")
    return body


def handle(handler: Handler, ctx: Context, method: str, path: str) -> None:
    """Serve one admin request."""
    faults = ctx.faults
    route = (method, path.rstrip("/"))
    try:
        if route == ("GET", "/_reconciler/faults"):
            result: Any = faults.snapshot()
        elif route == ("POST", "/_reconciler/faults"):
            body = _body(handler)
            if "code" not in body:
                raise status.bad_request('a fault needs a "code"')
            rule = faults.fail(int(body["code"]), verb=str(body.get("verb", "*")),
                               resource=str(body.get("resource", "*")),
                               times=int(body.get("times", 1)),
                               fraction=body.get("fraction"),
                               retry_after=body.get("retryAfter"),
                               message=str(body.get("message", "injected fault")))
            result = asdict(rule)
        elif route == ("DELETE", "/_reconciler/faults"):
            faults.clear()
            result = faults.snapshot()
        elif route == ("POST", "/_reconciler/latency"):
            body = _body(handler)
            faults.add_latency(float(body.get("seconds", 0)), verb=str(body.get("verb", "*")),
                               resource=str(body.get("resource", "*")))
            result = faults.snapshot()
        elif route == ("POST", "/_reconciler/cut-watches"):
            result = {"cut": faults.cut_watches()}
        elif route == ("POST", "/_reconciler/compact"):
            faults.compact()
            result = {"resourceVersion": str(ctx.store.resource_version)}
        elif route == ("GET", "/_reconciler/requests"):
            result = {"requests": [asdict(r) for r in faults.requests]}
        elif route == ("DELETE", "/_reconciler/requests"):
            faults.clear_requests()
            result = {"requests": []}
        else:
            raise status.resource_not_found(path)
    except (ValueError, TypeError) as exc:
        raise status.bad_request(f"bad admin request: {exc}") from exc
    handler.send_json(200, result)
