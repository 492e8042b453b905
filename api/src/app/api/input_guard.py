"""Refuses text PostgreSQL cannot store (NUL, lone surrogates, bad UTF-8) at the edge, as 422."""

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem
from app.core.text import is_storable, is_storable_bytes

# Only a JSON body with one of these escapes (or a raw NUL) can decode to unstorable text, so
# the common body is checked by one scan and parsed only by the route.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2})|\x00")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MESSAGE = "Text must be valid UTF-8 without NUL characters."
_ERROR_TYPE = "string_unstorable"

Location = list[str | int]


class InputGuardMiddleware:
    """Checks the path, every query parameter, every header and JSON bodies before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad = _url_and_header_errors(scope)
        if not bad and scope["method"] in _BODY_METHODS and _is_json(scope):
            try:
                body, receive = await _buffered(receive)
            except HTTPException as error:  # the body limit, raised by the receive we wrap
                await _answer(scope, receive, send, error.status_code, error.detail)
                return
            bad = _body_errors(body)
        if bad:
            await _refuse(scope, receive, send, bad)
            return
        await self.app(scope, receive, send)


def _url_and_header_errors(scope: Scope) -> list[Location]:
    bad: list[Location] = []
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if not is_storable_bytes(unquote_to_bytes(raw_path)):
        bad.append(["path"])
    query: bytes = scope.get("query_string", b"")
    for pair in query.split(b"&") if query else ():
        name, _, value = pair.replace(b"+", b" ").partition(b"=")
        raw_name = unquote_to_bytes(name)
        if not is_storable_bytes(raw_name):
            bad.append(["query"])
        elif not is_storable_bytes(unquote_to_bytes(value)):
            bad.append(["query", raw_name.decode()])
    for name, value in scope["headers"]:
        if b"\x00" in value:
            bad.append(["header", name.decode("latin-1")])
    return bad


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return False


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a receive that hands it to the app as one message."""
    chunks: list[bytes] = []
    first: Message | None = None
    while True:
        message = await receive()
        if message["type"] != "http.request":
            first = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            if first is not None:
                return first
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _body_errors(body: bytes) -> list[Location]:
    if not _SUSPECT_ESCAPE.search(body):
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # the route answers malformed JSON with its own 422
    bad: list[Location] = []
    _walk(document, ["body"], bad)
    return bad


def _walk(value: Any, location: Location, bad: list[Location]) -> None:
    if isinstance(value, str):
        if not is_storable(value):
            bad.append(location)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, [*location, index], bad)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not is_storable(key):
                bad.append(location)
            else:
                _walk(item, [*location, key], bad)


async def _refuse(scope: Scope, receive: Receive, send: Send, bad: list[Location]) -> None:
    errors = [{"loc": location, "msg": _MESSAGE, "type": _ERROR_TYPE} for location in bad]
    response = problem(
        Request(scope),
        422,
        "validation_error",
        "The request has invalid parameters; see errors.",
        errors=errors,
    )
    await response(scope, receive, send)


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    response = problem(Request(scope), status, "payload_too_large", detail)
    await response(scope, receive, send)
