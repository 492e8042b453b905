"""ecosyste.ms repos-service usage endpoints of the fake upstream, answered from the scenario."""

from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.core.ecosystems import InvalidPurl, from_purl, normalize_name
from app.providers.fake_upstream.github import paginate
from app.providers.fake_upstream.scenario import (
    DependentSpec,
    PackageUsageSpec,
    RepositorySpec,
    numeric_id,
)
from app.providers.fake_upstream.state import FakeState, answer, not_found

RESOURCE = "ecosystems"
# Only the `/hosts/<host>/` part of a repository_url is read by clients.
REPOSITORY_URL_BASE = "https://repos.ecosyste.ms/api/v1"
FUNDING_PATH = ".github/FUNDING.yml"


def _usage(request: Request) -> tuple[FakeState, PackageUsageSpec | None]:
    state: FakeState = request.app.state.fake
    ecosystem, name = request.path_params["ecosystem"], request.path_params["name"]
    usage = next(
        (p for p in state.scenario.packages if p.ecosystem == ecosystem and p.name == name), None
    )
    return state, usage


def _repository(state: FakeState, full_name: str) -> dict[str, Any]:
    owner, _, name = full_name.partition("/")
    found = state.scenario.repository(owner, name)
    repo = found[1] if found else None
    encoded = full_name.replace("/", "%2F")
    return {
        "id": numeric_id(full_name),
        "full_name": full_name,
        "owner": owner,
        "description": repo.description if repo else None,
        "archived": repo.archived if repo else False,
        "fork": repo.fork if repo else False,
        "pushed_at": repo.pushed_at.isoformat().replace("+00:00", "Z") if repo else None,
        "stargazers_count": repo.stars if repo else 0,
        "default_branch": repo.default_branch if repo else "main",
        "language": repo.language if repo else None,
        "html_url": f"https://github.com/{full_name}",
        "repository_url": f"{REPOSITORY_URL_BASE}/hosts/GitHub/repositories/{encoded}",
        "metadata": _metadata(repo),
    }


def _metadata(repo: RepositorySpec | None) -> dict[str, Any]:
    """ecosyste.ms names the repository's FUNDING.yml and reports what it parsed from it."""
    text = repo.files.get(FUNDING_PATH) if repo else None
    metadata: dict[str, Any] = {"files": {"funding": FUNDING_PATH if text is not None else None}}
    if text is not None:
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, dict):
            metadata["funding"] = parsed
    return metadata


def _row(state: FakeState, usage: PackageUsageSpec, dependent: DependentSpec) -> dict[str, Any]:
    return {
        "id": numeric_id(
            f"{usage.ecosystem}/{usage.name}/{dependent.repository}/{dependent.filepath}"
        ),
        "package_name": usage.name,
        "ecosystem": usage.ecosystem,
        "requirements": dependent.requirements,
        "direct": dependent.direct,
        "kind": dependent.kind,
        "optional": False,
        "repository": _repository(state, dependent.repository),
        "manifest": {
            "ecosystem": usage.ecosystem,
            "filepath": dependent.filepath,
            "sha": None,
            "kind": dependent.manifest_kind,
        },
    }


async def usage_dependencies(request: Request) -> Response:
    state, usage = _usage(request)
    if usage is None:
        return not_found(request, state, RESOURCE)
    rows = [_row(state, usage, d) for d in usage.dependents]
    page, link = paginate(request, rows, state.scenario.page_size)
    current = request.query_params.get("page", "1")
    headers = {"current-page": current, "page-items": str(len(page))}
    if link:
        # pagy's countless mode: no `last`, since it never counts the whole set.
        headers["link"] = ", ".join(part for part in link.split(", ") if 'rel="last"' not in part)
    return answer(request, state, page, resource=RESOURCE, headers=headers)


async def usage_package(request: Request) -> Response:
    state, usage = _usage(request)
    if usage is None:
        return not_found(request, state, RESOURCE)
    body = {
        "ecosystem": usage.ecosystem,
        "name": usage.name,
        "dependents_count": len({d.repository for d in usage.dependents}),
    }
    return answer(request, state, body, resource=RESOURCE)


async def package_lookup(request: Request) -> Response:
    """The packages service's lookup by purl: a list of the registries' packages."""
    state: FakeState = request.app.state.fake
    purl = request.query_params.get("purl", "")
    try:
        coordinate = from_purl(purl)
    except InvalidPurl:
        return answer(request, state, {"error": "invalid purl"}, resource=RESOURCE, status=400)
    found = next(
        (
            p
            for p in state.scenario.packages
            if p.ecosystem == coordinate.ecosystem.value
            and normalize_name(coordinate.ecosystem, p.name) == coordinate.name
            and p.repository_url is not None
        ),
        None,
    )
    if found is None:
        return answer(request, state, [], resource=RESOURCE)
    body = {
        "name": found.name,
        "ecosystem": found.ecosystem,
        "description": found.description,
        "homepage": None,
        "repository_url": found.repository_url,
        "latest_release_number": found.latest_version,
        "purl": purl,
    }
    return answer(request, state, [body], resource=RESOURCE)


routes = [
    Route("/ecosystems/api/v1/usage/{ecosystem}/{name:path}/dependencies", usage_dependencies),
    Route("/ecosystems/api/v1/usage/{ecosystem}/{name:path}", usage_package),
    Route("/ecosystems-packages/api/v1/packages/lookup", package_lookup),
]
