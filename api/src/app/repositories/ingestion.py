"""SQL of the ingestion write path: bulk upserts on natural keys with unnest arrays.

Every statement takes or puts its keys in sorted order, so concurrent jobs lock shared rows in
one order. Dependencies are written by one statement per batch that compares the wanted rows
with the stored ones inside the database (no stored rows travel to Python) and then deletes,
updates by id and plainly inserts: an ON CONFLICT insert and its speculative insertion cost
about a third more per row.
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dependency import DEPENDENCY_TYPES


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


@dataclass(frozen=True, slots=True)
class DependencyColumns:
    """Dependency rows as parallel columns, the shape unnest takes; a key (repository_id,
    package_id, manifest_path) may appear more than once."""

    repository_ids: list[uuid.UUID]
    package_ids: list[uuid.UUID]
    manifest_paths: list[str]
    requirements: list[str | None]
    versions: list[str | None]
    dependency_types: list[str]
    directs: list[bool | None]
    sources: list[str]
    commit_shas: list[str | None]

    def __len__(self) -> int:
        return len(self.repository_ids)


@dataclass(frozen=True, slots=True)
class DependencyScope:
    """Which stored rows a write of wanted rows may delete or update.

    Rows of the `replace` repositories that are not wanted are deleted, except those of
    `kept_paths` manifests, of packages other than `package_id` (when given) and of sources
    outside `deletable_sources` (when given). A stored row whose evidence differs from the
    wanted one is rewritten unless a `protected_sources` provider stored it.
    """

    replace: Sequence[uuid.UUID]
    kept_paths: Sequence[tuple[uuid.UUID, str]] = ()
    package_id: uuid.UUID | None = None
    protected_sources: Sequence[str] = ()
    deletable_sources: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class DependencyWrites:
    inserted: int
    updated: int
    deleted: int
    # Stored rows found changed; more than `updated` when one was deleted meanwhile.
    changed: int


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

# Package ids come back as two arrays (positions in the keys given, ids): one row, rather than
# a row object per package.
_PACKAGE_KEYS = (
    "unnest(CAST(:ecosystems AS varchar[]), CAST(:names AS varchar[])) WITH ORDINALITY"
    " AS k(ecosystem, name, position)"
)
_PACKAGE_IDS = text(
    "SELECT array_agg(k.position) AS positions, array_agg(p.id) AS ids"
    f" FROM {_PACKAGE_KEYS} JOIN packages p ON p.ecosystem = k.ecosystem AND p.name = k.name"
)
# Existing packages are only read; the missing ones are inserted in key order, so concurrent
# inserts of shared new packages wait on each other in one order.
_UPSERT_PACKAGES = text(
    f"WITH k AS MATERIALIZED (SELECT * FROM {_PACKAGE_KEYS}),"
    " found AS MATERIALIZED (SELECT k.position, p.id FROM k"
    "  JOIN packages p ON p.ecosystem = k.ecosystem AND p.name = k.name),"
    " created AS (INSERT INTO packages (ecosystem, name)"
    "  SELECT k.ecosystem, k.name FROM k"
    "  WHERE NOT EXISTS (SELECT FROM found f WHERE f.position = k.position) ORDER BY k.position"
    "  ON CONFLICT (ecosystem, name) DO NOTHING RETURNING id, ecosystem, name)"
    " SELECT array_agg(position) AS positions, array_agg(id) AS ids FROM ("
    "  SELECT position, id FROM found UNION ALL SELECT k.position, c.id FROM created c"
    "  JOIN k ON k.ecosystem = c.ecosystem AND k.name = c.name) AS ids"
)

_DEPENDENCY_UNNEST = (
    "unnest(CAST(:repository_ids AS uuid[]), CAST(:package_ids AS uuid[]),"
    " CAST(:manifest_paths AS varchar[]), CAST(:requirements AS varchar[]),"
    " CAST(:versions AS varchar[]), CAST(:dependency_types AS varchar[]),"
    " CAST(:directs AS boolean[]), CAST(:sources AS varchar[]),"
    " CAST(:commit_shas AS varchar[])) WITH ORDINALITY"
    " AS w(repository_id, package_id, manifest_path, requirement, version, dependency_type,"
    " is_direct, source, commit_sha, position)"
)
# A manifest may name one package twice (a dev and a runtime entry, two spellings of one
# normalized name): the direct, most significant (then the first) declaration is kept.
_DECLARATION_RANK = (
    "w.is_direct IS NOT TRUE,"
    f" array_position(ARRAY[{', '.join(repr(kind) for kind in DEPENDENCY_TYPES)}],"
    " CAST(w.dependency_type AS text)), w.position"
)
_EVIDENCE = "requirement, version, dependency_type, is_direct, source, commit_sha"


def _write_dependencies_sql(scope: DependencyScope) -> str:
    """One statement: the wanted rows meet the stored ones (one index probe each), then the
    unwanted rows are deleted, the changed ones updated by id and the missing ones inserted.
    Its data-modifying parts share one snapshot and touch disjoint rows."""
    deletable = ""
    if scope.package_id is not None:
        deletable += " AND d.package_id = CAST(:package_id AS uuid)"
    if scope.deletable_sources is not None:
        deletable += " AND d.source = ANY(CAST(:deletable_sources AS varchar[]))"
    if scope.kept_paths:
        deletable += (
            " AND NOT EXISTS (SELECT FROM unnest(CAST(:kept_repository_ids AS uuid[]),"
            "  CAST(:kept_paths AS varchar[])) AS k(repository_id, manifest_path)"
            "  WHERE k.repository_id = d.repository_id AND k.manifest_path = d.manifest_path)"
        )
    protected = ""
    if scope.protected_sources:
        protected = (
            " AND NOT coalesce(d.source = ANY(CAST(:protected_sources AS varchar[])), false)"
        )
    return (
        "WITH wanted AS MATERIALIZED ("
        " SELECT DISTINCT ON (w.repository_id, w.package_id, w.manifest_path) w.*,"
        "  d.id AS stored_id, d.id IS NOT NULL AND"
        "  (d.requirement, d.version, d.dependency_type, d.is_direct, d.source, d.commit_sha)"
        "  IS DISTINCT FROM"
        "  (w.requirement, w.version, w.dependency_type, w.is_direct, w.source, w.commit_sha)"
        f"{protected} AS changed"
        f" FROM {_DEPENDENCY_UNNEST}"
        # LIMIT keeps this a probe of the unique index per wanted row, whatever the planner
        # believes about the table's size.
        " LEFT JOIN LATERAL (SELECT * FROM dependencies d WHERE d.repository_id = w.repository_id"
        "  AND d.package_id = w.package_id AND d.manifest_path = w.manifest_path LIMIT 1) d ON true"
        f" ORDER BY w.repository_id, w.package_id, w.manifest_path, {_DECLARATION_RANK}),"
        " deleted AS (DELETE FROM dependencies d"
        f"  WHERE d.repository_id = ANY(CAST(:replace_ids AS uuid[])){deletable}"
        "  AND NOT EXISTS (SELECT FROM wanted w WHERE w.stored_id = d.id) RETURNING d.id),"
        " updated AS (UPDATE dependencies d SET requirement = w.requirement,"
        "  version = w.version, dependency_type = w.dependency_type, is_direct = w.is_direct,"
        "  source = w.source, commit_sha = w.commit_sha, detected_at = :detected_at,"
        "  updated_at = now()"
        "  FROM wanted w WHERE d.id = w.stored_id AND w.changed RETURNING d.id),"
        " inserted AS (INSERT INTO dependencies (repository_id, package_id, manifest_path,"
        f"  {_EVIDENCE}, detected_at)"
        f"  SELECT repository_id, package_id, manifest_path, {_EVIDENCE}, :detected_at"
        "  FROM wanted WHERE stored_id IS NULL RETURNING id)"
        " SELECT (SELECT count(*) FROM wanted WHERE changed) AS changed,"
        " (SELECT count(*) FROM updated) AS updated, (SELECT count(*) FROM inserted) AS inserted,"
        " (SELECT count(*) FROM deleted) AS deleted"
    )


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
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], uuid.UUID]:
        """Ids by (ecosystem, name), creating the packages not seen before. Existing packages
        are only read: most of a batch's packages exist, and a conflicting insert costs more
        than a lookup."""
        ordered = sorted(set(keys))
        if not ordered:
            return {}
        params = {
            "ecosystems": [key[0] for key in ordered],
            "names": [key[1] for key in ordered],
        }
        row = (await self._session.execute(_UPSERT_PACKAGES, params)).one()
        ids = dict(zip([ordered[p - 1] for p in row.positions or ()], row.ids or (), strict=True))
        if len(ids) < len(ordered):
            # Another transaction committed these while this one waited on them above; a new
            # statement's snapshot sees them.
            missing = [key for key in ordered if key not in ids]
            row = (
                await self._session.execute(
                    _PACKAGE_IDS,
                    {
                        "ecosystems": [key[0] for key in missing],
                        "names": [key[1] for key in missing],
                    },
                )
            ).one()
            ids.update(
                zip([missing[p - 1] for p in row.positions or ()], row.ids or (), strict=True)
            )
        return ids

    async def lock_packages(
        self, repository_ids: Sequence[uuid.UUID], package_ids: Collection[uuid.UUID]
    ) -> None:
        """Lock, in id order, every package whose read side the refresh of these repositories
        rewrites (the packages their stored dependencies name, a superset of those they count
        for in the rollup, and the packages they use now), so two jobs refreshing one
        package's rollup take turns instead of deadlocking or colliding on its rows."""
        await self._session.execute(
            # Counted rather than returned: the locks are the point, not the ids.
            text(
                "SELECT count(*) FROM (SELECT id FROM packages WHERE id IN ("
                " SELECT unnest(CAST(:package_ids AS uuid[]))"
                " UNION SELECT package_id FROM dependencies"
                "  WHERE repository_id = ANY(CAST(:repository_ids AS uuid[])))"
                " ORDER BY id FOR NO KEY UPDATE) AS locked"
            ),
            {"package_ids": list(package_ids), "repository_ids": list(repository_ids)},
        )

    # Dependencies

    async def write_dependencies(
        self, rows: DependencyColumns, scope: DependencyScope, detected_at: datetime
    ) -> DependencyWrites:
        """Make the stored rows of `scope` the wanted `rows` (see DependencyScope); a wanted
        row is inserted when missing and rewritten (with `detected_at`) when its evidence
        changed. Inserts are plain (no ON CONFLICT): a row another transaction inserted meanwhile
        fails the statement with a unique violation, and the caller retries from a fresh
        snapshot, as it does when `updated` falls short of `changed`."""
        if not len(rows) and not scope.replace:
            return DependencyWrites(0, 0, 0, 0)
        kept = sorted(scope.kept_paths, key=lambda item: (item[0].int, item[1]))
        result = await self._session.execute(
            text(_write_dependencies_sql(scope)),
            {
                "repository_ids": rows.repository_ids,
                "package_ids": rows.package_ids,
                "manifest_paths": rows.manifest_paths,
                "requirements": rows.requirements,
                "versions": rows.versions,
                "dependency_types": rows.dependency_types,
                "directs": rows.directs,
                "sources": rows.sources,
                "commit_shas": rows.commit_shas,
                "detected_at": detected_at,
                "replace_ids": sorted(set(scope.replace), key=lambda id_: id_.int),
                "package_id": scope.package_id,
                "deletable_sources": scope.deletable_sources,
                "protected_sources": scope.protected_sources,
                "kept_repository_ids": [item[0] for item in kept],
                "kept_paths": [item[1] for item in kept],
            },
        )
        row = result.one()
        return DependencyWrites(row.inserted, row.updated, row.deleted, row.changed)
