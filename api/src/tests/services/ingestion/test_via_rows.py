"""Dependency rows of transitive packages keep their via: normalized, rewritten on a re-scan."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.manifests import parse
from app.models import Dependency, ManifestPath, Package
from app.services.ingestion.rows import ScannedRepository, facts_from_manifest, local_fields
from app.services.ingestion.writes import store_scans


def uv_lock(dev_chain: list[str]) -> bytes:
    """proj needs Flask; its dev group needs the first package of `dev_chain`, each of which
    needs the next and the last MarkupSafe; Flask needs Jinja2, which needs MarkupSafe."""
    edges = {"Flask": ["Jinja2"], "Jinja2": ["MarkupSafe"], "MarkupSafe": []}
    for name, following in zip(dev_chain, [*dev_chain[1:], None], strict=True):
        edges[name] = [following] if following else ["MarkupSafe"]
    blocks = [
        '[[package]]\nname = "proj"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "Flask" }]\n\n'
        f'[package.dev-dependencies]\ndev = [{{ name = "{dev_chain[0]}" }}]\n'
    ]
    for name, targets in edges.items():
        deps = ", ".join(f'{{ name = "{t}" }}' for t in targets)
        blocks.append(f'[[package]]\nname = "{name}"\nversion = "1.0.0"\ndependencies = [{deps}]\n')
    return ("version = 1\n\n" + "\n".join(blocks)).encode()


def scanned(lock: bytes) -> ScannedRepository:
    facts = facts_from_manifest(parse(lock, "uv.lock").dependencies)
    return ScannedRepository(local_fields("via-org", "svc"), "replace", "local", facts)


async def stored(session: AsyncSession) -> dict[str, tuple[bool | None, str | None, str]]:
    result = await session.execute(
        select(Package.name, Dependency.is_direct, Dependency.via, Dependency.dependency_type)
        .join(Package, Package.id == Dependency.package_id)
        .join(ManifestPath, ManifestPath.id == Dependency.manifest_path_id)
        .where(ManifestPath.path == "uv.lock")
    )
    return {name: (direct, via, kind) for name, direct, via, kind in result}


async def test_transitive_rows_store_normalized_via_and_direct_rows_none(
    session: AsyncSession,
) -> None:
    await store_scans(session, [scanned(uv_lock(["Sphinx_Docs"]))], datetime.now(UTC))

    assert await stored(session) == {
        "flask": (True, None, "runtime"),
        "sphinx-docs": (True, None, "development"),
        "jinja2": (False, "flask", "runtime"),
        "markupsafe": (False, "sphinx-docs flask", "runtime"),
    }


async def test_rescan_rewrites_a_changed_via(session: AsyncSession) -> None:
    now = datetime.now(UTC)
    await store_scans(session, [scanned(uv_lock(["sphinx"]))], now)

    rewritten = await store_scans(session, [scanned(uv_lock(["mkdocs"]))], now)

    assert (await stored(session))["markupsafe"] == (False, "mkdocs flask", "runtime")
    # mkdocs replaces sphinx; markupsafe's row changes only its via, and is rewritten.
    assert rewritten.rows_written == 2
