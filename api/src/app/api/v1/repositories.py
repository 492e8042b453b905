"""Repository routes: one repository with its dependencies."""

from fastapi import APIRouter, Request, Response

from app.api.auth import RequireRead
from app.api.deps import RepositoryServiceDep
from app.api.params import RepositoryName, RepositoryOwner
from app.api.responses import item_responses, model_response
from app.schemas.repository import RepositoryRead

router = APIRouter(prefix="/repositories", tags=["repositories"], dependencies=[RequireRead])


@router.get(
    "/{owner}/{name}",
    response_model=RepositoryRead,
    summary="A repository and the dependencies its manifests declare",
    responses=item_responses(404, 422),
)
async def get_repository(
    request: Request, service: RepositoryServiceDep, owner: RepositoryOwner, name: RepositoryName
) -> Response:
    return model_response(request, await service.get(owner, name))
