"""Portfolio routes: the organizations using any of a maintainer's packages, or of a list."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from app.api.auth import RequireRead
from app.api.deps import PortfolioServiceDep
from app.api.params import Login
from app.api.responses import list_response, list_responses
from app.schemas.portfolio import PortfolioPage, PortfolioQuery, PortfolioRequest

router = APIRouter(tags=["portfolios"], dependencies=[RequireRead])


@router.get(
    "/maintainers/{login}/users",
    response_model=PortfolioPage,
    summary="Organizations using any package a maintainer owns",
    responses=list_responses(400, 404, 422),
)
async def list_maintainer_users(
    request: Request,
    service: PortfolioServiceDep,
    login: Login,
    query: Annotated[PortfolioQuery, Query()],
) -> Response:
    """Every package whose source repository belongs to the GitHub owner `login` (as the
    registries' metadata names it), then the organizations using any of them, each with the
    packages it uses, its best readiness and its sponsorship signals; sorted, filtered and
    paged like a package's users (default filters: no forks, no archived repositories).
    `login` itself is left out unless `include_owner=true`. A login that owns no package wump
    knows is a 404 problem."""
    return await list_response(request, service.maintainer(login, query))


@router.post(
    "/portfolio",
    response_model=PortfolioPage,
    summary="Organizations using any package of a list",
    responses=list_responses(400, 422),
)
async def list_portfolio_users(
    request: Request,
    service: PortfolioServiceDep,
    body: Annotated[PortfolioRequest, Body()],
    query: Annotated[PortfolioQuery, Query()],
) -> Response:
    """The same as a maintainer's users for an explicit list of package URLs (at most
    PORTFOLIO_MAX_PACKAGES, else a 422 problem). URLs that are malformed or name no known
    package are listed under `unknown`; the owners of the packages' source repositories are
    left out unless `include_owner=true`. `?format=csv` (or `Accept: text/csv`) exports every
    page."""
    return await list_response(request, service.portfolio(body.purls, query))
