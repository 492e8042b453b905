"""Contracts of an owner's funding signals: who already pays for open source, how to reach them."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

FundingSource = Literal["funding_yml", "ecosystems"]


class FundingLinkRead(BaseModel):
    url: str = Field(examples=["https://opencollective.com/acme"])
    platform: str = Field(
        description="The FUNDING.yml key: github, patreon, open_collective, ko_fi, tidelift, "
        "community_bridge, liberapay, issuehunt, otechie, lfx_crowdfunding, polar, "
        "buy_me_a_coffee, thanks_dev or custom.",
        examples=["open_collective"],
    )
    source: FundingSource = Field(
        description="`funding_yml`: the owner's FUNDING.yml read by wump; `ecosystems`: the "
        "FUNDING.yml of one of its repositories as ecosyste.ms reported it."
    )
    evidence: str = Field(
        description="The file (or repository) the link was read from.",
        examples=["https://github.com/acme/.github/blob/HEAD/.github/FUNDING.yml"],
    )
    observed_at: datetime


class Contact(BaseModel):
    website_url: str | None = None
    email: str | None = None
    twitter_username: str | None = None


class Sponsorship(BaseModel):
    """An owner's funding signals. Counts and the listing are None until GitHub was asked
    (`checked_at`, source GitHub's GraphQL API): unknown, not "no"."""

    sponsors_others: int | None = Field(
        default=None,
        description="How many projects or people it sponsors on GitHub now (the larger of "
        "GitHub's `sponsoring` and `sponsorshipsAsSponsor` counts).",
        examples=[12],
    )
    can_be_sponsored: bool | None = Field(
        default=None,
        description="It has a GitHub Sponsors listing or names funding links of its own.",
    )
    has_sponsors_listing: bool | None = None
    sponsorship_url: str | None = Field(
        default=None, description="Its Sponsors listing, else its first funding link."
    )
    is_verified: bool = Field(description="GitHub verified the organization's domain.")
    member_count: int | None = None
    funding_links: list[FundingLinkRead]
    contact: Contact
    checked_at: datetime | None = Field(
        default=None, description="When GitHub's GraphQL API last answered for this owner."
    )
    funding_error: str | None = Field(
        default=None, description="Why its FUNDING.yml could not be read at the last check."
    )


class ReadinessReason(BaseModel):
    text: str = Field(examples=["already sponsors 12 on GitHub Sponsors"])
    rule: str = Field(examples=["sponsors_others"])
    points: int = Field(examples=[40])


class Readiness(BaseModel):
    """How ready the organization looks to sponsor the package, 0-100: the sum of the points
    of the rules it meets (see `reasons`). Rules and points: already sponsors others on GitHub
    (40); has a Sponsors listing or funding links (10); 10 or more of its repositories use the
    package (20), else 3 or more (10); latest push within 30 days (15), else within 180 days
    (8); verified organization (10); a website, e-mail or Twitter account to write to (5)."""

    score: int = Field(ge=0, le=100, examples=[75])
    reasons: list[ReadinessReason]
