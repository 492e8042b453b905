"""SQLAlchemy tables; importing this package registers every table on `Base.metadata`."""

from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.dependency import Dependency, ManifestPath
from app.models.job_execution import JobExecution
from app.models.organization import Organization
from app.models.package import Package
from app.models.package_usage import (
    EcosystemStats,
    PackageDependent,
    PackageKindUsage,
    PackageUsage,
)
from app.models.repository import Language, Repository
from app.models.usage_event import UsageEvent
from app.models.webhook import (
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMaintainer,
    WebhookPackage,
)

__all__ = [
    "ApiKey",
    "Base",
    "Dependency",
    "EcosystemStats",
    "JobExecution",
    "Language",
    "ManifestPath",
    "Organization",
    "Package",
    "PackageDependent",
    "PackageKindUsage",
    "PackageUsage",
    "Repository",
    "UsageEvent",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookMaintainer",
    "WebhookPackage",
]
