"""GitHub REST and GraphQL endpoints of the fake upstream, answered from the scenario."""

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.providers.fake_upstream.scenario import (
    OrganizationSpec,
    RepositorySpec,
    git_sha,
    numeric_id,
)
from app.providers.fake_upstream.state import FakeState, answer, not_found


def _state(request: Request) -> FakeState:
    state: FakeState = request.app.state.fake
    return state


def paginate(request: Request, items: list[Any], page_size: int) -> tuple[list[Any], str | None]:
    """One page of `items` and its `Link` header (first/prev/next/last, as GitHub sends)."""
    per_page = min(int(request.query_params.get("per_page", 30)), page_size)
    page = max(1, int(request.query_params.get("page", 1)))
    last = max(1, math.ceil(len(items) / per_page))
    rels = {"first": 1, "prev": page - 1, "next": page + 1, "last": last}
    links = [
        f'<{request.url.include_query_params(page=number, per_page=per_page)}>; rel="{rel}"'
        for rel, number in rels.items()
        if 1 <= number <= last and number != page
    ]
    return items[(page - 1) * per_page : page * per_page], ", ".join(links) or None


def owner_body(org: OrganizationSpec) -> dict[str, Any]:
    return {
        "login": org.login,
        "id": numeric_id(org.login),
        "html_url": f"https://github.com/{org.login}",
        "avatar_url": None,
        "name": org.name,
        "description": org.description,
        "blog": org.blog or "",
        "email": org.email,
        "location": org.location,
        "is_verified": org.is_verified,
        "public_repos": sum(1 for r in org.repositories if not r.private),
        "type": org.kind,
    }


def repository_body(org: OrganizationSpec, repo: RepositorySpec) -> dict[str, Any]:
    full_name = f"{org.login}/{repo.name}"
    return {
        "id": numeric_id(full_name),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": {"login": org.login, "type": org.kind},
        "html_url": f"https://github.com/{full_name}",
        "description": repo.description,
        "fork": repo.fork,
        "pushed_at": repo.pushed_at.isoformat().replace("+00:00", "Z"),
        "stargazers_count": repo.stars,
        "language": repo.language,
        "archived": repo.archived,
        "default_branch": repo.default_branch,
    }


@dataclass
class GitTree:
    """A repository's files as git objects: content-addressed trees and blobs."""

    commit: str
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, full_name: str, files: dict[str, str]) -> "GitTree":
        nested: dict[str, Any] = {}
        for path, text in files.items():
            *folders, name = path.strip("/").split("/")
            node = nested
            for folder in folders:
                node = node.setdefault(folder, {})
            node[name] = text.encode()
        tree = cls(commit="")
        root = tree._store(nested)
        tree.commit = git_sha("commit", full_name, root)
        tree.trees[tree.commit] = tree.trees[root]
        return tree

    def _store(self, node: dict[str, Any]) -> str:
        entries: list[dict[str, Any]] = []
        for name in sorted(node):
            child = node[name]
            if isinstance(child, dict):
                entries.append(
                    {"path": name, "mode": "040000", "type": "tree", "sha": self._store(child)}
                )
            else:
                sha = git_sha("blob", child)
                self.blobs[sha] = child
                entries.append(
                    {"path": name, "mode": "100644", "type": "blob", "sha": sha, "size": len(child)}
                )
        sha = git_sha("tree", *(e["path"] + e["sha"] for e in entries))
        self.trees[sha] = entries
        return sha

    def listing(self, sha: str, recursive: bool, prefix: str = "") -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for entry in self.trees[sha]:
            entries.append({**entry, "path": prefix + entry["path"]})
            if recursive and entry["type"] == "tree":
                entries.extend(self.listing(entry["sha"], True, prefix + entry["path"] + "/"))
        return entries


def _funding_repository(org: OrganizationSpec | None) -> RepositorySpec | None:
    """The unlisted `.github` repository holding an owner's default FUNDING.yml."""
    if org is None or org.funding_yml is None:
        return None
    return RepositorySpec(name=".github", files={".github/FUNDING.yml": org.funding_yml})


def _repository(request: Request) -> tuple[OrganizationSpec, RepositorySpec, GitTree] | None:
    owner, name = request.path_params["owner"], request.path_params["repo"]
    scenario = _state(request).scenario
    found = scenario.repository(owner, name)
    if found is None and name == ".github":
        org = scenario.organization(owner)
        funding = _funding_repository(org)
        found = (org, funding) if org is not None and funding is not None else None
    if found is None:
        return None
    org, repo = found
    full_name = f"{org.login}/{repo.name}"
    trees = _state(request).trees
    if full_name not in trees:
        trees[full_name] = GitTree.of(full_name, repo.files)
    return org, repo, trees[full_name]


async def get_owner(request: Request) -> Response:
    state = _state(request)
    org = state.scenario.organization(request.path_params["login"])
    if org is None or (request.url.path.startswith("/github/orgs/") and org.kind != "Organization"):
        return not_found(request, state)
    return answer(request, state, owner_body(org))


async def list_repositories(request: Request) -> Response:
    state = _state(request)
    org = state.scenario.organization(request.path_params["login"])
    if org is None or (request.url.path.startswith("/github/orgs/") and org.kind != "Organization"):
        return not_found(request, state)
    visible = [repository_body(org, r) for r in org.repositories if not r.private]
    page, link = paginate(request, visible, state.scenario.page_size)
    return answer(request, state, page, headers={"link": link} if link else None)


async def get_repository(request: Request) -> Response:
    found = _repository(request)
    if found is None:
        return not_found(request, _state(request))
    return answer(request, _state(request), repository_body(found[0], found[1]))


def _empty(request: Request) -> Response:
    body = {"message": "Git Repository is empty.", "documentation_url": "", "status": "409"}
    return answer(request, _state(request), body, status=409)


async def get_ref(request: Request) -> Response:
    found = _repository(request)
    if found is None or found[1].default_branch != request.path_params["ref"]:
        return not_found(request, _state(request))
    if found[1].empty:
        return _empty(request)
    ref = {
        "ref": f"refs/heads/{found[1].default_branch}",
        "object": {"sha": found[2].commit, "type": "commit"},
    }
    return answer(request, _state(request), ref)


async def get_tree(request: Request) -> Response:
    found = _repository(request)
    state = _state(request)
    if found is None:
        return not_found(request, state)
    if found[1].empty:
        return _empty(request)
    tree, sha = found[2], request.path_params["sha"]
    if sha == found[1].default_branch:
        sha = tree.commit
    if sha not in tree.trees:
        return not_found(request, state)
    recursive = request.query_params.get("recursive") not in (None, "", "0", "false")
    entries = tree.listing(sha, recursive)
    limit = state.scenario.truncate_trees_over
    truncated = recursive and limit is not None and len(entries) > limit
    body = {"sha": sha, "tree": entries[:limit] if truncated else entries, "truncated": truncated}
    return answer(request, state, body)


def _base64(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters, each line ending in a newline.
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


async def get_contents(request: Request) -> Response:
    found = _repository(request)
    state = _state(request)
    path = request.path_params["path"]
    if found is None or path not in found[1].files:
        return not_found(request, state)
    data = found[1].files[path].encode()
    large = len(data) > state.scenario.large_file_bytes
    body = {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": git_sha("blob", data),
        "size": len(data),
        "type": "file",
        "content": "" if large else _base64(data),
        "encoding": "none" if large else "base64",
    }
    return answer(request, state, body)


async def get_blob(request: Request) -> Response:
    found = _repository(request)
    state = _state(request)
    if found is None or request.path_params["sha"] not in found[2].blobs:
        return not_found(request, state)
    data = found[2].blobs[request.path_params["sha"]]
    body = {
        "sha": request.path_params["sha"],
        "size": len(data),
        "content": _base64(data),
        "encoding": "base64",
    }
    return answer(request, state, body)


async def graphql(request: Request) -> Response:
    state = _state(request)
    payload = json.loads(await request.body())
    if "repositoryOwner" not in payload.get("query", ""):
        unknown = {"message": "the fake upstream answers only the sponsorship query"}
        return answer(request, state, {"errors": [unknown]}, resource="graphql")
    login = (payload.get("variables") or {}).get("login", "")
    error: dict[str, Any]
    org = state.scenario.organization(login)
    if org is None:
        error = {
            "type": "NOT_FOUND",
            "path": ["repositoryOwner"],
            "message": f"Could not resolve to a RepositoryOwner with the login of '{login}'.",
        }
        return answer(
            request,
            state,
            {"data": {"repositoryOwner": None}, "errors": [error]},
            resource="graphql",
        )
    listing = {"url": f"https://github.com/sponsors/{org.login}"}
    owner: dict[str, Any] = {
        "__typename": org.kind,
        "login": org.login,
        "hasSponsorsListing": org.has_sponsors_listing,
        "sponsorsListing": listing if org.has_sponsors_listing else None,
        "sponsoring": {"totalCount": org.sponsoring},
        "sponsorshipsAsSponsor": {"totalCount": org.sponsorships_as_sponsor},
        "sponsors": {"totalCount": org.sponsors},
        "websiteUrl": org.blog,
        "email": org.email or "",
        "twitterUsername": org.twitter_username,
    }
    if org.kind == "Organization":
        owner |= {"isVerified": org.is_verified, "membersWithRole": {"totalCount": org.members}}
    return answer(request, state, {"data": {"repositoryOwner": owner}}, resource="graphql")


routes = [
    Route("/github/graphql", graphql, methods=["POST"]),
    Route("/github/orgs/{login}", get_owner),
    Route("/github/users/{login}", get_owner),
    Route("/github/orgs/{login}/repos", list_repositories),
    Route("/github/users/{login}/repos", list_repositories),
    Route("/github/repos/{owner}/{repo}", get_repository),
    Route("/github/repos/{owner}/{repo}/git/ref/heads/{ref:path}", get_ref),
    Route("/github/repos/{owner}/{repo}/git/trees/{sha:path}", get_tree),
    Route("/github/repos/{owner}/{repo}/git/blobs/{sha}", get_blob),
    Route("/github/repos/{owner}/{repo}/contents/{path:path}", get_contents),
]
