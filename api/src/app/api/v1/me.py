"""GET /api/v1/me: the caller as the API sees it (key, tier, scopes, rate limit)."""

from fastapi import APIRouter

from app.api.auth import CurrentCaller, RequireRead
from app.schemas.api_key import CallerRead

router = APIRouter(tags=["auth"], dependencies=[RequireRead])


@router.get("/me", response_model=CallerRead, summary="Who the API believes is calling")
async def me(caller: CurrentCaller) -> CallerRead:
    return caller.to_read()
