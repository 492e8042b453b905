"""API keys: issue, list and revoke them, and turn a presented key into a Caller."""

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.logging import get_logger
from app.core.security import (
    ApiKeyNotFound,
    InvalidApiKey,
    display_prefix,
    generate_api_key,
    hash_api_key,
    is_well_formed,
)
from app.models.api_key import ApiKey
from app.repositories.api_key import ApiKeyRepository
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, CallerRead

log = get_logger(__name__)

ANONYMOUS_TIER = "anonymous"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated key (or nobody) behind a request, with the limit that applies."""

    key_id: uuid.UUID | None
    key_prefix: str | None
    name: str | None
    tier: str
    scopes: frozenset[str]
    rate_limit: int

    @property
    def is_anonymous(self) -> bool:
        return self.key_id is None

    def to_read(self) -> CallerRead:
        return CallerRead.model_validate(
            {
                "authenticated": not self.is_anonymous,
                "key_id": self.key_id,
                "key_prefix": self.key_prefix,
                "name": self.name,
                "tier": self.tier,
                "scopes": sorted(self.scopes),
                "rate_limit": self.rate_limit,
            }
        )


class KeyUsage:
    """Decides when a key's last_used_at is due: once per interval per key across replicas.

    This process remembers when it last asked, so most requests cost nothing; the asking is a
    Valkey SET NX EX, so only one replica writes per interval. Without Valkey each process
    writes at most once per interval.
    """

    def __init__(self, cache: Redis | None, interval: int) -> None:
        self._cache = cache
        self._interval = interval
        self._next_check: dict[uuid.UUID, float] = {}

    async def due(self, key_id: uuid.UUID) -> bool:
        now = time.monotonic()
        if self._next_check.get(key_id, 0.0) > now:
            return False
        self._next_check[key_id] = now + self._interval
        if self._cache is None:
            return True
        try:
            claimed = await self._cache.set(
                f"wump:api_key:last_used:{key_id}", b"1", nx=True, ex=self._interval
            )
        except (RedisError, OSError):
            return True
        return bool(claimed)


class ApiKeyService:
    def __init__(
        self, session: AsyncSession, secret: bytes, settings: Settings, usage: KeyUsage
    ) -> None:
        self._keys = ApiKeyRepository(session)
        self._secret = secret
        self._settings = settings
        self._usage = usage

    def tier_limit(self, tier: str) -> int:
        limits = {
            ANONYMOUS_TIER: self._settings.rate_limit_anonymous,
            "free": self._settings.rate_limit_free,
            "pro": self._settings.rate_limit_pro,
            "enterprise": self._settings.rate_limit_enterprise,
        }
        return limits[tier]

    def anonymous(self) -> Caller:
        return Caller(
            key_id=None,
            key_prefix=None,
            name=None,
            tier=ANONYMOUS_TIER,
            scopes=frozenset({"read"}),
            rate_limit=self.tier_limit(ANONYMOUS_TIER),
        )

    async def authenticate(self, presented: str) -> Caller:
        """The Caller for a presented key; InvalidApiKey for any key that cannot be used.

        A key with a wrong shape or checksum is refused before any database query.
        """
        if not is_well_formed(presented):
            raise InvalidApiKey
        key = await self._keys.get_by_hash(hash_api_key(presented, self._secret))
        now = utcnow()
        if key is None or key.revoked_at is not None:
            raise InvalidApiKey
        if key.expires_at is not None and key.expires_at <= now:
            raise InvalidApiKey
        if await self._usage.due(key.id):
            await self._keys.touch_last_used(key.id, now)
        return Caller(
            key_id=key.id,
            key_prefix=key.key_prefix,
            name=key.name,
            tier=key.tier,
            scopes=frozenset(key.scopes),
            rate_limit=key.rate_limit or self.tier_limit(key.tier),
        )

    async def create(self, request: ApiKeyCreate, *, created_by: str | None) -> ApiKeyCreated:
        """Store a new key's HMAC and return the key itself, which is never retrievable again."""
        plaintext = generate_api_key()
        expires_at = utcnow() + request.expires_in if request.expires_in is not None else None
        key = await self._keys.add(
            ApiKey(
                key_hash=hash_api_key(plaintext, self._secret),
                key_prefix=display_prefix(plaintext),
                name=request.name,
                tier=request.tier,
                rate_limit=request.rate_limit,
                scopes=list(request.scopes),
                created_by=created_by,
                expires_at=expires_at,
            )
        )
        log.info(
            "api_key.created",
            key_id=str(key.id),
            key_prefix=key.key_prefix,
            tier=key.tier,
            scopes=key.scopes,
            created_by=created_by,
        )
        read = ApiKeyRead.model_validate(key)
        return ApiKeyCreated(**read.model_dump(), key=plaintext)

    async def list_keys(self, *, include_revoked: bool = False) -> Sequence[ApiKeyRead]:
        keys = await self._keys.list_keys(include_revoked=include_revoked)
        return [ApiKeyRead.model_validate(key) for key in keys]

    async def revoke(self, key_id: uuid.UUID) -> ApiKeyRead:
        """Revoke a key (idempotent); ApiKeyNotFound when there is no such key."""
        key = await self._keys.revoke(key_id, utcnow())
        if key is None:
            raise ApiKeyNotFound(f"No API key has id {key_id}.")
        log.info("api_key.revoked", key_id=str(key.id), key_prefix=key.key_prefix)
        return ApiKeyRead.model_validate(key)
