"""The /api/v1 router: whatever is included here is authorized and rate limited."""

from fastapi import APIRouter, Depends

from app.api.auth import authorize
from app.api.v1 import (
    admin,
    jobs,
    me,
    organizations,
    packages,
    portfolios,
    repositories,
    stats,
    webhooks,
)
from app.schemas.common import problem_response

# Include every v1 router here. Each must also declare the scope it needs (RequireRead,
# RequireIngest, RequireAdmin from app.api.auth); a test fails for any route that does not.
api_router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(authorize)],
    responses={
        401: problem_response("No usable API key, or a key is required"),
        403: problem_response("The API key lacks the scope this endpoint needs"),
        429: problem_response("Rate limit exceeded; see Retry-After"),
    },
)
api_router.include_router(me.router)
api_router.include_router(admin.router)
api_router.include_router(packages.router)
api_router.include_router(organizations.router)
api_router.include_router(portfolios.router)
api_router.include_router(repositories.router)
api_router.include_router(stats.router)
api_router.include_router(jobs.router)
api_router.include_router(webhooks.router)
