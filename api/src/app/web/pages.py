"""The pages: home and search, a package's users, an organization, what it uses, jobs."""

from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.api.params import Login, PackageName
from app.core.ecosystems import Ecosystem
from app.core.errors import UnknownEcosystem
from app.schemas.organization import (
    OrganizationPackageRead,
    OrganizationPackagesQuery,
    OrganizationRead,
    OrganizationRepositoriesQuery,
)
from app.schemas.package import (
    DependencyKind,
    PackageRead,
    PackageSearchQuery,
    PackageUsersPage,
    PackageUsersQuery,
    UserRepositoriesQuery,
    UserRepositoryRead,
    UsersSort,
)
from app.schemas.pagination import Page
from app.schemas.repository import RepositorySummary
from app.schemas.stats import StatsRead
from app.schemas.usage_event import UsageEventsQuery
from app.web.charts import bar_chart
from app.web.columns import (
    PACKAGE_COLUMNS,
    REPOSITORY_COLUMNS,
    SHOWN_PROFILE_FIELDS,
    USER_COLUMNS,
)
from app.web.deps import ServicesDep, parse_query
from app.web.templating import path_part, query, templates

# Usage events shown on a package page; the feed has the rest.
RECENT_EVENTS = 10

router = APIRouter(include_in_schema=False)


# Parameters that are not filters: they never go into shared links.
_NOT_FILTERS = frozenset({"cursor", "format"})
_DROP = frozenset({"format"})
SORT_LABELS: dict[UsersSort, str] = {
    "repositories": "Most repositories",
    "stars": "Most stars",
    "recent": "Latest push",
    "name": "Login, A to Z",
    "readiness": "Most ready to sponsor",
}


def package_url(ecosystem: str, name: str) -> str:
    return f"/packages/{ecosystem}/{path_part(name)}"


def _ecosystem(value: str) -> Ecosystem:
    try:
        return Ecosystem(value)
    except ValueError:
        raise UnknownEcosystem(value) from None


def _filters(model: Any) -> dict[str, Any]:
    values: dict[str, Any] = model.model_dump(
        mode="json", exclude_defaults=True, exclude=_NOT_FILTERS
    )
    return values


def _users_query(request: Request) -> tuple[PackageUsersQuery, str | None]:
    """The users query of a package page and the sort it was asked for when the API has no such
    sort: an old or hand-edited link still shows the table, in the default order, and says so."""
    asked = [value for value in request.query_params.getlist("sort") if value.strip() != ""]
    if asked and asked[-1] not in get_args(UsersSort):
        return parse_query(PackageUsersQuery, request, drop=_DROP | {"sort"}), asked[-1]
    return parse_query(PackageUsersQuery, request, drop=_DROP), None


def _render(request: Request, template: str, context: dict[str, Any]) -> Response:
    return templates.TemplateResponse(request, template, context)


@router.get("/")
async def home(request: Request, services: ServicesDep) -> Response:
    stats = StatsRead.model_validate_json(await services.stats.get_json())
    ecosystems = sorted(stats.ecosystems, key=lambda e: -e.organizations)
    return _render(request, "home.html", {"stats": stats, "ecosystems": ecosystems})


@router.get("/search")
async def search(request: Request, services: ServicesDep) -> Response:
    """A purl opens its package; a name with one match opens it; otherwise the matches."""
    search_query = parse_query(PackageSearchQuery, request, drop=_DROP)
    q = (search_query.q or "").strip()
    if q.startswith("pkg:"):
        package = await services.packages.get_by_purl(q)
        return RedirectResponse(package_url(package.ecosystem, package.name), status_code=303)
    page: Page[PackageRead] = await services.packages.search(search_query).page()
    first_page = search_query.cursor is None
    if first_page and len(page.items) == 1 and page.next_cursor is None:
        only = page.items[0]
        return RedirectResponse(package_url(only.ecosystem, only.name), status_code=303)
    return _render(
        request,
        "search.html",
        {
            "q": q,
            "page": page,
            "filters": _filters(search_query),
            "ecosystems": list(Ecosystem),
            "selected": search_query.ecosystem,
        },
    )


@router.get("/packages/{ecosystem}/{name:path}")
async def package(
    request: Request, services: ServicesDep, ecosystem: str, name: PackageName
) -> Response:
    eco = _ecosystem(ecosystem)
    users_query, unknown_sort = _users_query(request)
    read = await services.packages.get(eco, name)
    body = await services.packages.users(eco, name, users_query).json()
    page = PackageUsersPage.model_validate_json(body)
    filters = _filters(users_query)
    base = package_url(read.ecosystem, read.name)
    context: dict[str, Any] = {
        "package": read,
        "page": page,
        "columns": USER_COLUMNS,
        "filters": filters,
        "current": users_query,
        "sorts": SORT_LABELS,
        "unknown_sort": unknown_sort,
        "base": base,
        "more_url": f"{base}?{query(filters, cursor=page.next_cursor)}"
        if page.next_cursor
        else None,
    }
    if request.query_params.get("fragment") == "users":
        return _render(request, "fragments/users.html", context)
    charts = await services.charts.charts(eco, name)
    # First imports are left out: the section shows news, not how wump learned the past.
    recent = UsageEventsQuery(limit=RECENT_EVENTS, initial=False)
    events = await services.events.package_events(eco, name, recent).page()
    languages = [(c.language or "Unknown", c.organizations) for c in charts.languages]
    ages = [(a.label, a.repositories) for a in charts.push_ages]
    context.update(
        language_chart=bar_chart(
            "Organizations by language of their repositories", "organizations", languages
        ),
        push_chart=bar_chart("Repositories by last push", "repositories", ages),
        other_languages=charts.other_languages,
        kinds=get_args(DependencyKind),
        events=events.items,
        events_feed=f"/api/v1{base}/events.atom",
        csv_url=f"/api/v1{base}/users?{query(filters, format='csv')}",
        api_url=f"/api/v1{base}/users?{query(filters)}",
    )
    return _render(request, "package.html", context)


@router.get("/organizations/{login}")
async def organization(request: Request, services: ServicesDep, login: Login) -> Response:
    profile = OrganizationRead.model_validate_json(await services.organizations.get_json(login))
    params = request.query_params
    fragment = params.get("fragment")
    packages_query = OrganizationPackagesQuery(cursor=params.get("packages_cursor") or None)
    repositories_query = parse_query(OrganizationRepositoriesQuery, request, drop=_DROP).model_copy(
        update={"cursor": params.get("repositories_cursor") or None}
    )
    base = f"/organizations/{path_part(profile.login)}"
    filters = _filters(repositories_query)
    context: dict[str, Any] = {
        "organization": profile,
        "base": base,
        "filters": filters,
        "shown_profile_fields": SHOWN_PROFILE_FIELDS,
    }
    if fragment in (None, "packages"):
        packages = Page[OrganizationPackageRead].model_validate_json(
            await services.organizations.packages(login, packages_query).json()
        )
        context.update(
            packages=packages,
            package_columns=PACKAGE_COLUMNS,
            packages_more=f"{base}?{query(filters, packages_cursor=packages.next_cursor)}"
            if packages.next_cursor
            else None,
        )
    if fragment in (None, "repositories"):
        repositories = Page[RepositorySummary].model_validate_json(
            await services.organizations.repositories(login, repositories_query).json()
        )
        after = repositories.next_cursor
        context.update(
            repositories=repositories,
            repository_columns=REPOSITORY_COLUMNS,
            repositories_more=f"{base}?{query(filters, repositories_cursor=after)}"
            if after
            else None,
        )
    if fragment in ("packages", "repositories"):
        return _render(request, f"fragments/{fragment}.html", context)
    return _render(request, "organization.html", context)


@router.get("/organizations/{login}/uses/{ecosystem}/{name:path}")
async def organization_uses(
    request: Request, services: ServicesDep, login: Login, ecosystem: str, name: PackageName
) -> Response:
    """The organization's repositories that use the package, under the users list's filters."""
    eco = _ecosystem(ecosystem)
    uses_query = parse_query(UserRepositoriesQuery, request, drop=_DROP)
    read = await services.packages.get(eco, name)
    profile = OrganizationRead.model_validate_json(await services.organizations.get_json(login))
    body = await services.packages.user_repositories(eco, name, login, uses_query).json()
    page = Page[UserRepositoryRead].model_validate_json(body)
    filters = _filters(uses_query)
    base = f"/organizations/{path_part(profile.login)}/uses/{read.ecosystem}/{path_part(read.name)}"
    context: dict[str, Any] = {
        "package": read,
        "organization": profile,
        "page": page,
        "filters": filters,
        "package_base": package_url(read.ecosystem, read.name),
        "more_url": f"{base}?{query(filters, cursor=page.next_cursor)}"
        if page.next_cursor
        else None,
    }
    if request.query_params.get("fragment") == "uses":
        return _render(request, "fragments/uses.html", context)
    return _render(request, "uses.html", context)


@router.get("/jobs")
async def jobs(request: Request) -> Response:
    return _render(request, "jobs.html", {"ecosystems": list(Ecosystem)})
