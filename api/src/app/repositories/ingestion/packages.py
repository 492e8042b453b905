"""Ingestion writes of packages: read the known ones, insert the missing ones in key order."""

from collections.abc import Collection, Sequence

from sqlalchemy import text

from app.repositories.ingestion.base import Writes

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


class PackageWriter(Writes):
    async def upsert_packages(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
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
        self, repository_ids: Sequence[int], package_ids: Collection[int]
    ) -> None:
        """Lock, in id order, every package whose read side the refresh of these repositories
        rewrites (the packages their stored dependencies name, a superset of those they count
        for in the rollup, and the packages they use now), so two jobs refreshing one
        package's rollup take turns instead of deadlocking or colliding on its rows."""
        await self._session.execute(
            # Counted rather than returned: the locks are the point, not the ids.
            text(
                "SELECT count(*) FROM (SELECT id FROM packages WHERE id IN ("
                " SELECT unnest(CAST(:package_ids AS integer[]))"
                " UNION SELECT package_id FROM dependencies"
                "  WHERE repository_id = ANY(CAST(:repository_ids AS integer[])))"
                " ORDER BY id FOR NO KEY UPDATE) AS locked"
            ),
            {"package_ids": list(package_ids), "repository_ids": list(repository_ids)},
        )
