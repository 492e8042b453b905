"""Contracts of portfolios: the organizations using any of a maintainer's packages."""

from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.package import OutreachFilters, OwnerType
from app.schemas.pagination import ListQuery, Page
from app.schemas.sponsorship import Readiness, Sponsorship

PortfolioSort = Literal["packages", "repositories", "readiness", "name"]


class PortfolioQuery(OutreachFilters, ListQuery):
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
    archived repositories left out)."""

    login: str
    name: str | None = None
    owner_type: OwnerType
    github_url: str | None = None
    website_url: str | None = None
    package_count: int = Field(description="How many of the portfolio's packages it uses.")
    packages: list[str] = Field(description="Those packages' URLs, in order.")
    repository_count: int = Field(description="Its repositories using them, summed per package.")
    readiness: Readiness = Field(description="Its best readiness over those packages.")
    sponsorship: Sponsorship


class PortfolioPage(Page[PortfolioUserRead]):
    packages: list[str] = Field(description="The portfolio's packages wump knows, as purls.")
    unknown: list[str] = Field(
        default_factory=list, description="Package URLs that are malformed or not known."
    )
