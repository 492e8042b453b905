"""Ingestion writes of dependencies: one statement per batch compares the wanted rows with the
stored ones inside the database (no stored rows travel to Python) and then deletes, updates by key
and plainly inserts: an ON CONFLICT insert and its speculative insertion cost about a third more
per row."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from app.models.dependency import DEPENDENCY_TYPES
from app.repositories.ingestion.base import Writes


@dataclass(frozen=True, slots=True)
class DependencyColumns:
    """Dependency rows as parallel columns, the shape unnest takes. What every row of one scanned
    repository shares (its id, source and commit) is sent once per repository, and each row
    names its repository by position, and its manifest by path; a key (repository_id,
    package_id, manifest_path) may appear more than once."""

    # One entry per scanned repository.
    repository_ids: list[int]
    sources: list[str]
    commit_shas: list[str | None]
    # One entry per row; `scans` is the position of the row's repository above, from 1.
    scans: list[int]
    package_ids: list[int]
    manifest_paths: list[str]
    requirements: list[str | None]
    versions: list[str | None]
    dependency_types: list[str]
    directs: list[bool | None]
    # Dependency.via: names separated by spaces, or None.
    vias: list[str | None]

    def __len__(self) -> int:
        return len(self.scans)


@dataclass(frozen=True, slots=True)
class DependencyScope:
    """Which stored rows a write of wanted rows may delete or update.

    Rows of the `replace` repositories that are not wanted are deleted, except those of
    `kept_paths` manifests, of packages other than `package_id` (when given) and of sources
    outside `deletable_sources` (when given). A stored row whose evidence differs from the
    wanted one is rewritten unless a `protected_sources` provider stored it.
    """

    replace: Sequence[int]
    kept_paths: Sequence[tuple[int, str]] = ()
    package_id: int | None = None
    protected_sources: Sequence[str] = ()
    deletable_sources: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class DependencyWrites:
    inserted: int
    updated: int
    deleted: int
    # Stored rows found changed; more than `updated` when one was deleted meanwhile.
    changed: int


_ROWS = (
    "unnest(CAST(:scans AS integer[]), CAST(:package_ids AS integer[]),"
    " CAST(:manifest_path_ids AS integer[]), CAST(:requirements AS varchar[]),"
    " CAST(:versions AS varchar[]), CAST(:dependency_types AS dependency_kind[]),"
    " CAST(:directs AS boolean[]), CAST(:vias AS text[])) WITH ORDINALITY"
    " AS r(scan, package_id, manifest_path_id, requirement, version, dependency_type, is_direct,"
    " via, position)"
)
_SCANS = (
    "unnest(CAST(:repository_ids AS integer[]), CAST(:sources AS varchar[]),"
    " CAST(:commit_shas AS varchar[])) WITH ORDINALITY"
    " AS s(repository_id, source, commit_sha, scan)"
)
# A manifest may name one package twice (a dev and a runtime entry, two spellings of one
# normalized name): the direct, most significant (then the first) declaration is kept.
_DECLARATION_RANK = (
    "w.is_direct IS NOT TRUE,"
    f" array_position(ARRAY[{', '.join(repr(kind) for kind in DEPENDENCY_TYPES)}],"
    " CAST(w.dependency_type AS text)), w.position"
)
_EVIDENCE = "requirement, version, dependency_type, is_direct, via, source, commit_sha"
_SAME_KEY = (
    "w.repository_id = d.repository_id AND w.package_id = d.package_id"
    " AND w.manifest_path_id = d.manifest_path_id"
)


# Existing paths are only read; the missing ones are inserted in order, so concurrent inserts
# of shared new paths wait on each other in one order.
_UPSERT_PATHS = text(
    "WITH k AS MATERIALIZED (SELECT unnest(CAST(:paths AS varchar[])) AS path),"
    " found AS MATERIALIZED (SELECT m.path, m.id FROM k JOIN manifest_paths m ON m.path = k.path),"
    " created AS (INSERT INTO manifest_paths (path)"
    "  SELECT path FROM k WHERE path NOT IN (SELECT path FROM found) ORDER BY path"
    "  ON CONFLICT (path) DO NOTHING RETURNING path, id)"
    " SELECT path, id FROM found UNION ALL SELECT path, id FROM created"
)
_PATH_IDS = text("SELECT path, id FROM manifest_paths WHERE path = ANY(CAST(:paths AS varchar[]))")


def _write_dependencies_sql(scope: DependencyScope) -> str:
    """One statement: the wanted rows meet the stored ones (one index probe each), then the
    unwanted rows are deleted, the changed ones updated and the missing ones inserted. Its
    data-modifying parts share one snapshot and touch disjoint rows."""
    deletable = ""
    if scope.package_id is not None:
        deletable += " AND d.package_id = CAST(:package_id AS integer)"
    if scope.deletable_sources is not None:
        deletable += " AND d.source = ANY(CAST(:deletable_sources AS varchar[]))"
    if scope.kept_paths:
        deletable += (
            " AND NOT EXISTS (SELECT FROM unnest(CAST(:kept_repository_ids AS integer[]),"
            "  CAST(:kept_path_ids AS integer[])) AS k(repository_id, manifest_path_id)"
            "  WHERE k.repository_id = d.repository_id"
            "  AND k.manifest_path_id = d.manifest_path_id)"
        )
    protected = ""
    if scope.protected_sources:
        protected = (
            " AND NOT coalesce(d.source = ANY(CAST(:protected_sources AS varchar[])), false)"
        )
    return (
        "WITH w AS (SELECT s.repository_id, r.package_id, r.manifest_path_id, r.requirement,"
        "  r.version, r.dependency_type, r.is_direct, r.via, s.source, s.commit_sha, r.position"
        f"  FROM {_ROWS} JOIN {_SCANS} ON s.scan = r.scan),"
        " wanted AS MATERIALIZED ("
        " SELECT DISTINCT ON (w.repository_id, w.package_id, w.manifest_path_id) w.*,"
        "  d.repository_id IS NOT NULL AS stored, d.repository_id IS NOT NULL AND"
        "  (d.requirement, d.version, d.dependency_type, d.is_direct, d.via, d.source,"
        "  d.commit_sha) IS DISTINCT FROM"
        "  (w.requirement, w.version, w.dependency_type, w.is_direct, w.via, w.source,"
        "  w.commit_sha)"
        f"{protected} AS changed"
        " FROM w"
        # LIMIT keeps this a probe of the primary key per wanted row, whatever the planner
        # believes about the table's size.
        " LEFT JOIN LATERAL (SELECT * FROM dependencies d WHERE d.repository_id = w.repository_id"
        "  AND d.package_id = w.package_id AND d.manifest_path_id = w.manifest_path_id"
        "  LIMIT 1) d ON true"
        f" ORDER BY w.repository_id, w.package_id, w.manifest_path_id, {_DECLARATION_RANK}),"
        " deleted AS (DELETE FROM dependencies d"
        f"  WHERE d.repository_id = ANY(CAST(:replace_ids AS integer[])){deletable}"
        f"  AND NOT EXISTS (SELECT FROM wanted w WHERE {_SAME_KEY}) RETURNING 1),"
        " updated AS (UPDATE dependencies d SET requirement = w.requirement,"
        "  version = w.version, dependency_type = w.dependency_type, is_direct = w.is_direct,"
        "  via = w.via, source = w.source, commit_sha = w.commit_sha, detected_at = :detected_at"
        f"  FROM wanted w WHERE w.changed AND {_SAME_KEY} RETURNING 1),"
        # Plain inserts: every missing row is inserted or the statement fails, so the count
        # comes from `wanted` and no row is returned.
        " inserted AS (INSERT INTO dependencies (repository_id, package_id, manifest_path_id,"
        f"  {_EVIDENCE}, detected_at)"
        f"  SELECT repository_id, package_id, manifest_path_id, {_EVIDENCE}, :detected_at"
        "  FROM wanted WHERE NOT stored)"
        " SELECT count(*) FILTER (WHERE changed) AS changed,"
        " count(*) FILTER (WHERE NOT stored) AS inserted,"
        " (SELECT count(*) FROM updated) AS updated, (SELECT count(*) FROM deleted) AS deleted"
        " FROM wanted"
    )


class DependencyWriter(Writes):
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
        kept = sorted(scope.kept_paths)
        path_ids = await self.manifest_path_ids([*rows.manifest_paths, *(path for _, path in kept)])
        result = await self._session.execute(
            text(_write_dependencies_sql(scope)),
            {
                "repository_ids": rows.repository_ids,
                "sources": rows.sources,
                "commit_shas": rows.commit_shas,
                "scans": rows.scans,
                "package_ids": rows.package_ids,
                "manifest_path_ids": [path_ids[path] for path in rows.manifest_paths],
                "requirements": rows.requirements,
                "versions": rows.versions,
                "dependency_types": rows.dependency_types,
                "directs": rows.directs,
                "vias": rows.vias,
                "detected_at": detected_at,
                "replace_ids": sorted(set(scope.replace)),
                "package_id": scope.package_id,
                "deletable_sources": scope.deletable_sources,
                "protected_sources": scope.protected_sources,
                "kept_repository_ids": [item[0] for item in kept],
                "kept_path_ids": [path_ids[item[1]] for item in kept],
            },
        )
        row = result.one()
        return DependencyWrites(row.inserted, row.updated, row.deleted, row.changed)

    async def manifest_path_ids(self, paths: Iterable[str]) -> dict[str, int]:
        """Ids by path, storing the paths not seen before. Known paths are only read: nearly
        every path of a batch is known, and a conflicting insert costs more than a lookup."""
        ordered = sorted(set(paths))
        if not ordered:
            return {}
        found = await self._session.execute(_UPSERT_PATHS, {"paths": ordered})
        ids = {path: id_ for path, id_ in found}
        missing = [path for path in ordered if path not in ids]
        if missing:
            # Another transaction committed these while this one waited on them above; a new
            # statement's snapshot sees them.
            found = await self._session.execute(_PATH_IDS, {"paths": missing})
            ids.update((path, id_) for path, id_ in found)
        return ids
