"""Organization crawl: what is stored, with which evidence, and what a re-scan replaces."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from app.models import Dependency
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    dependency_rows,
    organization,
    package_json,
    repositories,
    scenario,
)


def octo(**files: dict[str, str]) -> dict[str, Any]:
    web = files.get("web") or {
        "package.json": package_json(**{"left-pad": "^1.3.0", "express": "^4.19.2"}),
        "node_modules/left-pad/package.json": '{"name": "left-pad"}',
    }
    api = files.get("api") or {
        "requirements.txt": "Django==5.1\nhttpx>=0.28\n",
        "ui/package.json": package_json(**{"left-pad": "1.3.0"}),
    }
    return {
        "login": "Octo-Org",
        "name": "Octo Org",
        "blog": "octo.example",
        "location": "Lisbon",
        "is_verified": True,
        "repositories": [
            {"name": "web", "stars": 120, "language": "TypeScript", "files": web},
            {"name": "api", "stars": 45, "language": "Python", "files": api},
            {"name": "empty", "empty": True},
        ],
    }


async def test_crawl_stores_organization_repositories_and_dependencies_with_evidence(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(octo()))

    report = await fake.service.ingest_organization("octo-org")

    assert (report.repositories, report.failures, report.owners) == (3, [], ["Octo-Org"])
    assert report.records_processed == 5
    org = await organization(session, "Octo-Org")
    assert (org.owner_type, org.name, org.website_url, org.location, org.is_verified) == (
        "organization",
        "Octo Org",
        "https://octo.example",
        "Lisbon",
        True,
    )
    assert (org.total_repositories, org.total_stars) == (3, 165)
    assert org.crawled_at is not None
    repos = await repositories(session)
    assert repos["Octo-Org/web"].stars == 120
    assert repos["Octo-Org/empty"].scanned_at is not None
    assert repos["Octo-Org/empty"].scan_error is None
    # Vendored folders are skipped; names are normalized per ecosystem (PEP 503 for PyPI).
    assert await dependency_rows(session) == [
        ("Octo-Org/api", "pypi", "django", "requirements.txt", "==5.1", "runtime", True, "github"),
        ("Octo-Org/api", "pypi", "httpx", "requirements.txt", ">=0.28", "runtime", True, "github"),
        ("Octo-Org/api", "npm", "left-pad", "ui/package.json", "1.3.0", "runtime", True, "github"),
        ("Octo-Org/web", "npm", "express", "package.json", "^4.19.2", "runtime", True, "github"),
        ("Octo-Org/web", "npm", "left-pad", "package.json", "^1.3.0", "runtime", True, "github"),
    ]
    shas = set((await session.execute(select(Dependency.commit_sha))).scalars())
    assert len(shas) == 2
    assert None not in shas


async def test_crawled_organization_is_a_user_of_its_packages_in_the_read_api(
    upstream: UpstreamFactory, client: AsyncClient
) -> None:
    await upstream(scenario(octo())).service.ingest_organization("octo-org")

    response = await client.get("/api/v1/packages/npm/left-pad/users")

    assert response.status_code == 200, response.text
    [user] = response.json()["items"]
    assert (user["login"], user["repository_count"], user["total_stars"]) == ("Octo-Org", 2, 165)


async def test_rescan_replaces_each_repository_dependency_set(
    upstream: UpstreamFactory, session: AsyncSession, client: AsyncClient
) -> None:
    fake = upstream(scenario(octo()))
    await fake.service.ingest_organization("octo-org")
    # A cached answer from before the change must not outlive it.
    assert (await client.get("/api/v1/packages/npm/left-pad/users")).json()["total"] == 1

    fake.serve(
        scenario(
            octo(
                web={"package.json": package_json(express="^5.0.0")},
                api={"requirements.txt": "Django==5.2\n"},
            )
        )
    )
    report = await fake.service.ingest_organization("octo-org")

    assert await dependency_rows(session) == [
        ("Octo-Org/api", "pypi", "django", "requirements.txt", "==5.2", "runtime", True, "github"),
        ("Octo-Org/web", "npm", "express", "package.json", "^5.0.0", "runtime", True, "github"),
    ]
    assert report.records_processed == 2
    assert (await client.get("/api/v1/packages/npm/left-pad/users")).json()["total"] == 0


async def stored_versions(session: AsyncSession) -> list[tuple[object, ...]]:
    key = (Dependency.repository_id, Dependency.package_id, Dependency.manifest_path_id)
    versions: ColumnClause[str] = literal_column("xmin::text")
    rows = await session.execute(select(*key, Dependency.detected_at, versions).order_by(*key))
    return [tuple(row) for row in rows]


async def test_ingesting_twice_leaves_the_same_rows(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(octo()))
    await fake.service.ingest_organization("octo-org")
    stored = await stored_versions(session)

    again = await fake.service.ingest_organization("OCTO-ORG")

    assert again.records_processed == 0
    assert again.repositories == 3
    # The same keys in the same row versions: nothing was rewritten.
    assert await stored_versions(session) == stored
    assert len(await repositories(session)) == 3


async def test_repositories_gone_from_the_listing_are_deleted(
    upstream: UpstreamFactory, session: AsyncSession, client: AsyncClient
) -> None:
    fake = upstream(scenario(octo()))
    await fake.service.ingest_organization("octo-org")
    smaller = octo()
    smaller["repositories"] = [r for r in smaller["repositories"] if r["name"] != "api"]
    fake.serve(scenario(smaller))

    await fake.service.ingest_organization("octo-org")

    assert set(await repositories(session)) == {"Octo-Org/web", "Octo-Org/empty"}
    assert {row[2] for row in await dependency_rows(session)} == {"express", "left-pad"}
    org = await organization(session, "Octo-Org")
    assert (org.total_repositories, org.total_stars) == (2, 120)
    body = (await client.get("/api/v1/packages/npm/left-pad/users")).json()
    assert [(u["login"], u["repository_count"]) for u in body["items"]] == [("Octo-Org", 1)]


async def test_a_user_account_is_crawled_as_a_user_owner(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    person = {**octo(), "login": "someone", "kind": "User"}
    await upstream(scenario(person)).service.ingest_organization("someone")

    assert (await organization(session, "someone")).owner_type == "user"
    assert len(await repositories(session)) == 3


async def test_progress_is_reported_with_the_final_counts(upstream: UpstreamFactory) -> None:
    seen: list[tuple[int, int]] = []

    async def progress(report: Any) -> None:
        seen.append((report.repositories, report.records_processed))

    await upstream(scenario(octo())).service.ingest_organization("octo-org", progress)

    assert seen[-1] == (3, 5)


async def test_repositories_finished_close_together_are_written_in_one_transaction(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    """The writer gathers what finishes within a moment instead of one transaction per
    repository; every repository of a transaction carries that transaction's scan time."""
    listed = [
        {"name": f"svc-{n}", "files": {"package.json": package_json(**{f"lib-{n}": "^1.0.0"})}}
        for n in range(6)
    ]
    served = scenario({"login": "acme", "repositories": listed}, latency=0.01)
    fake = upstream(served, concurrency=1)

    report = await fake.service.ingest_organization("acme")

    assert (report.repositories, report.records_processed) == (6, 6)
    scanned = {r.scanned_at for r in (await repositories(session)).values()}
    assert len(scanned) == 1
