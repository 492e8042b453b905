"""Routes whose current cached answer is sent before routing and the route's dependencies."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, get_args, get_origin

from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.auth import caller_without_database, count
from app.api.errors import wump_problem
from app.api.responses import CSV_MEDIA_TYPE, if_none_match_matches
from app.api.state import app_state
from app.core.errors import RateLimitExceeded
from app.core.metrics import ROUTE_TEMPLATE
from app.services.usage_cache import CacheEntry, UsageCache, read_already

# Where the answer to a request would be cached, or None when it must be built (CSV, a query
# that does not validate, a page larger than allowed). It reads only the path parameters and
# the query string, so its answer is kept per path and query.
CachedBody = Callable[[Request], CacheEntry | None]
# Paths and queries whose cache entry is known; past this many the memo starts over, so a
# stream of distinct URLs costs lookups, never memory.
MEMO_SIZE = 4096
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_LOOKUP = "__wump_cached_body__"


def cache_first(lookup: CachedBody, *, scope: str = "read") -> Callable[[Endpoint], Endpoint]:
    """Mark a GET endpoint whose cached answer `CacheFirstMiddleware` sends: a request `lookup`
    finds in the cache is answered without routing or the endpoint's dependency graph."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _LOOKUP, (lookup, scope))
        return endpoint

    return mark


@dataclass(frozen=True, slots=True)
class _Route:
    """A route as the router matches it; `lookup` is set for a cache-first endpoint."""

    regex: re.Pattern[str]
    methods: frozenset[str] | None  # None: a mount, which takes every method
    convertors: Mapping[str, Any]
    template: str
    lookup: CachedBody | None
    scope: str


class CacheFirstMiddleware:
    """Answers a current cached page of a `cache_first` endpoint before routing.

    Routing, resolving a route's dependencies (the caller, a session, a service, the query
    model) and the exception layers cost more than answering from Valkey, so a cache hit skips
    them: the route is matched as the router would (the first route whose path matches and that
    takes GET), the caller is taken as far as it can be without the database, and one round
    trip to Valkey counts the request and reads the entry, which is answered with its stored
    ETag (or 304). It runs inside the other middleware, so request id, metrics, security and
    rate-limit headers, the input guard and CORS apply as to any answer. Anything else (a miss,
    CSV, a caller who needs the database or lacks the scope, parameters that do not validate)
    goes through the router, whose route answers errors as always and does not count the
    request again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[_Route] | None = None
        self._located: dict[tuple[str, bytes], tuple[_Route, CacheEntry | None] | None] = {}

    @property
    def remembered(self) -> int:
        """How many paths and queries have their cache entry remembered."""
        return len(self._located)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            located = self.locate(scope)
            if located is not None:
                route, entry = located
                missed = await self._answer(scope, receive, send, route, entry)
                if missed is None:
                    return
                if entry is not None and missed:
                    # The route builds the answer: what was read here is what it would read.
                    with read_already(entry, missed):
                        await self.app(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def locate(self, scope: Scope) -> tuple[_Route, CacheEntry | None] | None:
        """The cache-first route of the request and its entry, remembered per path and query."""
        memo_key = (scope["path"], scope["query_string"])
        try:
            return self._located[memo_key]
        except KeyError:
            pass
        matched = self.match(scope)
        located = None
        if matched is not None:
            route, params = matched
            assert route.lookup is not None
            located = route, route.lookup(Request({**scope, "path_params": params}))
        if len(self._located) >= MEMO_SIZE:
            self._located.clear()
        self._located[memo_key] = located
        return located

    def match(self, scope: Scope) -> tuple[_Route, dict[str, Any]] | None:
        """The cache-first route the router would pick for this GET, and its path parameters."""
        if self._routes is None:
            self._routes = _cache_first_routes(scope["app"])
        path: str = scope["path"]
        for route in self._routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.methods is not None and "GET" not in route.methods:
                continue  # the router goes on looking for one that takes GET
            if route.lookup is None:
                return None
            params = {
                name: route.convertors[name].convert(value)
                for name, value in found.groupdict().items()
            }
            return route, params
        return None

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, route: _Route, entry: CacheEntry | None
    ) -> Sequence[bytes | str | None] | None:
        """Answer from the cache and return None; else the router must answer, and this returns
        the entry's values read (empty when it was not read)."""
        request = Request(scope)
        if CSV_MEDIA_TYPE in request.headers.get("accept", ""):
            return ()  # cached answers are JSON; the route decides what the client gets
        caller = await caller_without_database(request)
        if caller is None or route.scope not in caller.scopes:
            return ()
        # Metrics label the answer with the route it stands for.
        scope[ROUTE_TEMPLATE] = route.template
        try:
            # The count and the cached answer in one round trip to Valkey.
            values = await count(request, caller, read=entry.keys if entry else ())
        except RateLimitExceeded as error:
            await wump_problem(request, error)(scope, receive, send)
            return None
        if entry is None:
            return ()
        answer = await UsageCache(app_state(request).cache).read(entry, values)
        if answer is None:
            return values or ()
        etag = answer.etag.encode()
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and if_none_match_matches(if_none_match, answer.etag):
            # As `json_response` answers: the ETag alone, no body.
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", etag)]})
            await send({"type": "http.response.body", "body": b""})
            return None
        headers = [
            (b"etag", etag),
            (b"content-length", str(len(answer.body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
        return None


def _cache_first_routes(app: FastAPI) -> list[_Route]:
    """The app's routes in the router's order, up to the last cache-first one."""
    routes: list[_Route] = []
    for context in iter_route_contexts(app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is None:
            continue
        methods = context.methods
        marked = getattr(context.endpoint, _LOOKUP, None)
        lookup, scope = marked if marked is not None else (None, "")
        routes.append(
            _Route(
                regex=regex,
                methods=frozenset(methods) if methods is not None else None,
                convertors=getattr(context, "param_convertors", {}),
                template=context.path_format or "",
                lookup=lookup,
                scope=scope,
            )
        )
    last = max((i for i, route in enumerate(routes) if route.lookup is not None), default=-1)
    return routes[: last + 1]


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
