"""The OpenAPI document, completed with what FastAPI cannot infer: which reads need no key."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.api.auth import SCOPE_CHECKS


def install_openapi(app: FastAPI, *, anonymous_reads: bool) -> None:
    """Operations that need only the `read` scope also list the empty security requirement
    when ANONYMOUS_ACCESS admits callers without a key."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            if anonymous_reads:
                _allow_anonymous(app, document)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _allow_anonymous(app: FastAPI, document: dict[str, Any]) -> None:
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for context in iter_route_contexts(app.routes):
        dependencies = getattr(context.route, "dependencies", ())
        scopes = {SCOPE_CHECKS.get(dependency.dependency) for dependency in dependencies}
        if scopes & {"ingest", "admin"} or "read" not in scopes:
            continue
        for method in context.methods or ():
            operation = paths.get(context.path_format or "", {}).get(method.lower())
            if operation is not None:
                operation["security"] = [*operation.get("security", []), {}]
                operation["description"] = (
                    operation.get("description", "") + "\n\nNo key needed: anonymous callers "
                    "may read, at the anonymous rate limit."
                ).strip()
