"""Who is calling, may they, and how often: the dependencies every /api/v1 route runs."""

from collections.abc import Awaitable, Callable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.params import Depends as DependsParam
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.api.deps import SessionDep, SettingsDep
from app.api.state import app_state
from app.core.config import Settings
from app.core.errors import (
    AuthenticationRequired,
    InvalidApiKey,
    MissingScope,
    RateLimitExceeded,
    TooManyFailedAuthentications,
)
from app.core.metrics import RATE_LIMITED
from app.core.rate_limit import RateLimitPolicy
from app.core.security import SCOPES
from app.services.api_key import ApiKeyService, Caller, anonymous_caller, cached_caller

RATE_LIMIT_STATE = "rate_limit"
# The request's Caller once it is authorized and counted: nothing counts a request twice.
CALLER_STATE = "caller"
# The scope each require_scope() dependency checks, for the OpenAPI document.
SCOPE_CHECKS: dict[Callable[..., Awaitable[None]], str] = {}


async def get_api_key_service(
    request: Request, session: SessionDep, settings: SettingsDep
) -> ApiKeyService:
    state = app_state(request)
    return ApiKeyService(session, state.api_key_secret, settings, state.key_cache)


ApiKeyServiceDep = Annotated[ApiKeyService, Depends(get_api_key_service)]


# Declared as security schemes so the OpenAPI document (and its "Authorize" button) knows them.
_API_KEY_SCHEME = APIKeyHeader(
    name="X-API-Key", scheme_name="ApiKey", auto_error=False, description="A wump_ API key."
)
_BEARER_SCHEME = HTTPBearer(
    scheme_name="Bearer", auto_error=False, description="The same key as a bearer token."
)
ApiKeyHeaderValue = Annotated[str | None, Security(_API_KEY_SCHEME)]
BearerValue = Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER_SCHEME)]


def presented_key(
    api_key: str | None, bearer: HTTPAuthorizationCredentials | None, authorization: str | None
) -> str | None:
    """The key from X-API-Key, else from `Authorization: Bearer`; "" for unusable credentials."""
    if api_key is not None:
        return api_key.strip()
    if bearer is not None:
        return bearer.credentials.strip()
    # Any other Authorization is a failed attempt to authenticate, not an anonymous call.
    return None if authorization is None else ""


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPv4Network | IPv6Network]
) -> str:
    """The peer, or the X-Forwarded-For hop left of the trusted proxies when the peer is one."""
    if peer is None:
        return "unknown"
    if not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    # From the nearest hop outwards each trusted proxy vouches for the address before it; the
    # first untrusted one is the client, and anything further left may be forged.
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _parse(hop) is not None else peer
    return hops[0] if _parse(hops[0]) is not None else peer


def _parse(address: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(address)
    except ValueError:
        return None


def _is_trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in trusted)


async def authorize(
    request: Request,
    service: ApiKeyServiceDep,
    settings: SettingsDep,
    api_key: ApiKeyHeaderValue,
    bearer: BearerValue,
) -> Caller:
    """Authenticate (or admit anonymously), then count the request against the caller's limit."""
    known: Caller | None = getattr(request.state, CALLER_STATE, None)
    if known is not None:
        return known
    key = presented_key(api_key, bearer, request.headers.get("authorization"))
    address = _address(request, settings)
    if key is not None:
        caller = await _authenticate(request, service, key, address)
    elif settings.anonymous_access:
        caller = service.anonymous()
    else:
        raise AuthenticationRequired("This API needs a key: send it as X-API-Key.")
    await count(request, caller, address)
    return caller


async def caller_without_database(request: Request) -> Caller | None:
    """Who is calling, when telling needs no database and raises nothing: an anonymous caller
    (if allowed) or a key Valkey knows (see `cached_caller`). None sends the request the whole
    way through `authorize`, which answers every failure. Nothing is counted here."""
    state = app_state(request)
    key = presented_key(
        await _API_KEY_SCHEME(request),
        await _BEARER_SCHEME(request),
        request.headers.get("authorization"),
    )
    if key is None:
        return anonymous_caller(state.settings) if state.settings.anonymous_access else None
    if await state.auth_failures.refusal(_address(request, state.settings)) is not None:
        return None
    return await cached_caller(key, state.api_key_secret, state.settings, state.key_cache)


async def count(
    request: Request, caller: Caller, address: str | None = None, read: Sequence[str] = ()
) -> list[bytes | None] | None:
    """Count the request against the caller's limit (RateLimitExceeded past it) and remember
    the caller, so `authorize` later in the same request counts nothing again. The values of
    the Valkey keys in `read` come back from the same round trip (None when the count was kept
    in the process)."""
    if address is None:
        address = _address(request, app_state(request).settings)
    identity = f"ip:{address}" if caller.key_id is None else f"key:{caller.key_id}"
    result, values = await app_state(request).rate_limiter.hit_and_read(
        RateLimitPolicy(caller.tier, caller.rate_limit), identity, read
    )
    # The security middleware turns this into headers on whatever answer the request gets.
    setattr(request.state, RATE_LIMIT_STATE, result)
    setattr(request.state, CALLER_STATE, caller)
    if not result.allowed:
        RATE_LIMITED.labels(caller.tier).inc()
        raise RateLimitExceeded(
            f"More than {caller.rate_limit} requests in {result.policy.window} s; "
            f"retry in {result.reset_after} s."
        )
    return values


def _address(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies)


async def _authenticate(request: Request, service: ApiKeyService, key: str, address: str) -> Caller:
    failures = app_state(request).auth_failures
    refusal = await failures.refusal(address)
    if refusal is not None:
        # The security middleware turns this into RateLimit and Retry-After headers.
        setattr(request.state, RATE_LIMIT_STATE, refusal)
        raise TooManyFailedAuthentications(
            f"More than {refusal.policy.limit} unusable keys from this address in "
            f"{refusal.policy.window} s; retry in {refusal.reset_after} s."
        )
    try:
        return await service.authenticate(key)
    except InvalidApiKey:
        await failures.failed(address)
        raise


CurrentCaller = Annotated[Caller, Depends(authorize)]


def require_scope(scope: str, *or_scopes: str) -> DependsParam:
    """A dependency for `dependencies=[...]`: 403 when the caller's key lacks `scope` (and
    every scope of `or_scopes`, which would do as well).

    Anonymous callers hold only `read` (when ANONYMOUS_ACCESS allows them); for anything else
    they get 401, since a key would help.
    """

    for name in (scope, *or_scopes):
        if name not in SCOPES:
            raise ValueError(f"unknown scope {name!r}; expected one of {SCOPES}")

    async def check_scope(caller: CurrentCaller) -> None:
        if any(name in caller.scopes for name in (scope, *or_scopes)):
            return
        if caller.is_anonymous:
            raise AuthenticationRequired(f"This endpoint needs a key with the {scope!r} scope.")
        raise MissingScope(f"This key lacks the {scope!r} scope.", required_scope=scope)

    SCOPE_CHECKS[check_scope] = scope
    dependency: DependsParam = Depends(check_scope)
    return dependency


RequireRead = require_scope("read")
RequireIngest = require_scope("ingest")
RequireAdmin = require_scope("admin")
RequireWebhooks = require_scope("webhooks", "admin")
