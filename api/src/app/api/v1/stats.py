"""/stats: what wump knows, per ecosystem."""

from fastapi import APIRouter, Request, Response

from app.api.auth import RequireRead
from app.api.deps import StatsServiceDep
from app.api.responses import item_responses, json_response
from app.schemas.stats import StatsRead

router = APIRouter(prefix="/stats", tags=["stats"], dependencies=[RequireRead])


@router.get(
    "",
    response_model=StatsRead,
    summary="Counts per ecosystem and the most used packages",
    responses=item_responses(),
)
async def get_stats(request: Request, service: StatsServiceDep) -> Response:
    """Per-ecosystem counts are recomputed by ingestion; `refreshed_at` says when."""
    return json_response(request, await service.get_json())
