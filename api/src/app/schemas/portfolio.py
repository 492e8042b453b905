"""Contracts of portfolios: the organizations using any of a maintainer's packages."""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.package import DependencyUse, OutreachFilters, OwnerType
from app.schemas.pagination import ListQuery, Page
from app.schemas.sponsorship import Readiness, Sponsorship

PortfolioSort = Literal["packages", "repositories", "readiness", "name"]


class PortfolioQuery(OutreachFilters, ListQuery):
    dependency: DependencyUse = Field(
        default="direct",
        description="Which uses count, per package as in a package's users list. `direct` (the "
        "default): organizations whose manifests declare at least one of the packages; the "
        "answer then also says, in `transitive_only_total`, how many more use the packages only "
        "transitively. `transitive`: organizations that use them only through other "
        "dependencies (none directly). `any`: both.",
    )
    sort: PortfolioSort = Field(
        default="packages",
        description="`packages` (how many of the portfolio's packages it uses), `repositories`, "
        "`readiness` (all descending) or `name` (login, A to Z).",
    )


class PortfolioRequest(BaseModel):
    purls: list[str] = Field(
        min_length=1,
        description="Package URLs (`pkg:npm/left-pad`), at most PORTFOLIO_MAX_PACKAGES; ones "
        "wump does not know come back under `unknown`.",
        examples=[["pkg:npm/left-pad", "pkg:pypi/httpx"]],
    )


class PortfolioUserRead(BaseModel):
    """One organization using packages of the portfolio, under the default filters (forks and
    archived repositories left out) and the `dependency` filter."""

    login: str
    name: str | None = None
    owner_type: OwnerType
    github_url: str | None = None
    website_url: str | None = None
    package_count: int = Field(
        description="How many of the portfolio's packages it uses, as `dependency` counts."
    )
    packages: list[str] = Field(description="Those packages' URLs, in order.")
    repository_count: int = Field(
        description="Its repositories using them as `dependency` counts, summed per package."
    )
    transitive_repository_count: int = Field(
        description="Its repositories that use one of the packages only transitively, summed "
        "per package."
    )
    transitive_packages: list[str] = Field(
        description="The packages it uses only transitively (in none of its repositories "
        "directly), as URLs, in order."
    )
    readiness: Readiness = Field(description="Its best readiness over those packages.")
    sponsorship: Sponsorship


class PortfolioPage(Page[PortfolioUserRead]):
    packages: list[str] = Field(description="The portfolio's packages wump knows, as purls.")
    unknown: list[str] = Field(
        default_factory=list, description="Package URLs that are malformed or not known."
    )
    transitive_only_total: int | None = Field(
        default=None,
        description="With `dependency=direct` (the default): how many more organizations, not "
        "listed, use the packages only transitively under the same filters; null with the "
        "other values, whose lists include them.",
    )
