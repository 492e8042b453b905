"""Ingestion: fetch organizations, repositories and manifests from the providers, then store
them in short transactions and bring the read side up to date."""

from app.services.ingestion.report import IngestReport, Progress, RepositoryFailure
from app.services.ingestion.service import IngestionService

__all__ = ["IngestReport", "IngestionService", "Progress", "RepositoryFailure"]
