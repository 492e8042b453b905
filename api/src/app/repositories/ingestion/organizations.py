"""Ingestion writes of organizations: upserts on lower(login), totals, crawl bookkeeping."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from app.repositories.ingestion.base import Writes


@dataclass(frozen=True, slots=True)
class OrganizationFields:
    login: str
    owner_type: str
    name: str | None = None
    github_url: str | None = None
    website_url: str | None = None
    description: str | None = None
    email: str | None = None
    location: str | None = None
    is_verified: bool = False


# Ids are identities: an INSERT draws one for every row it proposes, conflicting or not. Rows
# that exist are updated (or left) first, and only the missing ones proposed, so re-crawls draw
# no ids; ON CONFLICT still settles a concurrent insert of the same login.
_ORGANIZATION_PROFILE = (
    "owner_type = excluded.owner_type, name = excluded.name,"
    " github_url = coalesce(excluded.github_url, o.github_url),"
    " website_url = excluded.website_url, description = excluded.description,"
    " email = excluded.email, location = excluded.location, is_verified = excluded.is_verified,"
    " updated_at = now()"
)
_UPSERT_ORGANIZATION = text(
    "WITH given AS (SELECT CAST(:login AS varchar) AS login,"
    "  CAST(:owner_type AS varchar) AS owner_type, CAST(:name AS varchar) AS name,"
    "  CAST(:github_url AS varchar) AS github_url, CAST(:website_url AS varchar) AS website_url,"
    "  CAST(:description AS text) AS description, CAST(:email AS varchar) AS email,"
    "  CAST(:location AS varchar) AS location, CAST(:is_verified AS boolean) AS is_verified),"
    " previous AS (SELECT owner_type FROM organizations WHERE lower(login) = lower(:login)),"
    " updated AS (UPDATE organizations AS o SET login = excluded.login,"
    f"  {_ORGANIZATION_PROFILE} FROM given AS excluded"
    "  WHERE lower(o.login) = lower(excluded.login) RETURNING o.id),"
    " inserted AS (INSERT INTO organizations AS o (login, owner_type, name, github_url,"
    "  website_url, description, email, location, is_verified)"
    "  SELECT * FROM given WHERE NOT EXISTS (SELECT FROM updated)"
    "  ON CONFLICT ((lower(login))) DO UPDATE SET login = excluded.login,"
    f"  {_ORGANIZATION_PROFILE} RETURNING o.id)"
    " SELECT id, (SELECT owner_type FROM previous) AS previous_owner_type"
    " FROM (SELECT id FROM updated UNION ALL SELECT id FROM inserted) AS written"
)

_ENSURE_ORGANIZATIONS = text(
    "INSERT INTO organizations (login, owner_type, github_url)"
    " SELECT login, :owner_type, 'https://github.com/' || login"
    " FROM unnest(CAST(:logins AS varchar[])) AS k(login)"
    " WHERE NOT EXISTS (SELECT FROM organizations o WHERE lower(o.login) = lower(k.login))"
    " ON CONFLICT ((lower(login))) DO NOTHING"
)

_ORGANIZATION_IDS = text(
    "SELECT lower(login) AS key, id FROM organizations"
    " WHERE lower(login) = ANY(CAST(:keys AS varchar[]))"
)


class OrganizationWriter(Writes):
    async def upsert_organization(self, fields: OrganizationFields) -> tuple[int, str | None]:
        """The organization's id and its owner type before this write (None when new)."""
        result = await self._session.execute(
            _UPSERT_ORGANIZATION,
            {
                "login": fields.login,
                "owner_type": fields.owner_type,
                "name": fields.name,
                "github_url": fields.github_url,
                "website_url": fields.website_url,
                "description": fields.description,
                "email": fields.email,
                "location": fields.location,
                "is_verified": fields.is_verified,
            },
        )
        row = result.one()
        return row.id, row.previous_owner_type

    async def ensure_organizations(
        self, logins: Sequence[str], owner_type: str = "organization"
    ) -> dict[str, int]:
        """Ids by lower(login); missing organizations get a minimal row, existing ones are left
        as they are (their profile is better than a login alone)."""
        by_key = {login.lower(): login for login in logins}
        keys = sorted(by_key)
        if not keys:
            return {}
        await self._session.execute(
            _ENSURE_ORGANIZATIONS,
            {"logins": [by_key[key] for key in keys], "owner_type": owner_type},
        )
        result = await self._session.execute(_ORGANIZATION_IDS, {"keys": keys})
        return {row.key: row.id for row in result}

    async def update_totals(self, organization_ids: Sequence[int]) -> None:
        """Recount each organization's stored repositories and their stars."""
        ids = sorted(set(organization_ids))
        if not ids:
            return
        await self._session.execute(
            text(
                "UPDATE organizations o SET total_repositories = c.n, total_stars = c.s,"
                " updated_at = now()"
                " FROM (SELECT k.id, count(r.id) AS n,"
                "   least(coalesce(sum(r.stars), 0), 2147483647) AS s"
                "  FROM unnest(CAST(:ids AS integer[])) AS k(id)"
                "  LEFT JOIN repositories r ON r.organization_id = k.id GROUP BY k.id) c"
                " WHERE o.id = c.id"
                " AND (o.total_repositories, o.total_stars) IS DISTINCT FROM (c.n, c.s)"
            ),
            {"ids": ids},
        )

    async def mark_crawled(self, organization_id: int, at: datetime) -> None:
        await self._session.execute(
            text("UPDATE organizations SET crawled_at = :at WHERE id = :id"),
            {"id": organization_id, "at": at},
        )

    async def list_stale(self, cutoff: datetime, limit: int) -> list[str]:
        result = await self._session.execute(
            text(
                "SELECT login FROM organizations WHERE crawled_at < :cutoff"
                " ORDER BY crawled_at, id LIMIT :limit"
            ),
            {"cutoff": cutoff, "limit": limit},
        )
        return list(result.scalars())
