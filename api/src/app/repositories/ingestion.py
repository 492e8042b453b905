"""SQL of the ingestion write path: bulk upserts on natural keys with unnest arrays.

Every statement takes its keys sorted (callers sort; the arrays keep their order), so concurrent
jobs lock shared rows in one order. Dependencies are written as a difference against the rows
read first (plain inserts, updates and deletes by id): an ON CONFLICT insert and its
speculative insertion cost about a third more per row.
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

    def key(self, index: int) -> tuple[uuid.UUID, uuid.UUID, str]:
        return (self.repository_ids[index], self.package_ids[index], self.manifest_paths[index])

    def evidence(self, index: int) -> tuple[object, ...]:
        return (
            self.requirements[index],
            self.versions[index],
            self.dependency_types[index],
            self.directs[index],
            self.sources[index],
            self.commit_shas[index],
        )

    def append_from(self, other: "DependencyColumns", index: int) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).append(getattr(other, name)[index])

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


@dataclass(frozen=True, slots=True)
class StoredDependency:
    id: uuid.UUID
    repository_id: uuid.UUID
    package_id: uuid.UUID
    manifest_path: str
    requirement: str | None
    version: str | None
    dependency_type: str
    is_direct: bool | None
    source: str | None
    commit_sha: str | None

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID, str]:
        return (self.repository_id, self.package_id, self.manifest_path)

    @property
    def evidence(self) -> tuple[object, ...]:
        return (
            self.requirement,
            self.version,
            self.dependency_type,
            self.is_direct,
            self.source,
            self.commit_sha,
        )


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

    async def list_dependencies(
        self, repository_ids: Sequence[uuid.UUID], *, package_id: uuid.UUID | None = None
    ) -> list[StoredDependency]:
        """The stored rows of these repositories (of one package, when given)."""
        if not repository_ids:
            return []
        narrow = " AND package_id = :package_id" if package_id is not None else ""
        result = await self._session.execute(
            text(
                f"SELECT id, repository_id, package_id, manifest_path, {_EVIDENCE}"
                " FROM dependencies WHERE repository_id = ANY(CAST(:ids AS uuid[]))"
                f"{narrow}"
            ),
            {"ids": sorted(set(repository_ids)), "package_id": package_id},
        )
        return [StoredDependency(*row) for row in result]

    async def insert_dependencies(self, rows: DependencyColumns) -> int:
        """Plain inserts (no ON CONFLICT: a row another transaction inserted meanwhile fails
        the statement with a unique violation, and the caller retries from a fresh read)."""
        if not len(rows):
            return 0
        await self._session.execute(
            text(
                "INSERT INTO dependencies (repository_id, package_id, manifest_path,"
                f" {_EVIDENCE}, detected_at) {_DEPENDENCY_UNNEST}"
            ),
            rows.params(),
        )
        return len(rows)

    async def update_dependencies(self, ids: Sequence[uuid.UUID], rows: DependencyColumns) -> int:
        """Rewrite the evidence of the rows `ids` (in the order of `rows`); returns how many
        rows still existed."""
        if not ids:
            return 0
        result = await self._session.execute(
            text(
                "UPDATE dependencies d SET requirement = k.requirement, version = k.version,"
                " dependency_type = k.dependency_type, is_direct = k.is_direct,"
                " source = k.source, commit_sha = k.commit_sha, detected_at = k.detected_at,"
                " updated_at = now()"
                " FROM (SELECT * FROM unnest(CAST(:ids AS uuid[]),"
                "  CAST(:requirements AS varchar[]), CAST(:versions AS varchar[]),"
                "  CAST(:dependency_types AS varchar[]), CAST(:directs AS boolean[]),"
                "  CAST(:sources AS varchar[]), CAST(:commit_shas AS varchar[]),"
                "  CAST(:detected_at AS timestamptz[])) AS u(id, requirement, version,"
                "  dependency_type, is_direct, source, commit_sha, detected_at)) k"
                " WHERE d.id = k.id"
            ),
            {
                "ids": list(ids),
                "requirements": rows.requirements,
                "versions": rows.versions,
                "dependency_types": rows.dependency_types,
                "directs": rows.directs,
                "sources": rows.sources,
                "commit_shas": rows.commit_shas,
                "detected_at": rows.detected_at,
            },
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_dependencies(self, ids: Sequence[uuid.UUID]) -> int:
        if not ids:
            return 0
        result = await self._session.execute(
            text("DELETE FROM dependencies WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": sorted(ids)},
        )
        return int(getattr(result, "rowcount", 0) or 0)
