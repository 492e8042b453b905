"""API keys: issue, list and revoke them, and turn a presented key into a Caller."""

import contextlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import ApiKeyNotFound, InvalidApiKey
from app.core.logging import get_logger
from app.core.security import display_prefix, generate_api_key, hash_api_key, is_well_formed
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


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs of a stored, unrevoked key."""

    id: uuid.UUID
    key_prefix: str
    name: str
    tier: str
    scopes: tuple[str, ...]
    rate_limit: int | None
    expires_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyRecord":
        return cls(
            key.id,
            key.key_prefix,
            key.name,
            key.tier,
            tuple(key.scopes),
            key.rate_limit,
            key.expires_at,
        )

    def dumps(self) -> str:
        return json.dumps(
            {
                "id": str(self.id),
                "key_prefix": self.key_prefix,
                "name": self.name,
                "tier": self.tier,
                "scopes": list(self.scopes),
                "rate_limit": self.rate_limit,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> "KeyRecord":
        data = json.loads(raw)
        expires_at = data["expires_at"]
        return cls(
            uuid.UUID(data["id"]),
            data["key_prefix"],
            data["name"],
            data["tier"],
            tuple(data["scopes"]),
            data["rate_limit"],
            datetime.fromisoformat(expires_at) if expires_at else None,
        )


class KeyCache:
    """API key state kept in Valkey: lookups cached under the key's HMAC, and last-use stamps.

    A cached lookup spares each request a database round trip; revoking a key deletes its entry,
    so every replica refuses it at once, and entries expire after RECORD_TTL seconds anyway.
    `last_used_at` is due once per interval per key: this process remembers when it last asked,
    and the asking is a SET NX EX, so one replica writes per interval. Without Valkey, lookups
    go to the database and each process writes last use at most once per interval.
    """

    RECORD_TTL = 60

    def __init__(self, cache: Redis | None, last_used_interval: int) -> None:
        self._cache = cache
        self._interval = last_used_interval
        self._next_check: dict[uuid.UUID, float] = {}

    async def get(self, key_hash: str) -> KeyRecord | None:
        if self._cache is None:
            return None
        try:
            raw = await self._cache.get(f"wump:api_key:{key_hash}")
        except (RedisError, OSError):
            return None
        return KeyRecord.loads(raw) if raw is not None else None

    async def put(self, key_hash: str, record: KeyRecord) -> None:
        if self._cache is None:
            return
        with contextlib.suppress(RedisError, OSError):
            await self._cache.set(f"wump:api_key:{key_hash}", record.dumps(), ex=self.RECORD_TTL)

    async def forget(self, key_hash: str) -> bool:
        """Drop a cached lookup; False when Valkey could not be told."""
        if self._cache is None:
            return True
        try:
            await self._cache.delete(f"wump:api_key:{key_hash}")
        except (RedisError, OSError):
            return False
        return True

    def last_use_recent(self, key_id: uuid.UUID) -> bool:
        """True while this process has stamped (or asked about) the key's last use within the
        interval, so a request of that key has nothing to write."""
        return self._next_check.get(key_id, 0.0) > time.monotonic()

    async def last_used_due(self, key_id: uuid.UUID) -> bool:
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


def tier_limit(settings: Settings, tier: str) -> int:
    limits = {
        ANONYMOUS_TIER: settings.anonymous_rate_limit,
        "free": settings.rate_limit_free,
        "pro": settings.rate_limit_pro,
        "enterprise": settings.rate_limit_enterprise,
    }
    return limits[tier]


def anonymous_caller(settings: Settings) -> Caller:
    return Caller(
        key_id=None,
        key_prefix=None,
        name=None,
        tier=ANONYMOUS_TIER,
        scopes=frozenset({"read"}),
        rate_limit=tier_limit(settings, ANONYMOUS_TIER),
    )


def _caller_of(record: KeyRecord, settings: Settings) -> Caller:
    return Caller(
        key_id=record.id,
        key_prefix=record.key_prefix,
        name=record.name,
        tier=record.tier,
        scopes=frozenset(record.scopes),
        rate_limit=record.rate_limit or tier_limit(settings, record.tier),
    )


async def cached_caller(
    presented: str, secret: bytes, settings: Settings, cache: KeyCache
) -> Caller | None:
    """The Caller of a usable key known from Valkey alone, with no last use to write; None
    when only `ApiKeyService.authenticate` can tell (not cached, unusable, or its last use due),
    so a request that must query the database is never answered here."""
    if not is_well_formed(presented):
        return None
    record = await cache.get(hash_api_key(presented, secret))
    if record is None or not cache.last_use_recent(record.id):
        return None
    if record.expires_at is not None and record.expires_at <= utcnow():
        return None
    return _caller_of(record, settings)


class ApiKeyService:
    def __init__(
        self, session: AsyncSession, secret: bytes, settings: Settings, cache: KeyCache
    ) -> None:
        self._keys = ApiKeyRepository(session)
        self._secret = secret
        self._settings = settings
        self._cache = cache

    def tier_limit(self, tier: str) -> int:
        return tier_limit(self._settings, tier)

    def anonymous(self) -> Caller:
        return anonymous_caller(self._settings)

    async def authenticate(self, presented: str) -> Caller:
        """The Caller for a presented key; InvalidApiKey for any key that cannot be used.

        A key with a wrong shape or checksum is refused before any database query.
        """
        if not is_well_formed(presented):
            raise InvalidApiKey
        key_hash = hash_api_key(presented, self._secret)
        record = await self._cache.get(key_hash)
        if record is None:
            key = await self._keys.get_by_hash(key_hash)
            if key is None or key.revoked_at is not None:
                raise InvalidApiKey
            record = KeyRecord.of(key)
            await self._cache.put(key_hash, record)
        now = utcnow()
        if record.expires_at is not None and record.expires_at <= now:
            raise InvalidApiKey
        if await self._cache.last_used_due(record.id):
            await self._keys.touch_last_used(record.id, now)
        return _caller_of(record, self._settings)

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
        """Revoke a key (idempotent) and drop its cached lookup; ApiKeyNotFound if unknown.

        If Valkey cannot be told, replicas may accept the key until the cached lookup expires
        (KeyCache.RECORD_TTL seconds); that is logged as a warning.
        """
        key = await self._keys.revoke(key_id, utcnow())
        if key is None:
            raise ApiKeyNotFound(f"No API key has id {key_id}.")
        log.info("api_key.revoked", key_id=str(key.id), key_prefix=key.key_prefix)
        if not await self._cache.forget(key.key_hash):
            log.warning(
                "api_key.revoked.cache_not_cleared",
                key_prefix=key.key_prefix,
                accepted_for_at_most_s=KeyCache.RECORD_TTL,
            )
        return ApiKeyRead.model_validate(key)
