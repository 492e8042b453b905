"""Ingestion writes of repositories: bulk upserts on lower(full_name) over unnest arrays."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from app.repositories.ingestion.base import Writes


@dataclass(frozen=True, slots=True)
class RepositoryFields:
    full_name: str
    name: str
    owner: str
    github_url: str
    description: str | None
    stars: int
    primary_language: str | None
    default_branch: str | None
    is_fork: bool
    is_archived: bool
    pushed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScanState:
    scanned_at: datetime
    scan_error: str | None


_REPOSITORY_COLUMNS = (
    "organization_id, full_name, name, github_url, description, stars, primary_language,"
    " default_branch, is_fork, is_archived, pushed_at, scanned_at, scan_error"
)
_REPOSITORY_UNNEST = (
    "SELECT * FROM unnest(CAST(:organization_ids AS integer[]), CAST(:full_names AS varchar[]),"
    " CAST(:names AS varchar[]), CAST(:github_urls AS varchar[]),"
    " CAST(:descriptions AS text[]), CAST(:stars AS integer[]),"
    " CAST(:languages AS varchar[]), CAST(:branches AS varchar[]), CAST(:forks AS boolean[]),"
    " CAST(:archived AS boolean[]), CAST(:pushed AS timestamptz[]),"
    " CAST(:scanned AS timestamptz[]), CAST(:errors AS text[]))"
)
_REPOSITORY_METADATA = (
    "organization_id = excluded.organization_id, full_name = excluded.full_name,"
    " name = excluded.name, github_url = excluded.github_url,"
    " description = coalesce(excluded.description, r.description), stars = excluded.stars,"
    " primary_language = excluded.primary_language,"
    " default_branch = coalesce(excluded.default_branch, r.default_branch),"
    " is_fork = excluded.is_fork, is_archived = excluded.is_archived,"
    " pushed_at = coalesce(excluded.pushed_at, r.pushed_at), updated_at = now()"
)


class RepositoryWriter(Writes):
    async def upsert_repositories(
        self,
        rows: Sequence[tuple[int, RepositoryFields, ScanState | None]],
    ) -> dict[str, int]:
        """Ids by lower(full_name). Rows with a ScanState also record the scan; the others
        (metadata from a dependents listing) leave scanned_at and scan_error as they are."""
        ordered = sorted(rows, key=lambda row: row[1].full_name.lower())
        ids: dict[str, int] = {}
        for scanned in (True, False):
            part = [row for row in ordered if (row[2] is not None) == scanned]
            if part:
                ids.update(await self._upsert_repositories(part, scanned=scanned))
        return ids

    async def _upsert_repositories(
        self,
        rows: Sequence[tuple[int, RepositoryFields, ScanState | None]],
        *,
        scanned: bool,
    ) -> dict[str, int]:
        update = _REPOSITORY_METADATA
        if scanned:
            update += ", scanned_at = excluded.scanned_at, scan_error = excluded.scan_error"
        # Ids are identities, which an INSERT draws for every row it proposes: the existing
        # repositories are updated first, locked in name order as the plain upsert did, and only
        # the missing ones proposed, so a re-crawl draws no ids. ON CONFLICT settles a
        # repository another transaction inserted meanwhile.
        statement = text(
            f"WITH given ({_REPOSITORY_COLUMNS}) AS ({_REPOSITORY_UNNEST}),"
            " locked AS MATERIALIZED (SELECT r.id FROM given g JOIN repositories r"
            "  ON lower(r.full_name) = lower(g.full_name)"
            "  ORDER BY lower(r.full_name) FOR UPDATE OF r),"
            f" updated AS (UPDATE repositories AS r SET {update} FROM given AS excluded"
            "  WHERE lower(r.full_name) = lower(excluded.full_name)"
            "  AND r.id IN (SELECT id FROM locked)"
            "  RETURNING lower(r.full_name) AS key, r.id),"
            f" inserted AS (INSERT INTO repositories AS r ({_REPOSITORY_COLUMNS})"
            "  SELECT * FROM given g WHERE NOT EXISTS (SELECT FROM repositories e"
            "   WHERE lower(e.full_name) = lower(g.full_name))"
            f"  ON CONFLICT ((lower(full_name))) DO UPDATE SET {update}"
            "  RETURNING lower(r.full_name) AS key, r.id)"
            " SELECT key, id FROM updated UNION ALL SELECT key, id FROM inserted"
        )
        result = await self._session.execute(
            statement,
            {
                "organization_ids": [row[0] for row in rows],
                "full_names": [row[1].full_name for row in rows],
                "names": [row[1].name for row in rows],
                "github_urls": [row[1].github_url for row in rows],
                "descriptions": [row[1].description for row in rows],
                "stars": [row[1].stars for row in rows],
                "languages": [row[1].primary_language for row in rows],
                "branches": [row[1].default_branch for row in rows],
                "forks": [row[1].is_fork for row in rows],
                "archived": [row[1].is_archived for row in rows],
                "pushed": [row[1].pushed_at for row in rows],
                "scanned": [row[2].scanned_at if row[2] else None for row in rows],
                "errors": [row[2].scan_error if row[2] else None for row in rows],
            },
        )
        return {row.key: row.id for row in result}

    async def delete_missing_repositories(
        self, organization_id: int, keep: Sequence[str]
    ) -> dict[int, str]:
        """Delete the organization's repositories whose lower(full_name) is not in `keep`;
        returns the deleted ones' names by id."""
        result = await self._session.execute(
            text(
                "DELETE FROM repositories WHERE organization_id = :id"
                " AND lower(full_name) <> ALL(CAST(:keep AS varchar[])) RETURNING id, full_name"
            ),
            {"id": organization_id, "keep": sorted(keep)},
        )
        return {row.id: row.full_name for row in result}

    async def list_repository_ids(self, organization_id: int) -> list[int]:
        result = await self._session.execute(
            text("SELECT id FROM repositories WHERE organization_id = :id ORDER BY id"),
            {"id": organization_id},
        )
        return list(result.scalars())
