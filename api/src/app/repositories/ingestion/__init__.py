"""SQL of the ingestion write path: bulk upserts on natural keys with unnest arrays, one module
per aggregate.

Every statement takes or puts its keys in sorted order, so concurrent jobs lock shared rows in
one order.
"""

from app.repositories.ingestion.dependencies import (
    DependencyColumns,
    DependencyScope,
    DependencyWriter,
    DependencyWrites,
)
from app.repositories.ingestion.organizations import OrganizationFields, OrganizationWriter
from app.repositories.ingestion.packages import PackageWriter
from app.repositories.ingestion.repositories import RepositoryFields, RepositoryWriter, ScanState


class IngestionRepository(OrganizationWriter, RepositoryWriter, PackageWriter, DependencyWriter):
    """Every ingestion write of one transaction, over the caller's session."""


__all__ = [
    "DependencyColumns",
    "DependencyScope",
    "DependencyWrites",
    "IngestionRepository",
    "OrganizationFields",
    "RepositoryFields",
    "ScanState",
]
