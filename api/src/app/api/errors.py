"""One place that turns every failure into an RFC 9457 application/problem+json answer."""

import asyncio
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.db import DATABASE_ERRORS, is_database_unavailable
from app.core.errors import DatabaseUnavailable, WumpError
from app.core.logging import get_logger
from app.schemas.common import PROBLEM_MEDIA_TYPE

log = get_logger(__name__)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:wump:problem:{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def wump_problem(request: Request, error: WumpError) -> JSONResponse:
    """The problem answer of a `WumpError`, as the error handler renders it."""
    return problem(
        request,
        error.status,
        error.code,
        error.detail,
        title=error.title,
        headers=error.headers,
        **error.extra,
    )


async def _wump_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WumpError)
    return wump_problem(request, error)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": list(item.get("loc", ())), "msg": str(item.get("msg")), "type": item.get("type")}
        for item in error.errors()
    ]
    return problem(
        request,
        422,
        "validation_error",
        "The request has invalid parameters; see errors.",
        errors=errors,
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else None
    headers = error.headers
    if error.status_code == 405:
        # Starlette names only the first route that matched the path; list them all.
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return problem(request, error.status_code, code, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    if not is_database_unavailable(error):
        return await _unexpected_error(request, error)
    log.warning("http.database_unavailable", path=request.url.path, error=repr(error))
    return await _wump_error(
        request, DatabaseUnavailable("The database is not answering; retry shortly.")
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Formatting a traceback is slow next to serving a request: never on the event loop.
    await asyncio.to_thread(
        log.error, "http.unhandled_error", path=request.url.path, exc_info=error
    )
    return problem(request, 500, "internal_error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WumpError, _wump_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
