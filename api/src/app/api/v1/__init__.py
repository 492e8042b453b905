"""The /api/v1 routers: whatever is included here is authorized and rate limited."""

from typing import Any

from fastapi import Depends, FastAPI

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
ROUTERS = (
    me.router,
    admin.router,
    packages.router,
    organizations.router,
    portfolios.router,
    repositories.router,
    stats.router,
    jobs.router,
    webhooks.router,
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_response("No usable API key, or a key is required"),
    403: problem_response("The API key lacks the scope this endpoint needs"),
    429: problem_response("Rate limit exceeded; see Retry-After"),
}


def include_v1(app: FastAPI) -> None:
    """Each v1 router straight under the app: a router nested in another is matched once per
    level on every request, and routing is a visible share of a cached answer's cost."""
    for router in ROUTERS:
        app.include_router(
            router, prefix="/api/v1", dependencies=[Depends(authorize)], responses=_RESPONSES
        )
