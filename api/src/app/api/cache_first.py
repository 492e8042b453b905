"""Routes that answer a current cached page before FastAPI resolves their dependencies."""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from app.api.auth import caller_without_database, count
from app.api.responses import cached_response
from app.api.state import app_state
from app.services.usage_cache import CacheEntry, UsageCache

# Where the answer to a request would be cached, or None when it must be built (CSV, a query
# that does not validate, a page larger than allowed).
CachedBody = Callable[[Request], CacheEntry | None]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_LOOKUP = "__wump_cached_body__"


def cache_first(lookup: CachedBody, *, scope: str = "read") -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint of a `CacheFirstRoute` router: a request `lookup` finds in the cache is
    answered without the endpoint's dependency graph (no session, no service)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _LOOKUP, (lookup, scope))
        return endpoint

    return mark


class CacheFirstRoute(APIRoute):
    """A route whose marked endpoint first tries the cache.

    Resolving a route's dependencies (the caller, a session, a service, the query model) costs
    more than answering from Valkey, so a cache hit skips it: the caller is taken as far as it
    can be without the database, counted once against its limit, and the cached body answered
    with its ETag (or 304). Anything else (a miss, CSV, a caller who needs the database or lacks
    the scope, parameters that do not validate) goes through the whole route, which answers
    errors exactly as it always does and does not count the request again.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        marked: tuple[CachedBody, str] | None = getattr(self.endpoint, _LOOKUP, None)
        if marked is None:
            return handler
        lookup, scope = marked

        async def answer(request: Request) -> Response:
            caller = await caller_without_database(request)
            if caller is not None and scope in caller.scopes:
                entry = lookup(request)
                # The count and the cached answer in one round trip to Valkey.
                values = await count(request, caller, read=entry.keys if entry else ())
                if entry is not None:
                    cached = await UsageCache(app_state(request).cache).read(entry, values)
                    if cached is not None:
                        return cached_response(request, cached)
            return await handler(request)

        return answer


Model = TypeVar("Model", bound=BaseModel)


def query_model(request: Request, model: type[Model]) -> Model | None:
    """The query string as `model`, read as FastAPI reads a query parameter model (a list field
    takes every value, any other the last); None when it does not validate."""
    params = request.query_params
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if alias not in params:
            continue
        values[alias] = params.getlist(alias) if _is_list(field.annotation) else params[alias]
    try:
        return model.model_validate(values)
    except ValidationError:
        return None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(argument) for argument in get_args(annotation))
