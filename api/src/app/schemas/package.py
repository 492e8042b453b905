"""Contracts of the package endpoints: the package, its users and their repositories."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.ecosystems import Ecosystem
from app.schemas.pagination import ListQuery, Page
from app.schemas.sponsorship import Readiness, Sponsorship

# The kinds a repository can use a package as; the declarations that are not uses
# (excluded, managed, suggested) never reach the read side.
DependencyKind = Literal[
    "runtime", "development", "optional", "peer", "build", "provided", "import", "override", "other"
]
OwnerType = Literal["organization", "user"]
DependencyUse = Literal["direct", "transitive", "any"]
UsersSort = Literal["repositories", "stars", "recent", "name", "readiness"]

NAME_MAX_LENGTH = 500


class PackageRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ecosystem": "pypi",
                    "name": "fastapi",
                    "purl": "pkg:pypi/fastapi",
                    "description": "A web framework for building APIs",
                    "repository_url": "https://github.com/fastapi/fastapi",
                    "homepage_url": None,
                    "latest_version": "0.121.0",
                    "organization_count": 412,
                    "repository_count": 1873,
                    "transitive_organization_count": 96,
                }
            ]
        }
    )

    ecosystem: Ecosystem
    name: str
    purl: str
    description: str | None = None
    repository_url: str | None = None
    homepage_url: str | None = None
    latest_version: str | None = None
    organization_count: int = Field(
        description="Organizations with at least one repository using the package directly "
        "(its manifests declare it; forks and archived repositories excluded)."
    )
    repository_count: int = Field(
        description="Repositories using the package directly (forks and archived excluded)."
    )
    transitive_organization_count: int = Field(
        default=0,
        description="Further organizations that use the package only transitively: their "
        "lockfiles pull it in through other dependencies.",
    )


class PackageSearchQuery(ListQuery):
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Part of the package name: a prefix or any substring, case-insensitive.",
        examples=["fast"],
    )
    ecosystem: Ecosystem | None = None


class UsageFilters(BaseModel):
    """Which repositories count as using the package; shared by the users endpoints."""

    min_stars: int | None = Field(
        default=None, ge=0, le=10_000_000, description="Only repositories with this many stars."
    )
    language: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Primary language of the repository, case-insensitive.",
        examples=["Python"],
    )
    pushed_after: date | None = Field(
        default=None, description="Only repositories pushed on or after this day (UTC)."
    )
    kind: list[DependencyKind] | None = Field(
        default=None, description="Dependency kinds; repeat the parameter for several."
    )
    include_forks: bool = False
    include_archived: bool = False
    include_noise: bool = Field(
        default=False,
        description="Also count repositories recognisable as noise: owned by a bot account "
        "(login ending in `bot`, `-bot`, `_bot` or `[bot]`) or awesome-lists (named `awesome`, "
        "`awesome-…` or `…-awesome`).",
    )
    owner_type: OwnerType | None = None
    dependency: DependencyUse = Field(
        default="direct",
        description="Which uses count. `direct` (the default): repositories whose manifests "
        "declare the package (or do not say whether they do); the users answer then also says, "
        "in `transitive_only_total`, how many more organizations use it only transitively. "
        "`transitive`: repositories whose lockfiles alone pull it in, through other "
        "dependencies. `any`: both.",
    )

    @property
    def is_default(self) -> bool:
        """True when the per-organization rollup answers exactly (owner type is one of its keys)."""
        return (
            not self.min_stars
            and self.language is None
            and self.pushed_after is None
            and not self.kind
            and not self.include_forks
            and not self.include_archived
            and not self.include_noise
            and self.dependency == "direct"
        )


class OutreachFilters(BaseModel):
    """Which organizations a maintainer wants to hear about."""

    sponsors_others: bool | None = Field(
        default=None,
        description="`true`: only organizations that already sponsor others on GitHub Sponsors; "
        "`false`: only those that do not (as far as GitHub said).",
    )
    min_readiness: int | None = Field(
        default=None, ge=0, le=100, description="Only organizations with at least this readiness."
    )
    include_owner: bool = Field(
        default=False,
        description="Also list the owner of the package's own source repository (the "
        "maintainer's organization), left out by default: it is not a user to ask.",
    )


class PackageUsersQuery(UsageFilters, OutreachFilters, ListQuery):
    sort: UsersSort = Field(
        default="repositories",
        description="`repositories` (descending; ties by stars, then login A to Z) and `stars` "
        "(descending), `recent` (latest push first), `readiness` (most ready to sponsor first) "
        "or `name` (login, A to Z).",
    )


class UserRepositoriesQuery(UsageFilters, ListQuery):
    """The users filters, applied to one organization's repositories."""


class SampleRepository(BaseModel):
    full_name: str = Field(examples=["acme/api"])
    stars: int = Field(examples=[1520])
    github_url: str = Field(examples=["https://github.com/acme/api"])


class ViaRead(BaseModel):
    """A direct dependency through which the package arrives, in how many repositories."""

    name: str = Field(examples=["jinja2"])
    repository_count: int = Field(examples=[3])


VIA_DESCRIPTION = (
    "The top direct dependencies (at most 5) through which the package arrives in the "
    "repositories that use it only transitively, with how many of them each, most first."
)


class PackageUserRead(BaseModel):
    """One organization using the package, aggregated over its repositories under the filters."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "login": "acme",
                    "name": "Acme Corp",
                    "owner_type": "organization",
                    "github_url": "https://github.com/acme",
                    "website_url": "https://acme.example",
                    "repository_count": 12,
                    "direct_repository_count": 12,
                    "transitive_repository_count": 3,
                    "via": [{"name": "jinja2", "repository_count": 3}],
                    "total_stars": 4810,
                    "languages": ["Python", "TypeScript"],
                    "latest_push": "2026-11-20T09:12:00Z",
                    "kinds": ["runtime", "development"],
                    "sample_repositories": [
                        {
                            "full_name": "acme/api",
                            "stars": 1520,
                            "github_url": "https://github.com/acme/api",
                        }
                    ],
                    "readiness": {
                        "score": 90,
                        "reasons": [
                            {
                                "text": "already sponsors 12 on GitHub Sponsors",
                                "rule": "sponsors_others",
                                "points": 40,
                            },
                            {
                                "text": "12 repositories use it",
                                "rule": "many_repositories",
                                "points": 20,
                            },
                            {"text": "pushed 3 days ago", "rule": "pushed_recently", "points": 15},
                            {"text": "verified organization", "rule": "verified", "points": 10},
                            {"text": "reachable by website", "rule": "reachable", "points": 5},
                        ],
                    },
                    "sponsorship": {
                        "sponsors_others": 12,
                        "can_be_sponsored": False,
                        "has_sponsors_listing": False,
                        "sponsorship_url": None,
                        "is_verified": True,
                        "member_count": 40,
                        "funding_links": [],
                        "contact": {
                            "website_url": "https://acme.example",
                            "email": None,
                            "twitter_username": None,
                        },
                        "checked_at": "2026-11-28T10:00:00Z",
                        "funding_error": None,
                    },
                }
            ]
        }
    )

    login: str
    name: str | None = None
    owner_type: OwnerType
    github_url: str | None = None
    website_url: str | None = None
    repository_count: int = Field(
        description="Its repositories using the package as the `dependency` filter counts."
    )
    direct_repository_count: int = Field(
        description="Its repositories whose manifests declare the package (under the other "
        "filters)."
    )
    transitive_repository_count: int = Field(
        description="Its repositories that use the package only transitively (under the other "
        "filters)."
    )
    via: list[ViaRead] = Field(description=VIA_DESCRIPTION)
    total_stars: int
    languages: list[str] = Field(description="Up to 3 primary languages, most frequent first.")
    latest_push: datetime | None = None
    kinds: list[DependencyKind]
    sample_repositories: list[SampleRepository] = Field(
        description="Up to 3 of the repositories, most starred first."
    )
    readiness: Readiness
    sponsorship: Sponsorship


class PackageUsersPage(Page[PackageUserRead]):
    transitive_only_total: int | None = Field(
        default=None,
        description="With `dependency=direct` (the default): how many more organizations, "
        "not listed, use the package only transitively under the same filters; null with "
        "the other values, whose lists include them.",
        examples=[96],
    )


class Declaration(BaseModel):
    manifest_path: str = Field(examples=["services/api/requirements.txt"])
    requirement: str | None = Field(default=None, examples=[">=0.110,<1"])
    version: str | None = Field(default=None, examples=["0.115.4"])
    kind: str = Field(examples=["runtime"])
    is_direct: bool | None = None
    via: list[str] = Field(
        default=[],
        description="For a transitive declaration: the direct dependencies pulling it in.",
    )


class UserRepositoryRead(BaseModel):
    """One repository of the organization that uses the package, with what declares it."""

    full_name: str = Field(examples=["acme/api"])
    github_url: str
    description: str | None = None
    stars: int
    primary_language: str | None = None
    is_fork: bool
    is_archived: bool
    pushed_at: datetime | None = None
    declarations: list[Declaration]
