"""Failures on the pages render as HTML that shows the problem's detail; the API keeps JSON."""

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.core.db import DATABASE_ERRORS, is_database_unavailable
from app.core.errors import DatabaseUnavailable, WumpError
from app.core.logging import get_logger
from app.web.templating import templates

log = get_logger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]

_NOT_PAGES = ("/api/", "/health", "/static/", "/openapi.json")


def wants_page(request: Request) -> bool:
    """A page route failed, or a browser asked for a path outside the API."""
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    if endpoint is not None and getattr(endpoint, "__module__", "").startswith("app.web."):
        return True
    path = request.url.path
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not path.startswith(_NOT_PAGES)


def _describe(error: Exception) -> tuple[int, str, str, list[dict[str, Any]]]:
    if isinstance(error, WumpError):
        return error.status, error.title, error.detail, []
    if isinstance(error, RequestValidationError):
        errors = [
            {
                "field": ".".join(str(p) for p in item.get("loc", ()) if p != "query"),
                "msg": str(item.get("msg")),
            }
            for item in error.errors()
        ]
        return 422, "Invalid Parameters", "Some parameters are invalid; see below.", errors
    if isinstance(error, StarletteHTTPException):
        title = HTTPStatus(error.status_code).phrase
        detail = error.detail if isinstance(error.detail, str) else title
        if error.status_code == 404 and detail == title:
            detail = "There is no page at this address."
        return error.status_code, title, detail, []
    return 500, "Internal Server Error", "An unexpected error occurred.", []


def error_page(request: Request, error: Exception) -> Response:
    status, title, detail, errors = _describe(error)
    headers = None
    if isinstance(error, WumpError | StarletteHTTPException) and error.headers:
        headers = dict(error.headers)
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": title,
            "detail": detail,
            "errors": errors,
            "request_id": getattr(request.state, "request_id", None),
        },
        status_code=status,
        headers=headers,
    )


def install_error_pages(app: FastAPI) -> None:
    """Wrap the API's handlers: pages get HTML, everything else the API's problem+json."""
    kinds = (WumpError, RequestValidationError, StarletteHTTPException, *DATABASE_ERRORS, Exception)
    for kind in kinds:
        original = cast(Handler, app.exception_handlers[kind])

        async def handler(
            request: Request, error: Exception, original: Handler = original
        ) -> Response:
            if not wants_page(request):
                return await original(request, error)
            return await _page(request, error)

        app.exception_handlers[kind] = handler


async def _page(request: Request, error: Exception) -> Response:
    if isinstance(error, DATABASE_ERRORS) and is_database_unavailable(error):
        # An outage, not a bug: the page says so and when to come back, like the API's 503.
        log.warning("http.database_unavailable", path=request.url.path, error=repr(error))
        return error_page(
            request,
            DatabaseUnavailable("The database is not answering; try again in a few seconds."),
        )
    status, *_ = _describe(error)
    if status >= 500 and not isinstance(error, WumpError):
        log.error("http.unhandled_error", path=request.url.path, exc_info=error)
    return error_page(request, error)
