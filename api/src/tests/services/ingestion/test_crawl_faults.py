"""Organization crawl under upstream faults: one bad repository never stops the others."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import (
    OrganizationNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
    RepositoryNotFound,
)
from tests.services.ingestion.conftest import (
    UpstreamFactory,
    dependency_rows,
    package_json,
    repositories,
    scenario,
)


def acme(broken_manifest: str | None = None) -> dict[str, Any]:
    api_files = {
        "package.json": package_json(react="^19.0.0"),
        "requirements.txt": "flask==3.1\n",
    }
    if broken_manifest is not None:
        api_files["package.json"] = broken_manifest
    return {
        "login": "acme",
        "repositories": [
            {"name": "web", "stars": 3, "files": {"package.json": package_json(vue="^3.5")}},
            {"name": "api", "stars": 2, "files": api_files},
            {"name": "cli", "stars": 1, "files": {"Cargo.toml": '[dependencies]\nclap = "4"\n'}},
        ],
    }


def fault(kind: str, match: str, **spec: Any) -> dict[str, Any]:
    return {"kind": kind, "match": match, **spec}


async def test_malformed_manifest_marks_its_repository_and_keeps_its_earlier_rows(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(scenario(acme()))
    await fake.service.ingest_organization("acme")
    fake.serve(scenario(acme(broken_manifest='{"dependencies": ')))

    report = await fake.service.ingest_organization("acme")

    [failure] = report.failures
    assert failure.full_name == "acme/api"
    assert failure.reason.startswith("package.json: ")
    repos = await repositories(session)
    assert repos["acme/api"].scan_error == failure.reason
    assert repos["acme/web"].scan_error is None
    # The unreadable file's declarations stay until it can be read again; the rest is stored.
    assert {row[2] for row in await dependency_rows(session)} == {"vue", "react", "flask", "clap"}


async def test_malformed_upstream_body_fails_one_repository_and_the_crawl_goes_on(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(
        scenario(acme(), faults=[fault("malformed", "/github/repos/acme/api/git/*", times=None)])
    )

    report = await fake.service.ingest_organization("acme")

    assert [f.full_name for f in report.failures] == ["acme/api"]
    assert "not JSON" in report.failures[0].reason
    repos = await repositories(session)
    assert repos["acme/api"].scan_error == report.failures[0].reason
    assert {row[2] for row in await dependency_rows(session)} == {"vue", "clap"}
    assert report.as_metadata()["failed_repositories"] == 1


async def test_server_error_burst_is_retried_and_nothing_is_lost(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(
        scenario(
            acme(), faults=[fault("server_error", "/github/repos/acme/*/git/blobs/*", times=3)]
        )
    )

    report = await fake.service.ingest_organization("acme")

    assert report.failures == []
    assert len(fake.sleep.waits) == 3
    assert {row[2] for row in await dependency_rows(session)} == {"vue", "react", "flask", "clap"}


async def test_repository_still_failing_after_retries_is_recorded_as_failed(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(
        scenario(acme(), faults=[fault("server_error", "/github/repos/acme/cli/*", times=None)])
    )

    report = await fake.service.ingest_organization("acme")

    assert [f.full_name for f in report.failures] == ["acme/cli"]
    assert (await repositories(session))["acme/cli"].scan_error is not None
    assert {row[2] for row in await dependency_rows(session)} == {"vue", "react", "flask"}


async def test_primary_rate_limit_propagates_with_its_reset_time(
    upstream: UpstreamFactory,
) -> None:
    fake = upstream(
        scenario(acme(), faults=[fault("primary_limit", "/github/repos/acme/api/*", times=None)])
    )

    with pytest.raises(ProviderRateLimited) as raised:
        await fake.service.ingest_organization("acme")

    assert raised.value.reset_at.timestamp() > 0


async def test_unavailable_repository_listing_fails_the_whole_crawl(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    fake = upstream(
        scenario(acme(), faults=[fault("server_error", "/github/orgs/acme/repos", times=None)])
    )

    with pytest.raises(ProviderUnavailable):
        await fake.service.ingest_organization("acme")

    assert await repositories(session) == {}


async def test_unknown_organization_or_repository_is_not_found(upstream: UpstreamFactory) -> None:
    fake = upstream(scenario(acme()))

    with pytest.raises(OrganizationNotFound):
        await fake.service.ingest_organization("nobody-here")
    with pytest.raises(RepositoryNotFound):
        await fake.service.ingest_repository("acme/missing")


async def test_truncated_tree_stores_what_was_found_without_deleting(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    await upstream(scenario(acme())).service.ingest_organization("acme")
    # Trees over one entry come back truncated, and one request per repository is all the
    # walk may spend: acme/api's listing stays incomplete.
    cut_short = upstream(scenario(acme(), truncate_trees_over=1), github_tree_max_requests=1)

    report = await cut_short.service.ingest_organization("acme")

    [failure] = report.failures
    assert failure.full_name == "acme/api"
    assert "too large" in failure.reason
    assert {row[2] for row in await dependency_rows(session)} == {"vue", "react", "flask", "clap"}


async def test_ingest_repository_scans_one_repository(
    upstream: UpstreamFactory, session: AsyncSession
) -> None:
    report = await upstream(scenario(acme())).service.ingest_repository("acme/api")

    assert (report.repositories, report.records_processed, report.owners) == (1, 2, ["acme"])
    assert set(await repositories(session)) == {"acme/api"}
