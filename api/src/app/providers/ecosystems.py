"""ecosyste.ms: which repositories' manifests name a package (the repos service's usage API) and
what the package's registry says about it (the packages service)."""

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from app.core.ecosystems import Ecosystem, normalize_name, to_purl
from app.core.errors import ProviderBadResponse, ProviderForbidden, ProviderUnauthorized
from app.providers.base import (
    Dependent,
    DependentRepository,
    FundingLink,
    PackageMetadata,
    parse_timestamp,
)
from app.providers.funding import links_from_mapping
from app.providers.http import UpstreamClient, UpstreamResponse, pin_to_base

PAGE_SIZE = 100
_HOST_IN_URL = re.compile(r"/hosts/([^/]+)/")


def to_dependent(ecosystem: Ecosystem, row: dict[str, Any]) -> Dependent:
    repository = row.get("repository") or {}
    manifest = row.get("manifest") or {}
    full_name = repository.get("full_name")
    if not isinstance(full_name, str) or "/" not in full_name:
        raise ProviderBadResponse(f"dependency row {row.get('id')} has no repository full_name")
    host = _HOST_IN_URL.search(repository.get("repository_url") or "")
    return Dependent(
        ecosystem=ecosystem,
        package_name=normalize_name(ecosystem, row.get("package_name") or ""),
        repository=DependentRepository(
            host=host.group(1) if host else None,
            full_name=full_name,
            owner=repository.get("owner") or full_name.partition("/")[0],
            html_url=repository.get("html_url"),
            stars=int(repository.get("stargazers_count") or 0),
            language=repository.get("language"),
            is_fork=bool(repository.get("fork", False)),
            is_archived=bool(repository.get("archived", False)),
            pushed_at=parse_timestamp(repository.get("pushed_at")),
            default_branch=repository.get("default_branch"),
            funding_links=_funding_links(repository.get("metadata")),
        ),
        manifest_path=manifest.get("filepath") or "",
        manifest_kind=manifest.get("kind"),
        dependency_kind=row.get("kind"),
        is_direct=bool(row.get("direct", True)),
        is_optional=bool(row.get("optional", False)),
        requirement=row.get("requirements"),
    )


def _funding_links(metadata: object) -> tuple[FundingLink, ...]:
    """ecosyste.ms keeps a repository's parsed FUNDING.yml under `metadata.funding`."""
    funding = metadata.get("funding") if isinstance(metadata, dict) else None
    return links_from_mapping(funding) if isinstance(funding, dict) else ()


def to_metadata(ecosystem: Ecosystem, name: str, body: dict[str, Any]) -> PackageMetadata:
    def text(key: str) -> str | None:
        value = body.get(key)
        return value.strip()[:500] or None if isinstance(value, str) else None

    return PackageMetadata(
        ecosystem=ecosystem,
        name=normalize_name(ecosystem, name),
        repository_url=text("repository_url"),
        homepage=text("homepage"),
        description=text("description"),
        latest_version=(text("latest_release_number") or "")[:100] or None,
    )


class EcosystemsProvider:
    """Implements DependentsSource over `GET /usage/{ecosystem}/{name}/dependencies` and
    PackageMetadataSource over the packages service's `GET /packages/lookup?purl=`."""

    def __init__(
        self, client: UpstreamClient, *, api_url: str, packages_api_url: str | None = None
    ) -> None:
        self._client = client
        self._api_url = api_url.rstrip("/")
        self._packages_api_url = (packages_api_url or api_url).rstrip("/")

    async def _get(self, url: str, params: dict[str, str | int] | None = None) -> UpstreamResponse:
        response = await self._client.request("GET", url, params=params)
        if response.status == 401:
            raise ProviderUnauthorized(f"ecosyste.ms rejected the request {response.url}")
        if response.status == 403:
            raise ProviderForbidden(f"ecosyste.ms refused {response.url}")
        return response

    async def list_dependents(self, ecosystem: Ecosystem, name: str) -> AsyncIterator[Dependent]:
        """One item per manifest naming the package, page by page; none for an unknown package."""
        package = quote(normalize_name(ecosystem, name), safe="@/:")
        url = f"{self._api_url}/usage/{ecosystem.value}/{package}/dependencies"
        response: UpstreamResponse | None = await self._get(url, {"per_page": PAGE_SIZE, "page": 1})
        while response is not None:
            if response.status == 404:
                return
            if response.status != 200:
                raise ProviderBadResponse(
                    f"{response.url} answered an unexpected {response.status}"
                )
            rows = response.json()
            if not isinstance(rows, list):
                raise ProviderBadResponse(
                    f"{response.url} answered a {type(rows).__name__}, expected a list"
                )
            for row in rows:
                yield to_dependent(ecosystem, row)
            next_url = response.links().get("next")
            response = (
                await self._get(pin_to_base(next_url, self._api_url)) if next_url and rows else None
            )

    async def get_package(self, ecosystem: Ecosystem, name: str) -> PackageMetadata | None:
        """The package's metadata, or None when no registry ecosyste.ms knows has it."""
        purl = to_purl(ecosystem, normalize_name(ecosystem, name))
        response = await self._get(f"{self._packages_api_url}/packages/lookup", {"purl": purl})
        if response.status == 404:
            return None
        if response.status != 200:
            raise ProviderBadResponse(f"{response.url} answered an unexpected {response.status}")
        found = response.json()
        if not isinstance(found, list):
            raise ProviderBadResponse(
                f"{response.url} answered a {type(found).__name__}, expected a list"
            )
        first = next((item for item in found if isinstance(item, dict)), None)
        return to_metadata(ecosystem, name, first) if first is not None else None
