"""SQL of owners' funding signals: GitHub's sponsorship fields and funding links with evidence."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class SponsorshipColumns:
    """GitHub's GraphQL answer for one owner, as stored; None fields keep what is stored."""

    has_sponsors_listing: bool
    sponsorship_url: str | None
    sponsoring_count: int
    sponsorships_as_sponsor: int
    sponsors_count: int
    is_verified: bool | None
    website_url: str | None
    email: str | None
    twitter_username: str | None
    member_count: int | None


class FundingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def update_sponsorship(
        self, organization_id: int, columns: SponsorshipColumns, checked_at: datetime
    ) -> None:
        await self._session.execute(
            text(
                "UPDATE organizations SET has_sponsors_listing = :listing,"
                " sponsorship_url = :url, sponsoring_count = :sponsoring,"
                " sponsorships_as_sponsor = :as_sponsor, sponsors_count = :sponsors,"
                " is_verified = coalesce(:verified, is_verified),"
                " website_url = coalesce(:website, website_url),"
                " email = coalesce(:email, email),"
                " twitter_username = coalesce(:twitter, twitter_username),"
                " member_count = coalesce(:members, member_count),"
                " sponsorship_checked_at = :checked_at, updated_at = now()"
                " WHERE id = :id"
            ),
            {
                "id": organization_id,
                "listing": columns.has_sponsors_listing,
                "url": columns.sponsorship_url,
                "sponsoring": columns.sponsoring_count,
                "as_sponsor": columns.sponsorships_as_sponsor,
                "sponsors": columns.sponsors_count,
                "verified": columns.is_verified,
                "website": columns.website_url,
                "email": columns.email,
                "twitter": columns.twitter_username,
                "members": columns.member_count,
                "checked_at": checked_at,
            },
        )

    async def mark_enriched(self, organization_id: int, at: datetime) -> None:
        await self._session.execute(
            text("UPDATE organizations SET enriched_at = :at WHERE id = :id"),
            {"id": organization_id, "at": at},
        )

    async def list_unenriched(self, cutoff: datetime, limit: int) -> list[str]:
        """Owners no crawl refreshes (never crawled) whose last enrichment is older than
        `cutoff` or missing, the oldest first."""
        result = await self._session.execute(
            text(
                "SELECT login FROM organizations WHERE crawled_at IS NULL"
                " AND (enriched_at IS NULL OR enriched_at < :cutoff)"
                " ORDER BY enriched_at NULLS FIRST, id LIMIT :limit"
            ),
            {"cutoff": cutoff, "limit": limit},
        )
        return list(result.scalars())

    async def update_sponsorship_url(self, organization_id: int, url: str) -> None:
        await self._session.execute(
            text(
                "UPDATE organizations SET sponsorship_url = :url, updated_at = now() WHERE id = :id"
            ),
            {"id": organization_id, "url": url},
        )

    async def replace_links(
        self,
        organization_id: int,
        source: str,
        links: Sequence[Mapping[str, Any]],
        *,
        error: str | None = None,
        set_error: bool = False,
    ) -> None:
        """Replace the owner's links from `source` with `links` (the other sources' stay); with
        `set_error`, `funding_error` becomes `error`."""
        await self._session.execute(
            text(
                "UPDATE organizations SET funding_links = coalesce(("
                "  SELECT jsonb_agg(link) FROM jsonb_array_elements(funding_links) AS link"
                "  WHERE link->>'source' <> :source), '[]'::jsonb) || CAST(:links AS jsonb),"
                " funding_error = CASE WHEN :set_error THEN CAST(:error AS text)"
                "  ELSE funding_error END,"
                " updated_at = now() WHERE id = :id"
            ),
            {
                "id": organization_id,
                "source": source,
                "links": json.dumps(list(links)),
                "error": error,
                "set_error": set_error,
            },
        )

    async def merge_links(
        self, source: str, links_by_owner: Mapping[int, Sequence[Mapping[str, Any]]]
    ) -> None:
        """Add each owner's links from `source`, replacing a stored link from that source with
        the same URL (its evidence and time move on); links seen before stay."""
        for organization_id in sorted(links_by_owner):
            links = links_by_owner[organization_id]
            if not links:
                continue
            await self._session.execute(
                text(
                    "UPDATE organizations SET funding_links = coalesce(("
                    "  SELECT jsonb_agg(link) FROM jsonb_array_elements(funding_links) AS link"
                    "  WHERE NOT (link->>'source' = :source AND link->>'url' IN ("
                    "   SELECT l->>'url' FROM jsonb_array_elements(CAST(:links AS jsonb)) AS l))"
                    " ), '[]'::jsonb) || CAST(:links AS jsonb), updated_at = now()"
                    " WHERE id = :id"
                ),
                {"id": organization_id, "source": source, "links": json.dumps(list(links))},
            )
