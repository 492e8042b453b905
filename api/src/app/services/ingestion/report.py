"""What an ingestion run reports: counts, per-repository failures, owners, throttled progress."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

FAILURES_IN_METADATA = 50
PROGRESS_INTERVAL = 1.0


@dataclass
class RepositoryFailure:
    full_name: str
    reason: str


@dataclass
class IngestReport:
    records_processed: int = 0
    repositories: int = 0
    failures: list[RepositoryFailure] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "records_processed": self.records_processed,
            "repositories": self.repositories,
            "failed_repositories": len(self.failures),
            "failures": [asdict(f) for f in self.failures[:FAILURES_IN_METADATA]],
            "failures_omitted": max(0, len(self.failures) - FAILURES_IN_METADATA),
            "owners": len(self.owners),
        }


Progress = Callable[[IngestReport], Awaitable[None]]


class Throttle:
    """Calls `progress` at most once per interval, and once more at the end."""

    def __init__(self, progress: Progress | None, report: IngestReport) -> None:
        self._progress = progress
        self._report = report
        self._last = time.monotonic()

    async def tick(self) -> None:
        if self._progress is not None and time.monotonic() - self._last >= PROGRESS_INTERVAL:
            self._last = time.monotonic()
            await self._progress(self._report)

    async def done(self) -> None:
        if self._progress is not None:
            await self._progress(self._report)
