"""Contracts of the organization endpoints."""

from pydantic import BaseModel, Field

from app.core.ecosystems import Ecosystem
from app.schemas.package import VIA_DESCRIPTION, DependencyKind, OwnerType, ViaRead
from app.schemas.pagination import ListQuery
from app.schemas.sponsorship import Sponsorship


class OrganizationSearchQuery(ListQuery):
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Part of the login or display name, case-insensitive.",
        examples=["acme"],
    )


class OrganizationSummary(BaseModel):
    login: str = Field(examples=["acme"])
    name: str | None = Field(default=None, examples=["Acme Corp"])
    owner_type: OwnerType
    github_url: str | None = None
    website_url: str | None = None
    total_repositories: int = Field(description="Public repositories on GitHub.")
    total_stars: int = Field(description="Stars across its public repositories on GitHub.")


class OrganizationRead(OrganizationSummary):
    description: str | None = None
    location: str | None = None
    email: str | None = None
    is_verified: bool
    sponsorship_url: str | None = None
    has_sponsors_listing: bool | None = None
    twitter_username: str | None = None
    sponsorship: Sponsorship
    repository_count: int = Field(description="Its repositories wump has read.")
    package_count: int = Field(
        description="Packages its repositories use (forks and archived excluded)."
    )


class OrganizationPackagesQuery(ListQuery):
    ecosystem: Ecosystem | None = None
    kind: list[DependencyKind] | None = Field(
        default=None, description="Dependency kinds; repeat the parameter for several."
    )


class OrganizationPackageRead(BaseModel):
    ecosystem: Ecosystem
    name: str = Field(examples=["fastapi"])
    purl: str = Field(examples=["pkg:pypi/fastapi"])
    repository_count: int = Field(
        description="Its repositories using the package directly (a manifest declares it)."
    )
    transitive_repository_count: int = Field(
        description="Its repositories whose lockfiles alone pull the package in."
    )
    via: list[ViaRead] = Field(description=VIA_DESCRIPTION)
    kinds: list[DependencyKind]


class OrganizationRepositoriesQuery(ListQuery):
    include_forks: bool = False
    include_archived: bool = False
