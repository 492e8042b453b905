"""store_scans: one row per (repository, package, manifest), what a re-scan keeps and drops."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.services.ingestion.rows import DependencyFacts, Mode, ScannedRepository, local_fields
from app.services.ingestion.writes import store_scans
from tests.services.ingestion.conftest import dependency_rows


def scan(
    *facts: DependencyFacts, mode: Mode = "replace", kept: tuple[str, ...] = ()
) -> ScannedRepository:
    scanned = ScannedRepository(local_fields("dup-org", "svc"), mode, "github", list(facts))
    scanned.commit_sha = "a" * 40
    scanned.kept_paths = kept
    return scanned


def npm(name: str, path: str, requirement: str, kind: str, direct: bool | None) -> DependencyFacts:
    return DependencyFacts("npm", name, path, requirement, None, kind, direct)


async def test_a_package_declared_twice_in_one_manifest_keeps_the_direct_most_significant(
    session: AsyncSession,
) -> None:
    stored = await store_scans(
        session,
        [
            scan(
                npm("a", "package.json", "^1", "development", True),
                npm("a", "package.json", "^2", "runtime", True),
                npm("a", "package.json", "^3", "runtime", True),
                npm("b", "package.json", "^1", "runtime", None),
                npm("b", "package.json", "^2", "peer", True),
                npm("b", "web/package.json", "^3", "optional", False),
            )
        ],
        datetime.now(UTC),
    )

    assert stored.rows_written == 3
    assert await dependency_rows(session) == [
        ("dup-org/svc", "npm", "a", "package.json", "^2", "runtime", True, "github"),
        ("dup-org/svc", "npm", "b", "package.json", "^2", "peer", True, "github"),
        ("dup-org/svc", "npm", "b", "web/package.json", "^3", "optional", False, "github"),
    ]


async def test_rescan_updates_changed_rows_and_drops_the_rest_except_kept_manifests(
    session: AsyncSession,
) -> None:
    now = datetime.now(UTC)
    await store_scans(
        session,
        [
            scan(
                npm("a", "package.json", "^1", "runtime", True),
                npm("b", "package.json", "^1", "runtime", True),
                npm("c", "web/package.json", "^1", "runtime", True),
            )
        ],
        now,
    )

    stored = await store_scans(
        session,
        [scan(npm("a", "package.json", "^2", "runtime", True), kept=("web/package.json",))],
        now,
    )
    merged = await store_scans(
        session, [scan(npm("d", "package.json", "^1", "runtime", True), mode="merge")], now
    )

    assert (stored.rows_written, merged.rows_written) == (1, 1)
    assert await dependency_rows(session) == [
        ("dup-org/svc", "npm", "a", "package.json", "^2", "runtime", True, "github"),
        ("dup-org/svc", "npm", "d", "package.json", "^1", "runtime", True, "github"),
        ("dup-org/svc", "npm", "c", "web/package.json", "^1", "runtime", True, "github"),
    ]
