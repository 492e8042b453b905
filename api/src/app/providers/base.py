"""What the providers return and the capability Protocols services depend on."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from app.core.ecosystems import Ecosystem

OwnerKind = Literal["Organization", "User"]
IsManifest = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class OrganizationProfile:
    login: str
    kind: OwnerKind
    name: str | None
    description: str | None
    website: str | None
    email: str | None
    location: str | None
    is_verified: bool
    html_url: str | None
    avatar_url: str | None
    public_repos: int | None
    provider_id: int | None


@dataclass(frozen=True, slots=True)
class RepositoryInfo:
    full_name: str
    owner: str
    name: str
    html_url: str | None
    description: str | None
    stars: int
    language: str | None
    is_fork: bool
    is_archived: bool
    is_private: bool
    pushed_at: datetime | None
    default_branch: str | None
    provider_id: int | None


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str
    sha: str
    size: int | None


@dataclass(frozen=True, slots=True)
class ManifestListing:
    """The manifest files of one commit; `is_complete` is False when a bound cut the walk short."""

    full_name: str
    commit_sha: str | None
    files: tuple[ManifestFile, ...]
    is_empty: bool = False
    is_complete: bool = True


@dataclass(frozen=True, slots=True)
class FileContent:
    path: str
    sha: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class FundingLink:
    platform: str
    url: str


@dataclass(frozen=True, slots=True)
class SponsorshipSignals:
    """What GitHub's GraphQL API says about an owner's place in sponsorship and how to reach it."""

    login: str
    has_sponsors_listing: bool
    sponsors_listing_url: str | None
    # Owners it sponsors now (`sponsoring`) and sponsorships it pays (`sponsorshipsAsSponsor`).
    sponsoring_count: int
    sponsorships_as_sponsor: int
    sponsors_count: int
    is_verified: bool
    website: str | None
    email: str | None
    twitter_username: str | None
    member_count: int | None


@dataclass(frozen=True, slots=True)
class FundingFile:
    """An owner's FUNDING.yml: the links it names, or why it could not be read."""

    url: str
    links: tuple[FundingLink, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DependentRepository:
    host: str | None
    full_name: str
    owner: str
    html_url: str | None
    stars: int
    language: str | None
    is_fork: bool
    is_archived: bool
    pushed_at: datetime | None
    default_branch: str | None
    # The links of the repository's FUNDING.yml as the listing reports them.
    funding_links: tuple[FundingLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Dependent:
    """One manifest of one repository that names the package."""

    ecosystem: Ecosystem
    package_name: str
    repository: DependentRepository
    manifest_path: str
    manifest_kind: str | None
    dependency_kind: str | None
    is_direct: bool
    is_optional: bool
    requirement: str | None


@dataclass(frozen=True, slots=True)
class PackageMetadata:
    """What a package's registry says about it, as ecosyste.ms' packages service reports."""

    ecosystem: Ecosystem
    name: str
    repository_url: str | None
    homepage: str | None
    description: str | None
    latest_version: str | None


def parse_timestamp(value: object) -> datetime | None:
    """An upstream ISO 8601 timestamp (`Z` or offset) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@runtime_checkable
class OrganizationSource(Protocol):
    async def get_organization(self, login: str) -> OrganizationProfile | None: ...

    async def get_sponsorship(self, login: str) -> SponsorshipSignals | None: ...

    async def get_funding_file(self, login: str) -> FundingFile | None: ...


@runtime_checkable
class RepositorySource(Protocol):
    def list_repositories(self, owner: str) -> AsyncIterator[RepositoryInfo]: ...

    async def get_repository(self, full_name: str) -> RepositoryInfo | None: ...


@runtime_checkable
class ManifestSource(Protocol):
    async def list_manifests(
        self, full_name: str, ref: str, is_manifest: IsManifest
    ) -> ManifestListing: ...

    async def fetch_file(
        self, full_name: str, path: str, *, ref: str | None = None, sha: str | None = None
    ) -> FileContent: ...


@runtime_checkable
class DependentsSource(Protocol):
    def list_dependents(self, ecosystem: Ecosystem, name: str) -> AsyncIterator[Dependent]: ...


@runtime_checkable
class PackageMetadataSource(Protocol):
    async def get_package(self, ecosystem: Ecosystem, name: str) -> PackageMetadata | None: ...


class ProviderRegistry:
    """Named providers, looked up by the capability a use case needs."""

    def __init__(self) -> None:
        self._providers: dict[str, object] = {}

    def register(self, name: str, provider: object) -> None:
        if name in self._providers:
            raise ValueError(f"provider {name!r} is already registered")
        self._providers[name] = provider

    def names(self) -> tuple[str, ...]:
        return tuple(self._providers)

    def provider(self, name: str) -> object:
        try:
            return self._providers[name]
        except KeyError:
            raise LookupError(f"no provider named {name!r}") from None

    def dependents(self, name: str | None = None) -> DependentsSource:
        found: DependentsSource = self._find(DependentsSource, name)
        return found

    def organizations(self, name: str | None = None) -> OrganizationSource:
        found: OrganizationSource = self._find(OrganizationSource, name)
        return found

    def repositories(self, name: str | None = None) -> RepositorySource:
        found: RepositorySource = self._find(RepositorySource, name)
        return found

    def package_metadata(self, name: str | None = None) -> PackageMetadataSource:
        found: PackageMetadataSource = self._find(PackageMetadataSource, name)
        return found

    def manifests(self, name: str | None = None) -> ManifestSource:
        found: ManifestSource = self._find(ManifestSource, name)
        return found

    def _find(self, capability: Any, name: str | None) -> Any:
        """The provider `name`, or the first registered, offering `capability`."""
        for found_name, provider in self._providers.items():
            if (name is None or name == found_name) and isinstance(provider, capability):
                return provider
        wanted = capability.__name__ + (f" named {name!r}" if name else "")
        raise LookupError(f"no registered provider offers {wanted}")
