"""Package routes: search, lookup (by name or purl) and the organizations that use a package.

Names may hold slashes (npm scopes, Go module paths), so they are `path` parameters. The
ecosystem segment only matches known ecosystems; a known ecosystem as the first segment always
means the qualified form, so `/packages/npm/users` is the npm package named `users`.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.convertors import Convertor, register_url_convertor

from app.api.atom import events_response, events_responses, wants_atom
from app.api.auth import RequireRead
from app.api.cache_first import cache_first, query_model
from app.api.deps import PackageServiceDep, UsageEventServiceDep
from app.api.params import Login, PackageName, PackageUrl
from app.api.responses import (
    item_responses,
    json_response,
    list_response,
    list_responses,
    model_response,
)
from app.api.state import app_state
from app.core.ecosystems import Ecosystem
from app.core.errors import UnknownEcosystem
from app.schemas.package import (
    PackageRead,
    PackageSearchQuery,
    PackageUsersPage,
    PackageUsersQuery,
    UserRepositoriesQuery,
    UserRepositoryRead,
)
from app.schemas.pagination import Page
from app.schemas.usage_event import UsageEventRead, UsageEventsQuery
from app.services.package import package_cached
from app.services.usage_cache import CacheEntry, UsageCache


class EcosystemConvertor(Convertor[str]):
    regex = "|".join(e.value for e in Ecosystem)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("ecosystem", EcosystemConvertor())

router = APIRouter(prefix="/packages", tags=["packages"], dependencies=[RequireRead])


def cached_users(request: Request) -> CacheEntry | None:
    """Where the users page the request asks for is cached (a name or query that does not
    validate was never cached, so it misses and the route answers the 422). CSV is never
    cached: `format=csv` here, `Accept: text/csv` in the middleware."""
    query = query_model(request, PackageUsersQuery)
    if query is None or query.format == "csv":
        return None
    state = app_state(request)
    ecosystem = Ecosystem(request.path_params["ecosystem"])
    name: str = request.path_params["name"]
    cached = package_cached(UsageCache(state.cache), state.settings, "users", ecosystem, name)
    return cached.page(query, state.settings)


def cached_package(request: Request) -> CacheEntry:
    state = app_state(request)
    ecosystem = Ecosystem(request.path_params["ecosystem"])
    name: str = request.path_params["name"]
    return package_cached(
        UsageCache(state.cache), state.settings, "package", ecosystem, name
    ).entry()


@router.get(
    "",
    response_model=Page[PackageRead],
    summary="Search packages by name",
    responses=list_responses(400, 422),
)
async def search_packages(
    request: Request, service: PackageServiceDep, query: Annotated[PackageSearchQuery, Query()]
) -> Response:
    """Prefix or substring of the name, case-insensitive; most used (by organizations) first."""
    return await list_response(request, service.search(query))


@router.get(
    "/purl/{purl:path}",
    response_model=PackageRead,
    summary="Look a package up by package URL",
    responses=item_responses(404, 422),
)
async def get_package_by_purl(
    request: Request,
    service: PackageServiceDep,
    purl: PackageUrl,
) -> Response:
    """A purl such as `pkg:pypi/django` or `pkg:maven/org.slf4j/slf4j-api`; the version, if
    any, is ignored."""
    return model_response(request, await service.get_by_purl(purl))


@router.get(
    "/{ecosystem:ecosystem}/{name:path}/users/{login}/repositories",
    response_model=Page[UserRepositoryRead],
    summary="An organization's repositories that use the package",
    responses=list_responses(400, 404, 422),
)
async def list_user_repositories(
    request: Request,
    service: PackageServiceDep,
    ecosystem: Ecosystem,
    name: PackageName,
    login: Login,
    query: Annotated[UserRepositoriesQuery, Query()],
) -> Response:
    """Under the same filters as the users list, most starred first, each with the manifests
    that declare the package (requirement, kind and path)."""
    return await list_response(request, service.user_repositories(ecosystem, name, login, query))


@router.get(
    "/{ecosystem:ecosystem}/{name:path}/users",
    response_model=PackageUsersPage,
    summary="Organizations that use the package",
    responses=list_responses(400, 404, 422),
)
@cache_first(cached_users)
async def list_package_users(
    request: Request,
    service: PackageServiceDep,
    ecosystem: Ecosystem,
    name: PackageName,
    query: Annotated[PackageUsersQuery, Query()],
) -> Response:
    """One item per organization: how many of its repositories use the package under the
    filters, their stars, languages, latest push, dependency kinds and a few examples, its
    `sponsorship` signals (already sponsors others, can be sponsored, funding links with
    evidence, contact) and its `readiness` to sponsor, 0-100 with the reasons that made it.

    Readiness is the sum of the points of the rules met: already sponsors others on GitHub
    Sponsors 40; has a Sponsors listing or funding links 10; 10 or more of its repositories use
    the package 20, else 3 or more 10; latest push within 30 days 15, else within 180 days 8;
    verified organization 10; a website, e-mail or Twitter account to write to 5. Under the
    default filters it is stored with the list (as of the organization's last enrichment or
    use change); under other filters it is scored over the repositories they keep.

    Direct use counts by default: a repository uses the package when one of its manifests
    declares it (or does not say whether it does). Each organization also shows
    `direct_repository_count`, `transitive_repository_count` (repositories whose lockfiles alone
    pull the package in) and `via` (the direct dependencies it arrives through, with repository
    counts), and the page says in `transitive_only_total` how many more organizations use it
    only transitively. `dependency=transitive` lists the transitive uses instead, `any` both.

    Forks and archived repositories are left out unless asked for. `total` is exact for every
    filter: paging through yields exactly that many organizations."""
    return await list_response(request, service.users(ecosystem, name, query))


@router.get(
    "/{ecosystem:ecosystem}/{name:path}/events.atom",
    response_class=Response,
    summary="Who started and who stopped using the package, as an Atom feed",
    responses=events_responses(atom=True),
)
async def list_package_events_atom(
    request: Request,
    service: UsageEventServiceDep,
    ecosystem: Ecosystem,
    name: PackageName,
    query: Annotated[UsageEventsQuery, Query()],
) -> Response:
    """The events of `/events` as Atom entries, newest first."""
    listing = service.package_events(ecosystem, name, query)
    title = f"Organizations using {ecosystem.value}/{name}"
    return await events_response(request, listing, title, atom=True)


@router.get(
    "/{ecosystem:ecosystem}/{name:path}/events",
    response_model=Page[UsageEventRead],
    summary="Who started and who stopped using the package",
    responses=events_responses(atom=False),
)
async def list_package_events(
    request: Request,
    service: UsageEventServiceDep,
    ecosystem: Ecosystem,
    name: PackageName,
    query: Annotated[UsageEventsQuery, Query()],
) -> Response:
    """Newest first: an organization `started` using the package (its first repository now
    depends on it), `stopped` (the last one no longer does) or `changed` (the count or kinds
    of its repositories using it moved), with the repositories and manifests behind it.
    Pages follow the order events were committed (`seq`), so an event that appears later is
    always above what was read before, never behind a page already taken; `since` filters by
    `occurred_at`.
    `Accept: application/atom+xml` answers with an Atom feed, `format=csv` or `Accept: text/csv`
    with every event as CSV."""
    listing = service.package_events(ecosystem, name, query)
    title = f"Organizations using {ecosystem.value}/{name}"
    return await events_response(request, listing, title, atom=wants_atom(request))


@router.get(
    "/{ecosystem:ecosystem}/{name:path}",
    response_model=PackageRead,
    summary="A package and how many organizations and repositories use it",
    responses=item_responses(404, 422),
)
@cache_first(cached_package)
async def get_package(
    request: Request, service: PackageServiceDep, ecosystem: Ecosystem, name: PackageName
) -> Response:
    return json_response(request, await service.get_json(ecosystem, name))


@router.get(
    "/{name}/users",
    response_model=PackageUsersPage,
    summary="Organizations that use a package, whatever its ecosystem",
    responses={
        307: {"description": "The name exists in one ecosystem: its canonical users URL"},
        **item_responses(404, 409, 422),
    },
)
async def find_package_users(
    service: PackageServiceDep, request: Request, name: PackageName
) -> Response:
    """Redirects to `/packages/{ecosystem}/{name}/users` (query kept) when the name exists in
    exactly one ecosystem; 409 with the candidates when it exists in several."""
    package = await service.resolve(name)
    url = request.url_for(
        "list_package_users", ecosystem=package.ecosystem.value, name=package.name
    )
    target = url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(target, status_code=307)


@router.get("/{ecosystem}/{name:path}", include_in_schema=False)
async def unknown_ecosystem(ecosystem: str) -> None:
    raise UnknownEcosystem(ecosystem)
