"""SQL of the synthetic dataset loader: COPY in, and the session settings a bulk load wants."""

from collections.abc import AsyncIterable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Constraint, Index, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.schema import AddConstraint, DropConstraint

from app.models import (
    Dependency,
    Organization,
    PackageDependent,
    PackageKindUsage,
    PackageUsage,
)

# The source tables a seed fills, and the tables derived from them.
SEEDED_TABLES = ("organizations", "repositories", "packages", "dependencies")
DERIVED_TABLES = ("package_dependents", "package_usage", "package_kind_usage", "ecosystem_stats")
# News about the data a reset replaces, and the deliveries of that news: they name its
# organizations and packages. Webhook subscriptions and API keys stay.
EVENT_TABLES = ("usage_events", "webhook_deliveries", "webhook_attempts")


class SeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def has_data(self) -> bool:
        result = await self._session.execute(select(Organization.id).limit(1))
        return result.first() is not None

    async def truncate(self) -> None:
        tables = ", ".join((*SEEDED_TABLES, *DERIVED_TABLES, *EVENT_TABLES))
        await self._session.execute(text(f"TRUNCATE {tables}"))

    async def tune_for_bulk_load(self) -> None:
        # Transaction-local: large sorts and index builds in memory rather than on disk.
        for statement in (
            "SET LOCAL work_mem = '512MB'",
            "SET LOCAL maintenance_work_mem = '1GB'",
            "SET LOCAL synchronous_commit = off",
        ):
            await self._session.execute(text(statement))

    async def copy(
        self, table: str, columns: Sequence[str], records: AsyncIterable[tuple[Any, ...]]
    ) -> None:
        """COPY rows in through the session's own connection (binary protocol)."""
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(table, records=records, columns=list(columns))

    async def continue_identities(self, tables: Sequence[str]) -> None:
        """Rows COPYed in with their ids: each table's next id follows its largest."""
        for table in tables:
            await self._session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce(max(id), 0) + 1, false) FROM {table}"
                )
            )

    async def drop_bulk_constraints(self) -> None:
        """Drop what a bulk load would otherwise check or update row by row: the plain indexes,
        the foreign keys and key of dependencies, the keys of the derived tables."""
        connection = await self._session.connection()
        for constraint in _bulk_constraints():
            await connection.execute(DropConstraint(constraint, if_exists=True))
        for index in _secondary_indexes():
            await connection.run_sync(_drop, index)

    async def create_bulk_constraints(self) -> None:
        """Put them back; each is built or validated in one pass over the loaded rows."""
        connection = await self._session.connection()
        for constraint in _bulk_constraints():
            await connection.execute(AddConstraint(constraint))
        for index in _secondary_indexes():
            await connection.run_sync(_create, index)

    async def split_packages(self, parts: int) -> list[int]:
        """Package ids that cut the packages into `parts` ranges of about equal size."""
        total = await self._session.scalar(text("SELECT count(*) FROM packages")) or 0
        bounds = []
        for part in range(1, parts):
            bound = await self._session.scalar(
                text("SELECT id FROM packages ORDER BY id OFFSET :skip LIMIT 1"),
                {"skip": total * part // parts},
            )
            if bound is not None and bound not in bounds:
                bounds.append(bound)
        return bounds

    async def analyze(self, tables: Sequence[str]) -> None:
        """Statistics for freshly loaded tables, so the rebuild queries get sane plans."""
        await self._session.execute(text(f"ANALYZE {', '.join(tables)}"))


def _bulk_constraints() -> list[Constraint]:
    dependencies = cast(Table, Dependency.__table__)
    derived = [
        cast(Table, model.__table__) for model in (PackageDependent, PackageUsage, PackageKindUsage)
    ]
    return [
        *dependencies.foreign_key_constraints,
        *(cast(Constraint, table.primary_key) for table in (dependencies, *derived)),
    ]


def _secondary_indexes() -> list[Index]:
    tables = [
        cast(Table, model.__table__)
        for model in (Dependency, PackageDependent, PackageUsage, PackageKindUsage)
    ]
    return [index for table in tables for index in table.indexes if not index.unique]


def _drop(connection: Connection, index: Index) -> None:
    index.drop(connection, checkfirst=True)


def _create(connection: Connection, index: Index) -> None:
    index.create(connection, checkfirst=True)


async def vacuum_analyze(engine: AsyncEngine, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) outside a transaction: fresh statistics and a visibility map, so the
    covering indexes answer with index-only scans."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await autocommit.execute(text(f"VACUUM (ANALYZE) {table}"))
