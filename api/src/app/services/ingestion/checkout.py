"""Local checkouts: store the manifests of a directory as one repository (source "local")."""

import asyncio
from pathlib import Path

from app.services.ingestion.report import IngestReport, RepositoryFailure
from app.services.ingestion.rows import ScannedRepository, facts_from_manifest, local_fields
from app.services.ingestion.writes import Writer
from app.services.manifest import ManifestService


async def ingest_checkout(
    manifests: ManifestService, writer: Writer, login: str, repository: str, directory: Path
) -> IngestReport:
    result = await asyncio.to_thread(manifests.scan, directory)
    fields = local_fields(login, repository)
    scan = ScannedRepository(fields, "replace", "local")
    for manifest in result.results:
        scan.dependencies.extend(facts_from_manifest(manifest.dependencies))
    scan.kept_paths = tuple(error.path for error in result.errors)
    if result.errors:
        first = "; ".join(f"{e.path}: {e.reason}" for e in result.errors[:10])
        more = f" (and {len(result.errors) - 10} more)" if len(result.errors) > 10 else ""
        scan.scan_error = f"{len(result.errors)} file(s) failed: {first}{more}"

    report = IngestReport(owners=[login])
    report.records_processed = await writer.store([scan])
    report.repositories = 1
    report.failures = [
        RepositoryFailure(fields.full_name, f"{e.path}: {e.reason}") for e in result.errors
    ]
    return report
