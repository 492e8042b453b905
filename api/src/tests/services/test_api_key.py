"""ApiKeyService: create, use, revoke, expire; only an HMAC is stored; last use is throttled."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.errors import ApiKeyNotFound, InvalidApiKey
from app.core.security import generate_api_key
from app.schemas.api_key import ApiKeyCreate
from app.services.api_key import ApiKeyService, KeyCache

SECRET = b"k" * 32


@pytest.fixture
def service(session: AsyncSession, settings: Settings, cache: Redis) -> ApiKeyService:
    return ApiKeyService(session, SECRET, settings, KeyCache(cache, 300))


def _request(**fields: Any) -> ApiKeyCreate:
    return ApiKeyCreate.model_validate({"name": "ci", **fields})


async def test_created_key_authenticates_with_its_tier_scopes_and_limit(
    service: ApiKeyService,
) -> None:
    created = await service.create(_request(tier="pro", scopes=["read", "ingest"]), created_by="t")

    caller = await service.authenticate(created.key)

    assert caller.key_id == created.id
    assert caller.tier == "pro"
    assert caller.scopes == {"read", "ingest"}
    assert caller.rate_limit == 600
    assert created.key_prefix == created.key[:13]
    assert created.created_by == "t"


async def test_per_key_rate_limit_overrides_the_tier(service: ApiKeyService) -> None:
    created = await service.create(_request(tier="free", rate_limit=5), created_by=None)

    assert (await service.authenticate(created.key)).rate_limit == 5


async def test_database_row_never_contains_the_key(
    service: ApiKeyService, session: AsyncSession
) -> None:
    created = await service.create(_request(), created_by=None)

    row = (
        await session.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": created.id})
    ).one()
    stored = " ".join(str(value) for value in row)

    assert created.key not in stored
    # Nothing beyond the 8 display characters: no longer piece of the secret part either.
    assert created.key[5:14] not in stored
    assert created.key[-20:] not in stored
    assert row.key_hash != created.key
    assert len(row.key_hash) == 64


async def test_revoked_key_is_refused(service: ApiKeyService) -> None:
    created = await service.create(_request(), created_by=None)

    revoked = await service.revoke(created.id)
    again = await service.revoke(created.id)

    assert revoked.revoked_at is not None
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(InvalidApiKey):
        await service.authenticate(created.key)


async def test_revoking_an_unknown_key_raises_not_found(service: ApiKeyService) -> None:
    with pytest.raises(ApiKeyNotFound):
        await service.revoke(uuid.uuid4())


async def test_expired_key_is_refused(
    service: ApiKeyService, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = await service.create(_request(expires_in=3600), created_by=None)
    assert created.expires_at is not None
    assert await service.authenticate(created.key)

    later = created.expires_at + timedelta(seconds=1)
    monkeypatch.setattr("app.services.api_key.utcnow", lambda: later)

    with pytest.raises(InvalidApiKey):
        await service.authenticate(created.key)


async def test_wrong_checksum_is_refused_without_a_database_query(
    service: ApiKeyService, statements: list[str]
) -> None:
    created = await service.create(_request(), created_by=None)
    last = created.key[-1]
    typo = created.key[:-1] + ("a" if last != "a" else "b")
    unknown_but_well_formed = generate_api_key()

    statements.clear()
    with pytest.raises(InvalidApiKey):
        await service.authenticate(typo)
    with pytest.raises(InvalidApiKey):
        await service.authenticate("wump_nonsense")
    after_malformed = len(statements)
    with pytest.raises(InvalidApiKey):
        await service.authenticate(unknown_but_well_formed)

    assert after_malformed == 0
    # The counter does see lookups: a well-formed key costs exactly one query.
    assert len(statements) == 1
    assert "api_keys" in statements[0]


async def test_last_used_is_written_once_per_interval(
    service: ApiKeyService, session: AsyncSession, statements: list[str]
) -> None:
    created = await service.create(_request(), created_by=None)

    statements.clear()
    for _ in range(5):
        await service.authenticate(created.key)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    row = (
        await session.execute(
            text("SELECT last_used_at, updated_at, created_at FROM api_keys WHERE id = :id"),
            {"id": created.id},
        )
    ).one()

    assert len(updates) == 1
    assert row.last_used_at is not None
    assert row.updated_at == row.created_at


async def test_another_replica_does_not_write_last_used_again(
    session: AsyncSession, settings: Settings, cache: Redis, statements: list[str]
) -> None:
    replica_a = ApiKeyService(session, SECRET, settings, KeyCache(cache, 300))
    replica_b = ApiKeyService(session, SECRET, settings, KeyCache(cache, 300))
    created = await replica_a.create(_request(), created_by=None)

    statements.clear()
    await replica_a.authenticate(created.key)
    await replica_b.authenticate(created.key)

    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1


async def test_key_under_another_secret_is_refused(
    service: ApiKeyService, session: AsyncSession, settings: Settings, cache: Redis
) -> None:
    created = await service.create(_request(), created_by=None)
    rotated = ApiKeyService(session, b"r" * 32, settings, KeyCache(cache, 300))

    with pytest.raises(InvalidApiKey):
        await rotated.authenticate(created.key)


async def test_list_hides_revoked_keys_unless_asked(service: ApiKeyService) -> None:
    kept = await service.create(_request(name="kept"), created_by=None)
    gone = await service.create(_request(name="gone"), created_by=None)
    await service.revoke(gone.id)

    active = {key.id for key in await service.list_keys()}
    everything = {key.id for key in await service.list_keys(include_revoked=True)}

    assert kept.id in active
    assert gone.id not in active
    assert {kept.id, gone.id} <= everything


async def test_lookups_are_cached_and_revocation_clears_the_cache(
    service: ApiKeyService, statements: list[str]
) -> None:
    created = await service.create(_request(), created_by=None)

    statements.clear()
    for _ in range(3):
        await service.authenticate(created.key)
    selects = [s for s in statements if "FROM api_keys" in s]
    await service.revoke(created.id)

    assert len(selects) == 1
    with pytest.raises(InvalidApiKey):
        await service.authenticate(created.key)


async def test_keys_work_from_the_database_when_valkey_is_down(
    session: AsyncSession, settings: Settings, closed_port: int
) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{closed_port}", socket_connect_timeout=1)
    service = ApiKeyService(session, SECRET, settings, KeyCache(unreachable, 300))
    try:
        created = await service.create(_request(), created_by=None)
        caller = await service.authenticate(created.key)
        await service.revoke(created.id)
        with pytest.raises(InvalidApiKey):
            await service.authenticate(created.key)
    finally:
        await unreachable.aclose()

    assert caller.key_id == created.id
