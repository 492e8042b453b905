"""ecosyste.ms usage API: dependents of a package, paged, and its 429 answers."""

from datetime import UTC, datetime

import httpx
import pytest

from app.core.ecosystems import Ecosystem
from app.core.errors import ProviderRateLimited
from app.providers.base import FundingLink, PackageMetadata
from tests.providers.conftest import HarnessFactory, octo_org, recorded

USAGE = {
    "ecosystem": "npm",
    "name": "left-pad",
    "dependents": [
        {"repository": "octo-org/app", "filepath": "package.json", "requirements": "^1.3.0"},
        {
            "repository": "octo-org/app",
            "filepath": "package-lock.json",
            "manifest_kind": "lockfile",
            "direct": False,
            "requirements": "1.3.0",
        },
        {"repository": "someone/else", "filepath": "web/package.json", "kind": "development"},
    ],
}


async def test_dependents_are_paged_through_link_headers_and_mapped(
    harness: HarnessFactory,
) -> None:
    h = harness({"organizations": [octo_org()], "packages": [USAGE], "page_size": 2})

    dependents = [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "left-pad")]

    assert len(h.requests("/usage/npm/left-pad/dependencies")) == 2
    assert [(d.repository.full_name, d.manifest_path) for d in dependents] == [
        ("octo-org/app", "package.json"),
        ("octo-org/app", "package-lock.json"),
        ("someone/else", "web/package.json"),
    ]
    manifest, lockfile, other = dependents
    assert (manifest.is_direct, manifest.requirement, manifest.manifest_kind) == (
        True,
        "^1.3.0",
        "manifest",
    )
    assert (lockfile.is_direct, lockfile.manifest_kind) == (False, "lockfile")
    assert other.dependency_kind == "development"
    assert manifest.repository.owner == "octo-org"
    assert manifest.repository.stars == 42
    assert manifest.repository.host == "GitHub"
    assert manifest.package_name == "left-pad"


async def test_recorded_usage_rows_map_repository_owner_manifest_and_requirement(
    harness: HarnessFactory,
) -> None:
    rows = recorded("ecosystems/synthetic-repos_usage_dependencies.json")
    seen: list[httpx.URL] = []

    def ecosystems(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return rows.response()

    h = harness(handler=ecosystems, ecosystems_api_url="https://repos.ecosyste.ms/api/v1")

    dependents = [d async for d in h.ecosystems.list_dependents(Ecosystem.RUBYGEMS, "rails")]

    assert seen[0].path == "/api/v1/usage/rubygems/rails/dependencies"
    assert seen[0].params["per_page"] == "100"
    assert len(seen) == 1  # the Link header names only `first`: this was the last page
    first = dependents[0]
    assert first.ecosystem is Ecosystem.RUBYGEMS
    assert first.repository.full_name == "rails/propshaft"
    assert first.repository.owner == "rails"
    assert first.repository.host == "GitHub"
    assert first.repository.pushed_at == datetime(2025, 7, 18, 17, 5, 57, tzinfo=UTC)
    assert (first.manifest_path, first.manifest_kind) == ("Gemfile", "manifest")
    assert (first.dependency_kind, first.is_direct, first.requirement) == (
        "runtime",
        True,
        ">= 7.0.0",
    )
    assert dependents[1].manifest_path == "importmap-rails.gemspec"
    # The recorded repositories name no FUNDING.yml (`metadata.files.funding` is null).
    assert all(d.repository.funding_links == () for d in dependents)


async def test_a_repositorys_parsed_funding_file_becomes_its_funding_links(
    harness: HarnessFactory,
) -> None:
    funding = {".github/FUNDING.yml": "github: [octo-org]\ncustom: https://octo.example/give\n"}
    h = harness({"organizations": [octo_org(files=funding)], "packages": [USAGE]})

    dependents = [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "left-pad")]

    assert dependents[0].repository.funding_links == (
        FundingLink("github", "https://github.com/sponsors/octo-org"),
        FundingLink("custom", "https://octo.example/give"),
    )
    assert dependents[2].repository.funding_links == ()


async def test_unknown_package_has_no_dependents(harness: HarnessFactory) -> None:
    h = harness({"packages": [USAGE]})

    assert [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "right-pad")] == []


async def test_scoped_and_normalized_names_are_asked_for_as_the_registry_spells_them(
    harness: HarnessFactory,
) -> None:
    scoped = {
        "ecosystem": "npm",
        "name": "@octo/ui",
        "dependents": [{"repository": "octo-org/app", "filepath": "package.json"}],
    }
    h = harness({"organizations": [octo_org()], "packages": [scoped]})

    found = [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "@octo/ui")]
    [d async for d in h.ecosystems.list_dependents(Ecosystem.PYPI, "Django_REST.framework")]

    assert [d.package_name for d in found] == ["@octo/ui"]
    assert [r["path"] for r in h.fake.requests] == [
        "/ecosystems/api/v1/usage/npm/@octo/ui/dependencies",
        "/ecosystems/api/v1/usage/pypi/django-rest-framework/dependencies",
    ]


async def test_429_with_a_distant_reset_raises_rate_limited(harness: HarnessFactory) -> None:
    limited = recorded("ecosystems/synthetic-rate_limited_429.json")
    reset = int(limited.headers["x-ratelimit-reset"])
    h = harness(handler=lambda request: limited.response(), clock=lambda: reset - 7200.0)

    with pytest.raises(ProviderRateLimited) as raised:
        [d async for d in h.ecosystems.list_dependents(Ecosystem.RUBYGEMS, "rails")]
    assert abs(raised.value.reset_at.timestamp() - reset) <= 1
    assert h.sleep.waits == []


async def test_429_resetting_soon_is_waited_out(harness: HarnessFactory) -> None:
    limited = recorded("ecosystems/synthetic-rate_limited_429.json")
    reset = int(limited.headers["x-ratelimit-reset"])
    rows = recorded("ecosystems/synthetic-repos_usage_dependencies.json")
    answers = iter([limited.response()])
    h = harness(
        handler=lambda request: next(answers, None) or rows.response(), clock=lambda: reset - 20.0
    )

    dependents = [d async for d in h.ecosystems.list_dependents(Ecosystem.RUBYGEMS, "rails")]

    assert len(dependents) == 2
    assert h.sleep.waits == [21.0]


async def test_rate_limit_fault_of_the_fake_answers_429_for_ecosystems(
    harness: HarnessFactory,
) -> None:
    fault = {"kind": "primary_limit", "match": "/ecosystems/*", "reset_in": 10}
    h = harness({"organizations": [octo_org()], "packages": [USAGE], "faults": [fault]})

    dependents = [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "left-pad")]

    assert len(dependents) == 3
    assert len(h.sleep.waits) == 1
    assert 9 <= h.sleep.waits[0] <= 12


async def test_package_metadata_comes_from_the_packages_service_by_purl(
    harness: HarnessFactory,
) -> None:
    usage = USAGE | {
        "name": "@octo/kit",
        "repository_url": "git+https://github.com/octo-org/kit.git",
        "description": "A kit",
        "latest_version": "2.0.0",
    }
    h = harness({"packages": [usage]})

    found = await h.ecosystems.get_package(Ecosystem.NPM, "@octo/kit")

    assert found == PackageMetadata(
        ecosystem=Ecosystem.NPM,
        name="@octo/kit",
        repository_url="git+https://github.com/octo-org/kit.git",
        homepage=None,
        description="A kit",
        latest_version="2.0.0",
    )
    [request] = h.requests("/packages/lookup")
    assert request["query"] == "purl=pkg%3Anpm%2F%2540octo%2Fkit"


async def test_a_package_no_registry_knows_has_no_metadata(harness: HarnessFactory) -> None:
    h = harness({"packages": [USAGE]})

    assert await h.ecosystems.get_package(Ecosystem.NPM, "left-pad") is None
