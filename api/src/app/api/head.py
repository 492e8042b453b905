"""HEAD answered as GET without the body (RFC 9110, 9.3.2), on every route that takes GET."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    """Routes a HEAD request as the GET it mirrors and sends that answer's status and headers,
    Content-Length included, with an empty body. The routes keep declaring GET alone, so the
    OpenAPI document lists no HEAD operation."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_head)
