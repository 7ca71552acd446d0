"""``metav1.Status`` bodies and the one exception that carries them.

Every refusal inside the emulator is raised as :class:`ApiError`; the HTTP layer turns it into
the JSON ``Status`` the real API server sends, with the same ``code``, ``reason`` and
``details``. Clients branch on ``reason`` (``AlreadyExists``, ``Conflict``, ``Expired`` ...), so
the reasons and messages follow ``k8s.io/apimachinery/pkg/api/errors`` word for word where it
matters.
"""

from __future__ import annotations

from typing import Any

JsonObj = dict[str, Any]


class ApiError(Exception):
    """A request refused with an HTTP status code and a ``metav1.Status`` body."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: JsonObj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> JsonObj:
        """The ``Status`` body sent to the client."""
        return failure(self.code, self.reason, self.message, details=self.details)


def failure(code: int, reason: str, message: str, *, details: JsonObj | None = None) -> JsonObj:
    """A ``Status`` with ``status: Failure``, as every refused request carries."""
    body: JsonObj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return body


def success(details: JsonObj | None = None) -> JsonObj:
    """A ``Status`` with ``status: Success``, returned by an immediate delete."""
    body: JsonObj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        body["details"] = details
    return body


def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def _details(group: str, plural: str, name: str) -> JsonObj:
    details: JsonObj = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(group: str, plural: str, name: str) -> ApiError:
    """404: the named object does not exist."""
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(group, plural)} "{name}" not found',
        details=_details(group, plural, name),
    )


def resource_not_found(path: str) -> ApiError:
    """404 for a path that names no resource the server serves."""
    return ApiError(404, "NotFound", "the server could not find the requested resource",
                    details={"causes": [{"reason": "UnexpectedServerResponse", "message": path}]})


def already_exists(group: str, plural: str, name: str) -> ApiError:
    """409: create of a name that is taken."""
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(group, plural)} "{name}" already exists',
        details=_details(group, plural, name),
    )


def conflict(group: str, plural: str, name: str, why: str) -> ApiError:
    """409: an optimistic-concurrency failure (a stale resourceVersion or a failed precondition)."""
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(group, plural)} "{name}": {why}',
        details=_details(group, plural, name),
    )


def invalid(kind: str, group: str, name: str, causes: list[JsonObj]) -> ApiError:
    """422: the object fails validation; each cause names a field, as the real server's do."""
    summary = ", ".join(
        f"{c['field']}: {c['message']}" if c.get("field") else str(c["message"]) for c in causes
    )
    qualified = f"{kind}.{group}" if group else kind
    details: JsonObj = {"name": name, "kind": kind, "causes": causes}
    if group:
        details["group"] = group
    shown = f'"{name}"' if name else ""
    return ApiError(422, "Invalid", f"{qualified} {shown} is invalid: [{summary}]"
                    if len(causes) > 1 else f"{qualified} {shown} is invalid: {summary}",
                    details=details)


def cause(field: str, message: str, reason: str = "FieldValueInvalid") -> JsonObj:
    """One ``StatusCause`` of an Invalid error."""
    return {"reason": reason, "message": message, "field": field}


def expired(message: str) -> ApiError:
    """410 Expired (the HTTP status is Gone): a resourceVersion or continue token older than
    the retained history."""
    return ApiError(410, "Expired", message)


def bad_request(message: str) -> ApiError:
    """400: a malformed request (bad JSON, a bad selector, an unknown parameter value)."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed(method: str, what: str) -> ApiError:
    """405: the verb is not supported on this path."""
    return ApiError(405, "MethodNotAllowed",
                    f"the server does not allow this method on the requested resource "
                    f"({method} {what})")


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    """415: a patch or body type the server does not take, with the accepted types."""
    return ApiError(
        415,
        "UnsupportedMediaType",
        f'the body of the request was in an unknown format - accepted media types include: '
        f'{", ".join(accepted)} (got "{content_type}")',
    )


def forbidden(group: str, plural: str, name: str, why: str) -> ApiError:
    """403: refused by policy, e.g. creating in a namespace that is being deleted."""
    return ApiError(403, "Forbidden",
                    f'{_qualified(group, plural)} "{name}" is forbidden: {why}',
                    details=_details(group, plural, name))
