"""Organization routes: search, profile, the packages it uses and its repositories."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.atom import events_response, events_responses, wants_atom
from app.api.auth import RequireRead
from app.api.deps import OrganizationServiceDep, UsageEventServiceDep
from app.api.params import Login
from app.api.responses import item_responses, json_response, list_response, list_responses
from app.schemas.organization import (
    OrganizationPackageRead,
    OrganizationPackagesQuery,
    OrganizationRead,
    OrganizationRepositoriesQuery,
    OrganizationSearchQuery,
    OrganizationSummary,
)
from app.schemas.pagination import Page
from app.schemas.repository import RepositorySummary
from app.schemas.usage_event import UsageEventRead, UsageEventsQuery

router = APIRouter(prefix="/organizations", tags=["organizations"], dependencies=[RequireRead])


@router.get(
    "",
    response_model=Page[OrganizationSummary],
    summary="Search organizations by login or name",
    responses=list_responses(400, 422),
)
async def search_organizations(
    request: Request,
    service: OrganizationServiceDep,
    query: Annotated[OrganizationSearchQuery, Query()],
) -> Response:
    """Substring of the login or display name, case-insensitive; most starred first."""
    return await list_response(request, service.search(query))


@router.get(
    "/{login}",
    response_model=OrganizationRead,
    summary="An organization's profile and totals",
    responses=item_responses(404, 422),
)
async def get_organization(
    request: Request, service: OrganizationServiceDep, login: Login
) -> Response:
    return json_response(request, await service.get_json(login))


@router.get(
    "/{login}/packages",
    response_model=Page[OrganizationPackageRead],
    summary="Packages an organization uses",
    responses=list_responses(400, 404, 422),
)
async def list_organization_packages(
    request: Request,
    service: OrganizationServiceDep,
    login: Login,
    query: Annotated[OrganizationPackagesQuery, Query()],
) -> Response:
    """Ranked by how many of its repositories use each (forks and archived excluded)."""
    return await list_response(request, service.packages(login, query))


@router.get(
    "/{login}/events.atom",
    response_class=Response,
    summary="Packages an organization started or stopped using, as an Atom feed",
    responses=events_responses(atom=True),
)
async def list_organization_events_atom(
    request: Request,
    service: UsageEventServiceDep,
    login: Login,
    query: Annotated[UsageEventsQuery, Query()],
) -> Response:
    """The events of `/events` as Atom entries, newest first."""
    listing = service.organization_events(login, query)
    return await events_response(request, listing, f"Packages used by {login}", atom=True)


@router.get(
    "/{login}/events",
    response_model=Page[UsageEventRead],
    summary="Packages an organization started or stopped using",
    responses=events_responses(atom=False),
)
async def list_organization_events(
    request: Request,
    service: UsageEventServiceDep,
    login: Login,
    query: Annotated[UsageEventsQuery, Query()],
) -> Response:
    """Newest first, as for a package's events; `Accept: application/atom+xml` answers with
    an Atom feed, `format=csv` or `Accept: text/csv` with every event as CSV."""
    listing = service.organization_events(login, query)
    title = f"Packages used by {login}"
    return await events_response(request, listing, title, atom=wants_atom(request))


@router.get(
    "/{login}/repositories",
    response_model=Page[RepositorySummary],
    summary="An organization's repositories",
    responses=list_responses(400, 404, 422),
)
async def list_organization_repositories(
    request: Request,
    service: OrganizationServiceDep,
    login: Login,
    query: Annotated[OrganizationRepositoriesQuery, Query()],
) -> Response:
    """Most starred first; forks and archived repositories only when asked for."""
    return await list_response(request, service.repositories(login, query))
