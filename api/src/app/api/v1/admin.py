"""Key administration under /api/v1/admin/keys, for keys with the `admin` scope."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.auth import ApiKeyServiceDep, CurrentCaller, RequireAdmin
from app.api.deps import CommitBeforeResponse
from app.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from app.schemas.common import problem_response

router = APIRouter(
    prefix="/admin/keys", tags=["admin"], dependencies=[RequireAdmin, CommitBeforeResponse]
)


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key (the key is in this answer only)",
    responses={422: problem_response("Invalid name, tier, scopes, rate limit or lifetime")},
)
async def create_key(
    body: ApiKeyCreate, service: ApiKeyServiceDep, caller: CurrentCaller
) -> ApiKeyCreated:
    return await service.create(body, created_by=f"api:{caller.key_prefix}")


@router.get("", response_model=ApiKeyList, summary="List API keys")
async def list_keys(
    service: ApiKeyServiceDep,
    include_revoked: Annotated[bool, Query(description="Include revoked keys.")] = False,
) -> ApiKeyList:
    return ApiKeyList(items=list(await service.list_keys(include_revoked=include_revoked)))


@router.delete(
    "/{key_id}",
    response_model=ApiKeyRead,
    summary="Revoke an API key (idempotent)",
    responses={404: problem_response("No API key has this id")},
)
async def revoke_key(key_id: uuid.UUID, service: ApiKeyServiceDep) -> ApiKeyRead:
    return await service.revoke(key_id)
