"""Usage events: written by the ingest that causes them, one per changed (package, owner)."""

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, Package, UsageEvent
from app.models.package_usage import kinds_mask
from tests.services.ingestion.conftest import UpstreamFactory, package_json, scenario


def octo(web: dict[str, str], api: dict[str, str]) -> dict[str, Any]:
    return {
        "login": "octo-org",
        "repositories": [
            {"name": "web", "stars": 10, "files": web},
            {"name": "api", "stars": 5, "files": api},
        ],
    }


async def events(session: AsyncSession) -> list[tuple[Any, ...]]:
    """(type, package, login, initial, before, after) in the order they were written."""
    result = await session.execute(
        select(
            UsageEvent.event_type,
            Package.name,
            Organization.login,
            UsageEvent.is_initial,
            UsageEvent.repositories_before,
            UsageEvent.repositories_after,
        )
        .join(Package, Package.id == UsageEvent.package_id)
        .join(Organization, Organization.id == UsageEvent.organization_id)
        .order_by(UsageEvent.id)
    )
    return [tuple(row) for row in result]


async def test_first_crawl_writes_started_events_flagged_initial(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    web = {"package.json": package_json(**{"left-pad": "^1.3.0", "express": "^4"})}
    api = {"requirements.txt": "httpx>=0.28\n"}
    fake = upstream(scenario(octo(web, api)))

    await fake.service.ingest_organization("octo-org")

    assert sorted(await events(session)) == [
        ("started", "express", "octo-org", True, 0, 1),
        ("started", "httpx", "octo-org", True, 0, 1),
        ("started", "left-pad", "octo-org", True, 0, 1),
    ]


async def test_rescan_with_one_dependency_added_and_one_removed_writes_exactly_those_events(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    web = {"package.json": package_json(**{"left-pad": "^1.3.0", "express": "^4"})}
    api = {"requirements.txt": "httpx>=0.28\n"}
    fake = upstream(scenario(octo(web, api)))
    await fake.service.ingest_organization("octo-org")
    first = len(await events(session))

    # web drops express and gains react; api now also uses left-pad (a second repository).
    web = {"package.json": package_json(**{"left-pad": "^1.3.0", "react": "^19"})}
    api = {
        "requirements.txt": "httpx>=0.28\n",
        "ui/package.json": package_json(**{"left-pad": "1"}),
    }
    fake.serve(scenario(octo(web, api)))
    await fake.service.ingest_organization("octo-org")

    assert sorted((await events(session))[first:]) == [
        ("changed", "left-pad", "octo-org", False, 1, 2),
        ("started", "react", "octo-org", False, 0, 1),
        ("stopped", "express", "octo-org", False, 1, 0),
    ]
    rows = await session.execute(
        select(UsageEvent.event_type, UsageEvent.repositories)
        .order_by(UsageEvent.event_type)
        .where(UsageEvent.is_initial.is_(False))
    )
    evidence = {event_type: repositories for event_type, repositories in rows}
    (changed,) = evidence["changed"]
    assert (changed["full_name"], changed["change"], changed["manifests"]) == (
        "octo-org/api",
        "added",
        ["ui/package.json"],
    )
    assert len(changed["commit"]) == 40
    (stopped,) = evidence["stopped"]
    assert (stopped["full_name"], stopped["change"], stopped["manifests"]) == (
        "octo-org/web",
        "removed",
        [],
    )

    # The same answer again changes nothing, so it says nothing.
    total = len(await events(session))
    await fake.service.ingest_organization("octo-org")
    assert len(await events(session)) == total


async def test_kinds_change_is_a_changed_event_and_a_deleted_repository_a_stopped_one(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    web = {"package.json": package_json(**{"left-pad": "^1.3.0"})}
    api = {"requirements.txt": "httpx>=0.28\n"}
    fake = upstream(scenario(octo(web, api)))
    await fake.service.ingest_organization("octo-org")
    first = len(await events(session))

    dev_only = {"package.json": '{"devDependencies": {"left-pad": "^1.3.0"}}'}
    fake.serve(
        scenario({"login": "octo-org", "repositories": [{"name": "web", "files": dev_only}]})
    )
    await fake.service.ingest_organization("octo-org")

    assert sorted((await events(session))[first:]) == [
        ("changed", "left-pad", "octo-org", False, 1, 1),
        ("stopped", "httpx", "octo-org", False, 1, 0),
    ]
    changed = (
        await session.execute(select(UsageEvent).where(UsageEvent.event_type == "changed"))
    ).scalar_one()
    assert (changed.kinds_before, changed.kinds_after) == (
        kinds_mask(["runtime"]),
        kinds_mask(["development"]),
    )
    stopped = (
        await session.execute(select(UsageEvent).where(UsageEvent.event_type == "stopped"))
    ).scalar_one()
    # The repository is gone, yet the event still names it.
    assert [(r["full_name"], r["change"]) for r in stopped.repositories] == [
        ("octo-org/api", "removed")
    ]


async def test_ingest_with_events_off_writes_none_and_keeps_the_read_side(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    web = {"package.json": package_json(**{"left-pad": "^1.3.0"})}
    fake = upstream(scenario(octo(web, {})), record_events=False)

    await fake.service.ingest_organization("octo-org")

    assert await events(session) == []
    package = (
        await session.execute(select(Package).where(Package.name == "left-pad"))
    ).scalar_one()
    assert (package.organization_count, package.repository_count) == (1, 1)


async def test_a_first_import_keeps_its_starts_but_not_counts_moving_between_batches(
    upstream: UpstreamFactory, session: AsyncSession, tmp_path: Path
) -> None:
    fake = upstream(scenario())
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "package.json").write_text(package_json(**{"left-pad": "^1.3.0"}))
        await fake.service.ingest_checkout("newcomer", name, folder)

    assert await events(session) == [("started", "left-pad", "newcomer", True, 0, 1)]
