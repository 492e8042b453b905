"""The synthetic dataset: deterministic, skewed, and its read side consistent with its source."""

import random

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Dependency,
    Organization,
    Package,
    PackageUsage,
    Repository,
    UsageEvent,
    Webhook,
    WebhookDelivery,
)
from app.services.seed import SCALES, SeedService, _Generator


def test_same_seed_draws_the_same_dataset() -> None:
    first = _Generator(SCALES["small"], random.Random(7))
    second = _Generator(SCALES["small"], random.Random(7))
    other = _Generator(SCALES["small"], random.Random(8))

    assert first.repositories() == second.repositories()
    assert first.organizations() == second.organizations()
    assert first.repositories() != other.repositories()


async def test_small_seed_loads_a_skewed_dataset_with_a_consistent_read_side(
    session: AsyncSession,
) -> None:
    report = await SeedService(session).seed("small", seed=3)

    assert report.repositories == await session.scalar(select(func.count()).select_from(Repository))
    assert report.organizations == await session.scalar(
        select(func.count()).select_from(Organization)
    )
    assert report.dependencies == await session.scalar(select(func.count()).select_from(Dependency))
    # A synthetic dataset is no news: seeding writes no usage events.
    assert await session.scalar(select(func.count()).select_from(UsageEvent)) == 0
    ranked = (
        (
            await session.execute(
                select(Package.organization_count).order_by(Package.organization_count.desc())
            )
        )
        .scalars()
        .all()
    )
    # Zipf: the most used package is used far more than the median one.
    assert ranked[0] >= 10 * max(1, ranked[len(ranked) // 2])
    direct = PackageUsage.has_direct_use.is_(True)
    usage_rows = await session.execute(
        select(
            PackageUsage.package_id,
            func.count().filter(direct),
            func.coalesce(func.sum(PackageUsage.repository_count).filter(direct), 0),
            func.count().filter(~direct),
        ).group_by(PackageUsage.package_id)
    )
    counts = {row[0]: (row[1], row[2], row[3]) for row in usage_rows}
    packages = (await session.execute(select(Package))).scalars().all()
    assert all(
        (p.organization_count, p.repository_count, p.transitive_organization_count)
        == counts.get(p.id, (0, 0, 0))
        for p in packages
    )
    # Some organizations use a package only through their lockfiles.
    assert sum(p.transitive_organization_count for p in packages) > 0
    forks = await session.scalar(select(func.count()).where(Repository.is_fork.is_(True)))
    assert 0 < (forks or 0) < report.repositories // 4
    # Some packages arrive through a package the same repository declares, as a lockfile says.
    transitive, through_declared = (
        await session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT FROM dependencies d2"
                "  JOIN packages p ON p.id = d2.package_id WHERE d2.repository_id = d.repository_id"
                "  AND d2.is_direct AND p.name = d.via))"
                " FROM dependencies d WHERE d.is_direct IS FALSE"
            )
        )
    ).one()
    assert report.dependencies // 10 < transitive == through_declared


async def test_seeding_again_without_reset_is_refused(session: AsyncSession) -> None:
    service = SeedService(session)
    await service.seed("small", seed=1)

    with pytest.raises(ValueError, match="pass --reset to replace it"):
        await service.seed("small", seed=1)


async def test_reseeding_with_reset_replaces_the_data_and_the_news_about_it(
    session: AsyncSession,
) -> None:
    service = SeedService(session)
    await service.seed("small", seed=1)
    organization_id = await session.scalar(select(Organization.id).limit(1))
    package_id = await session.scalar(select(Package.id).limit(1))
    assert organization_id is not None
    assert package_id is not None
    event = UsageEvent(
        package_id=package_id,
        organization_id=organization_id,
        event_type="started",
        is_initial=False,
        repositories_before=0,
        repositories_after=1,
        kinds_before=0,
        kinds_after=1,
    )
    webhook = Webhook(
        url="https://hooks.example/wump",
        secret="s" * 32,
        event_types=["started"],
        include_initial=False,
    )
    session.add_all([event, webhook])
    await session.flush()
    session.add(
        WebhookDelivery(webhook_id=webhook.id, event_id=event.id, kind="usage_event", payload={})
    )
    await session.flush()

    report = await service.seed("small", seed=2, reset=True)

    assert report.repositories == await session.scalar(select(func.count()).select_from(Repository))
    assert await session.scalar(select(func.count()).select_from(UsageEvent)) == 0
    assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    # The subscription is not data of the dataset: it stays.
    assert await session.scalar(select(func.count()).select_from(Webhook)) == 1
