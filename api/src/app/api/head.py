"""HEAD answered as GET without the body (RFC 9110, 9.3.2), on every route that takes GET."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Set in the scope of a HEAD routed as GET: an answer whose body costs more than its headers (a
# streamed CSV export) may leave the body out.
HEAD_SCOPE_KEY = "wump.head"


def is_head(scope: Scope) -> bool:
    return bool(scope.get(HEAD_SCOPE_KEY))


class HeadMiddleware:
    """Routes a HEAD request as the GET it mirrors and sends that answer's status and headers,
    Content-Length included, with an empty body; a 405's `Allow` names HEAD beside GET. The
    routes keep declaring GET alone, so the OpenAPI document lists no HEAD operation."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def send_answer(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": _with_head(message.get("headers", []))}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        routed = {**scope, "method": "GET", HEAD_SCOPE_KEY: True} if head else scope
        await self.app(routed, receive, send_answer)


def _with_head(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with HEAD added to an `Allow` that names GET."""
    answered = []
    for name, value in headers:
        methods = [m.strip() for m in value.split(b",")]
        if name.lower() == b"allow" and b"GET" in methods and b"HEAD" not in methods:
            value = b", ".join([*methods, b"HEAD"])
        answered.append((name, value))
    return answered
