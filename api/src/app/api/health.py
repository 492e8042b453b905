"""Health endpoints: an always-200 report, and liveness and readiness for probes."""

from fastapi import APIRouter

from app.api.deps import HealthServiceDep
from app.schemas.common import problem_response
from app.schemas.health import HealthRead, LivenessRead, ReadinessRead

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "",
    response_model=HealthRead,
    # `checks.database_read` only when a read replica is configured.
    response_model_exclude_none=True,
    summary="Status of the service and its dependencies",
)
async def health(service: HealthServiceDep) -> HealthRead:
    """Always 200: `status` is `degraded` when a dependency is unhealthy."""
    return await service.report()


@router.get("/live", response_model=LivenessRead, summary="Liveness probe")
async def live() -> LivenessRead:
    """200 while the process runs; touches no dependency."""
    return LivenessRead()


@router.get(
    "/ready",
    response_model=ReadinessRead,
    summary="Readiness probe",
    responses={503: problem_response("The database does not answer or its schema is not at head")},
)
async def ready(service: HealthServiceDep) -> ReadinessRead:
    """200 when the database answers and the schema is at head; a Valkey outage leaves it ready."""
    return await service.readiness()
