"""Funding signals of owners: gathered from the providers, stored with their evidence."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProviderBadResponse, ProviderForbidden, ProviderUnavailable
from app.core.logging import get_logger
from app.core.readiness import Rule, met, score
from app.providers.base import (
    DependentRepository,
    FundingFile,
    FundingLink,
    OrganizationSource,
    SponsorshipSignals,
)
from app.repositories.funding import FundingRepository, SponsorshipColumns

log = get_logger(__name__)

# Evidence sources of a funding link or signal.
SOURCE_GRAPHQL = "github_graphql"
SOURCE_FUNDING_FILE = "funding_yml"
SOURCE_ECOSYSTEMS = "ecosystems"
# Failures that leave one owner's signals unknown without stopping the work around them.
SIGNAL_ERRORS = (ProviderBadResponse, ProviderForbidden, ProviderUnavailable)


@dataclass
class OwnerSignals:
    """What the providers said about one owner; a part that failed stays unknown (None) and
    its reason is in `problems`."""

    login: str
    sponsorship: SponsorshipSignals | None = None
    funding_file: FundingFile | None = None
    funding_file_checked: bool = False
    problems: list[str] = field(default_factory=list)


def link_record(
    link: FundingLink, source: str, evidence: str, observed_at: datetime
) -> dict[str, Any]:
    return {
        "platform": link.platform,
        "url": link.url,
        "source": source,
        "evidence": evidence,
        "observed_at": observed_at.isoformat(),
    }


async def gather_signals(source: OrganizationSource, login: str) -> OwnerSignals:
    """Ask GitHub for the owner's sponsorship fields and its FUNDING.yml. Rate limits and bad
    credentials propagate; other failures are recorded in `problems`."""
    signals = OwnerSignals(login)
    try:
        signals.sponsorship = await source.get_sponsorship(login)
    except SIGNAL_ERRORS as error:
        signals.problems.append(f"sponsorship signals: {error.detail}")
    try:
        signals.funding_file = await source.get_funding_file(login)
        signals.funding_file_checked = True
    except SIGNAL_ERRORS as error:
        signals.problems.append(f"FUNDING.yml: {error.detail}")
    if signals.funding_file is not None and signals.funding_file.error is not None:
        signals.problems.append(signals.funding_file.error)
    for problem in signals.problems:
        log.warning("enrich.signals.failed", login=login, reason=problem[:500])
    return signals


def _sponsorship_url(login: str, signals: OwnerSignals) -> str | None:
    """Where to send a sponsor: the Sponsors listing, else the first FUNDING.yml link."""
    sponsorship = signals.sponsorship
    if sponsorship is not None and sponsorship.has_sponsors_listing:
        return (sponsorship.sponsors_listing_url or f"https://github.com/sponsors/{login}")[:500]
    if signals.funding_file is not None and signals.funding_file.links:
        return signals.funding_file.links[0].url[:500]
    return None


async def store_signals(
    session: AsyncSession, organization_id: int, signals: OwnerSignals, now: datetime
) -> None:
    """Write what was gathered; unknown parts leave the stored values alone."""
    repository = FundingRepository(session)
    sponsorship = signals.sponsorship
    url = _sponsorship_url(signals.login, signals)
    if sponsorship is not None:
        columns = SponsorshipColumns(
            has_sponsors_listing=sponsorship.has_sponsors_listing,
            sponsorship_url=url,
            sponsoring_count=sponsorship.sponsoring_count,
            sponsorships_as_sponsor=sponsorship.sponsorships_as_sponsor,
            sponsors_count=sponsorship.sponsors_count,
            # Users have no verification: keep what the REST profile said.
            is_verified=sponsorship.is_verified or None,
            website_url=sponsorship.website,
            email=sponsorship.email,
            twitter_username=sponsorship.twitter_username,
            member_count=sponsorship.member_count,
        )
        await repository.update_sponsorship(organization_id, columns, now)
    elif url is not None:
        await repository.update_sponsorship_url(organization_id, url)
    if signals.funding_file_checked:
        found = signals.funding_file
        links = (
            [link_record(link, SOURCE_FUNDING_FILE, found.url, now) for link in found.links]
            if found is not None
            else []
        )
        await repository.replace_links(
            organization_id,
            SOURCE_FUNDING_FILE,
            links,
            error=found.error if found is not None else None,
            set_error=True,
        )


def listing_links(
    repositories: Iterable[DependentRepository], now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """The funding links a dependents listing reported, per lower-cased owner login."""
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for repository in repositories:
        if not repository.funding_links:
            continue
        evidence = repository.html_url or f"https://github.com/{repository.full_name}"
        records = by_owner.setdefault(repository.owner.lower(), [])
        seen = {record["url"] for record in records}
        for link in repository.funding_links:
            if link.url not in seen:
                seen.add(link.url)
                records.append(link_record(link, SOURCE_ECOSYSTEMS, evidence, now))
    return by_owner


async def store_listing_links(
    session: AsyncSession,
    owners: dict[str, int],
    links: dict[str, list[dict[str, Any]]],
) -> Sequence[int]:
    """Merge the listing's links into their owners' rows; returns the owners changed."""
    by_id = {owners[login]: records for login, records in links.items() if login in owners}
    await FundingRepository(session).merge_links(SOURCE_ECOSYSTEMS, by_id)
    return sorted(by_id)


def sponsorship_fields(owner: Any) -> dict[str, Any]:
    """The API's view of an owner's signals (a `Sponsorship`, as the fields its answer validates
    at once), from an Organization or a row with its columns."""
    counts = [c for c in (owner.sponsoring_count, owner.sponsorships_as_sponsor) if c is not None]
    links = owner.funding_links or []
    return {
        "sponsors_others": max(counts) if counts else None,
        "can_be_sponsored": True if links else owner.has_sponsors_listing,
        "has_sponsors_listing": owner.has_sponsors_listing,
        "sponsorship_url": owner.sponsorship_url,
        "is_verified": bool(owner.is_verified),
        "member_count": owner.member_count,
        "funding_links": links,
        "contact": {
            "website_url": owner.website_url,
            "email": owner.email,
            "twitter_username": owner.twitter_username,
        },
        "checked_at": owner.sponsorship_checked_at,
        "funding_error": owner.funding_error,
    }


def _reason(rule: Rule, row: Any, now: datetime) -> str:
    """The reason a rule was met, worded with the row's current values."""
    match rule.name:
        case "sponsors_others":
            counts = (row.sponsoring_count or 0, row.sponsorships_as_sponsor or 0)
            return f"already sponsors {max(counts)} on GitHub Sponsors"
        case "can_be_sponsored":
            if row.has_sponsors_listing:
                return "has a GitHub Sponsors listing"
            return "publishes funding links"
        case "many_repositories" | "several_repositories":
            return f"{row.repository_count} repositories use it"
        case "pushed_recently" | "pushed_this_half_year":
            if row.latest_push is None:
                return "pushed recently"
            days = max(0, (now - row.latest_push).days)
            return "pushed today" if days == 0 else f"pushed {days} days ago"
        case "verified":
            return "verified organization"
        case _:
            ways = [
                label
                for label, value in (
                    ("website", row.website_url),
                    ("e-mail", row.email),
                    ("Twitter", row.twitter_username),
                )
                if value
            ]
            return "reachable by " + ", ".join(ways) if ways else "reachable"


def readiness_fields(row: Any, now: datetime) -> dict[str, Any]:
    """The score and reasons of a users-list row (`readiness_rules` and the owner's signals),
    as the fields of a `Readiness` its answer validates at once."""
    rules = int(row.readiness_rules)
    return {
        "score": score(rules),
        "reasons": [
            {"text": _reason(rule, row, now), "rule": rule.name, "points": rule.points}
            for rule in met(rules)
        ],
    }
