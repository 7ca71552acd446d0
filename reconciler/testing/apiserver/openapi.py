"""A minimal ``/openapi/v2`` document, so kubectl's client-side validation has something to read.

kubectl (``create``/``apply`` validate by default) fetches ``/openapi/v2`` as protobuf
(``gnostic`` ``openapi_v2.Document``) and refuses to go on if the fetch fails. The server sends
an empty but well-formed document: ``swagger: "2.0"`` and an ``info`` block, with no definitions.
kubectl then finds no schema for any kind and skips its own validation, leaving validation to
the server (which is where this emulator does it), and ``kubectl apply`` falls back to its
compiled-in patch metadata for built-in kinds.
"""

from __future__ import annotations

CONTENT_TYPE = "application/octet-stream"
"""What the real server labels the protobuf document with (Go cannot parse the "@" type)."""


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2); payloads here are under 128 bytes."""
    assert len(payload) < 128
    return bytes([(number << 3) | 2, len(payload)]) + payload


def document() -> bytes:
    """The encoded ``openapi_v2.Document``."""
    info = _field(1, b"reconciler embedded API server") + _field(2, b"v1")
    return _field(1, b"2.0") + _field(2, info)
