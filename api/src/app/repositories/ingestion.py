"""SQL of the ingestion write path: bulk upserts on natural keys with unnest arrays.

Every statement takes its keys sorted (callers sort; the arrays keep their order), so concurrent
jobs lock shared rows in one order and cannot deadlock on each other.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


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


@dataclass
class DependencyColumns:
    """Dependency rows as parallel columns, the shape unnest takes."""

    repository_ids: list[uuid.UUID] = field(default_factory=list)
    package_ids: list[uuid.UUID] = field(default_factory=list)
    manifest_paths: list[str] = field(default_factory=list)
    requirements: list[str | None] = field(default_factory=list)
    versions: list[str | None] = field(default_factory=list)
    dependency_types: list[str] = field(default_factory=list)
    directs: list[bool | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    commit_shas: list[str | None] = field(default_factory=list)
    detected_at: list[datetime] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.repository_ids)

    def params(self) -> dict[str, Any]:
        return {
            "repository_ids": self.repository_ids,
            "package_ids": self.package_ids,
            "manifest_paths": self.manifest_paths,
            "requirements": self.requirements,
            "versions": self.versions,
            "dependency_types": self.dependency_types,
            "directs": self.directs,
            "sources": self.sources,
            "commit_shas": self.commit_shas,
            "detected_at": self.detected_at,
        }


_UPSERT_ORGANIZATION = text(
    "WITH previous AS (SELECT owner_type FROM organizations WHERE lower(login) = lower(:login))"
    " INSERT INTO organizations AS o (login, owner_type, name, github_url, website_url,"
    " description, email, location, is_verified)"
    " VALUES (:login, :owner_type, :name, :github_url, :website_url, :description, :email,"
    " :location, :is_verified)"
    " ON CONFLICT ((lower(login))) DO UPDATE SET login = excluded.login,"
    " owner_type = excluded.owner_type, name = excluded.name,"
    " github_url = coalesce(excluded.github_url, o.github_url),"
    " website_url = excluded.website_url, description = excluded.description,"
    " email = excluded.email, location = excluded.location, is_verified = excluded.is_verified,"
    " updated_at = now()"
    " RETURNING o.id, (SELECT owner_type FROM previous) AS previous_owner_type"
)

_ENSURE_ORGANIZATIONS = text(
    "INSERT INTO organizations (login, owner_type, github_url)"
    " SELECT login, :owner_type, 'https://github.com/' || login"
    " FROM unnest(CAST(:logins AS varchar[])) AS k(login)"
    " ON CONFLICT ((lower(login))) DO NOTHING"
)

_ORGANIZATION_IDS = text(
    "SELECT lower(login) AS key, id FROM organizations"
    " WHERE lower(login) = ANY(CAST(:keys AS varchar[]))"
)

_REPOSITORY_COLUMNS = (
    "organization_id, full_name, name, github_url, description, stars, primary_language,"
    " default_branch, is_fork, is_archived, pushed_at, scanned_at, scan_error"
)
_REPOSITORY_UNNEST = (
    "SELECT * FROM unnest(CAST(:organization_ids AS uuid[]), CAST(:full_names AS varchar[]),"
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

_DEPENDENCY_UNNEST = (
    "SELECT * FROM unnest(CAST(:repository_ids AS uuid[]), CAST(:package_ids AS uuid[]),"
    " CAST(:manifest_paths AS varchar[]), CAST(:requirements AS varchar[]),"
    " CAST(:versions AS varchar[]), CAST(:dependency_types AS varchar[]),"
    " CAST(:directs AS boolean[]), CAST(:sources AS varchar[]),"
    " CAST(:commit_shas AS varchar[]), CAST(:detected_at AS timestamptz[]))"
)
_EVIDENCE = "requirement, version, dependency_type, is_direct, source, commit_sha"


class IngestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # Organizations

    async def upsert_organization(self, fields: OrganizationFields) -> tuple[uuid.UUID, str | None]:
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
    ) -> dict[str, uuid.UUID]:
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

    async def update_profile_extras(
        self,
        organization_id: uuid.UUID,
        *,
        has_sponsors_listing: bool | None,
        sponsoring_count: int | None,
        sponsorship_url: str | None,
        enriched_at: datetime,
    ) -> None:
        await self._session.execute(
            text(
                "UPDATE organizations SET has_sponsors_listing = :listing,"
                " sponsoring_count = :sponsoring, sponsorship_url = :url,"
                " enriched_at = :enriched_at, updated_at = now() WHERE id = :id"
            ),
            {
                "id": organization_id,
                "listing": has_sponsors_listing,
                "sponsoring": sponsoring_count,
                "url": sponsorship_url,
                "enriched_at": enriched_at,
            },
        )

    async def update_totals(self, organization_ids: Sequence[uuid.UUID]) -> None:
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
                "  FROM unnest(CAST(:ids AS uuid[])) AS k(id)"
                "  LEFT JOIN repositories r ON r.organization_id = k.id GROUP BY k.id) c"
                " WHERE o.id = c.id"
                " AND (o.total_repositories, o.total_stars) IS DISTINCT FROM (c.n, c.s)"
            ),
            {"ids": ids},
        )

    async def mark_crawled(self, organization_id: uuid.UUID, at: datetime) -> None:
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

    # Repositories

    async def upsert_repositories(
        self,
        rows: Sequence[tuple[uuid.UUID, RepositoryFields, ScanState | None]],
    ) -> dict[str, uuid.UUID]:
        """Ids by lower(full_name). Rows with a ScanState also record the scan; the others
        (metadata from a dependents listing) leave scanned_at and scan_error as they are."""
        ordered = sorted(rows, key=lambda row: row[1].full_name.lower())
        ids: dict[str, uuid.UUID] = {}
        for scanned in (True, False):
            part = [row for row in ordered if (row[2] is not None) == scanned]
            if part:
                ids.update(await self._upsert_repositories(part, scanned=scanned))
        return ids

    async def _upsert_repositories(
        self,
        rows: Sequence[tuple[uuid.UUID, RepositoryFields, ScanState | None]],
        *,
        scanned: bool,
    ) -> dict[str, uuid.UUID]:
        update = _REPOSITORY_METADATA
        if scanned:
            update += ", scanned_at = excluded.scanned_at, scan_error = excluded.scan_error"
        statement = text(
            f"INSERT INTO repositories AS r ({_REPOSITORY_COLUMNS}) {_REPOSITORY_UNNEST}"
            f" ON CONFLICT ((lower(full_name))) DO UPDATE SET {update}"
            " RETURNING lower(r.full_name) AS key, r.id"
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
        self, organization_id: uuid.UUID, keep: Sequence[str]
    ) -> list[uuid.UUID]:
        """Delete the organization's repositories whose lower(full_name) is not in `keep`."""
        result = await self._session.execute(
            text(
                "DELETE FROM repositories WHERE organization_id = :id"
                " AND lower(full_name) <> ALL(CAST(:keep AS varchar[])) RETURNING id"
            ),
            {"id": organization_id, "keep": sorted(keep)},
        )
        return list(result.scalars())

    async def list_repository_ids(self, organization_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self._session.execute(
            text("SELECT id FROM repositories WHERE organization_id = :id ORDER BY id"),
            {"id": organization_id},
        )
        return list(result.scalars())

    # Packages

    async def upsert_packages(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], uuid.UUID]:
        """Ids by (ecosystem, name), creating the packages not seen before."""
        ordered = sorted(set(keys))
        if not ordered:
            return {}
        params = {
            "ecosystems": [key[0] for key in ordered],
            "names": [key[1] for key in ordered],
        }
        await self._session.execute(
            text(
                "INSERT INTO packages (ecosystem, name)"
                " SELECT * FROM unnest(CAST(:ecosystems AS varchar[]), CAST(:names AS varchar[]))"
                " ON CONFLICT (ecosystem, name) DO NOTHING"
            ),
            params,
        )
        # A separate statement: its snapshot sees rows another transaction committed while
        # this one waited on them above.
        result = await self._session.execute(
            text(
                "SELECT p.id, p.ecosystem, p.name FROM packages p"
                " JOIN unnest(CAST(:ecosystems AS varchar[]), CAST(:names AS varchar[]))"
                " AS k(ecosystem, name) ON p.ecosystem = k.ecosystem AND p.name = k.name"
            ),
            params,
        )
        return {(row.ecosystem, row.name): row.id for row in result}

    async def lock_packages(
        self, repository_ids: Sequence[uuid.UUID], package_ids: Sequence[uuid.UUID]
    ) -> None:
        """Lock, in id order, every package whose read side the refresh of these repositories
        rewrites (the packages they used before and use now), so two jobs refreshing one
        package's rollup take turns instead of deadlocking or colliding on its rows."""
        await self._session.execute(
            text(
                "SELECT id FROM packages WHERE id IN ("
                " SELECT unnest(CAST(:package_ids AS uuid[]))"
                " UNION SELECT package_id FROM package_dependents"
                "  WHERE repository_id = ANY(CAST(:repository_ids AS uuid[])))"
                " ORDER BY id FOR NO KEY UPDATE"
            ),
            {"package_ids": sorted(set(package_ids)), "repository_ids": sorted(repository_ids)},
        )

    # Dependencies

    async def upsert_dependencies(
        self, rows: DependencyColumns, *, protected_sources: Sequence[str] = ()
    ) -> int:
        """Insert or update rows on (repository, package, manifest path); rows whose evidence
        is unchanged are not rewritten, nor rows from a `protected_sources` provider. Returns
        the rows written. The caller sorts the rows by their key."""
        if not len(rows):
            return 0
        guard = (
            " AND coalesce(d.source, '') <> ALL(CAST(:protected AS varchar[]))"
            if protected_sources
            else ""
        )
        result = await self._session.execute(
            text(
                f"INSERT INTO dependencies AS d (repository_id, package_id, manifest_path,"
                f" {_EVIDENCE}, detected_at) {_DEPENDENCY_UNNEST}"
                " ON CONFLICT (repository_id, package_id, manifest_path) DO UPDATE SET"
                " requirement = excluded.requirement, version = excluded.version,"
                " dependency_type = excluded.dependency_type, is_direct = excluded.is_direct,"
                " source = excluded.source, commit_sha = excluded.commit_sha,"
                " detected_at = excluded.detected_at, updated_at = now()"
                f" WHERE (d.{_EVIDENCE.replace(', ', ', d.')})"
                f" IS DISTINCT FROM (excluded.{_EVIDENCE.replace(', ', ', excluded.')})"
                f"{guard}"
            ),
            {**rows.params(), "protected": list(protected_sources)},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_stale_dependencies(
        self,
        repository_ids: Sequence[uuid.UUID],
        keep: DependencyColumns,
        *,
        kept_paths: Sequence[tuple[uuid.UUID, str]] = (),
        package_id: uuid.UUID | None = None,
        source: str | None = None,
    ) -> int:
        """Delete the rows of these repositories that are not in `keep`, except those of the
        manifests in `kept_paths`; `package_id` and `source` narrow what may be deleted."""
        if not repository_ids:
            return 0
        narrow = ""
        if package_id is not None:
            narrow += " AND d.package_id = :package_id"
        if source is not None:
            narrow += " AND d.source = :source"
        result = await self._session.execute(
            text(
                "DELETE FROM dependencies d"
                f" WHERE d.repository_id = ANY(CAST(:repositories AS uuid[])){narrow}"
                " AND NOT EXISTS (SELECT 1 FROM unnest(CAST(:repository_ids AS uuid[]),"
                "  CAST(:package_ids AS uuid[]), CAST(:manifest_paths AS varchar[]))"
                "  AS k(repository_id, package_id, manifest_path)"
                "  WHERE k.repository_id = d.repository_id AND k.package_id = d.package_id"
                "  AND k.manifest_path = d.manifest_path)"
                " AND NOT EXISTS (SELECT 1 FROM unnest(CAST(:kept_repositories AS uuid[]),"
                "  CAST(:kept_paths AS varchar[])) AS f(repository_id, manifest_path)"
                "  WHERE f.repository_id = d.repository_id AND f.manifest_path = d.manifest_path)"
            ),
            {
                "repositories": sorted(set(repository_ids)),
                "repository_ids": keep.repository_ids,
                "package_ids": keep.package_ids,
                "manifest_paths": keep.manifest_paths,
                "kept_repositories": [kept[0] for kept in kept_paths],
                "kept_paths": [kept[1] for kept in kept_paths],
                "package_id": package_id,
                "source": source,
            },
        )
        return int(getattr(result, "rowcount", 0) or 0)
