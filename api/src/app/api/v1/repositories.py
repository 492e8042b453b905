"""Repository routes: one repository with its dependencies."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.api.auth import RequireRead
from app.api.deps import RepositoryServiceDep
from app.api.responses import item_responses, model_response
from app.schemas.repository import RepositoryRead

router = APIRouter(prefix="/repositories", tags=["repositories"], dependencies=[RequireRead])

Segment = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00/]+$")]


@router.get(
    "/{owner}/{name}",
    response_model=RepositoryRead,
    summary="A repository and the dependencies its manifests declare",
    responses=item_responses(404, 422),
)
async def get_repository(
    request: Request, service: RepositoryServiceDep, owner: Segment, name: Segment
) -> Response:
    return model_response(request, await service.get(owner, name))
