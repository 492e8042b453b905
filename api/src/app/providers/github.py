"""GitHub: organization profiles, repositories, manifests in the git tree, sponsorship signals."""

import hashlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from app.core.errors import (
    ProviderBadResponse,
    ProviderForbidden,
    ProviderRateLimited,
    ProviderUnauthorized,
)
from app.core.logging import get_logger
from app.providers.base import (
    FileContent,
    FundingFile,
    IsManifest,
    ManifestFile,
    ManifestListing,
    OrganizationProfile,
    RepositoryInfo,
    SponsorshipSignals,
)
from app.providers.funding import FundingFileError, parse_funding_file
from app.providers.github_bodies import (
    commit_sha,
    decode,
    reading,
    to_profile,
    to_repository,
    to_signals,
    tree_entries,
)
from app.providers.http import UpstreamClient, UpstreamResponse, pin_to_base
from app.providers.ratelimit import HeaderRateLimits, RateLimitStatus

log = get_logger(__name__)

API_VERSION = "2022-11-28"
PAGE_SIZE = 100

# Folders whose manifests describe someone else's code checked in, not the repository's own needs.
VENDORED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "vendors",
        "third_party",
        "third-party",
        "thirdparty",
        ".venv",
        "venv",
        ".tox",
        "site-packages",
        "__pycache__",
        "Pods",
        "Carthage",
    }
)

SPONSORSHIP_QUERY = """
query Sponsorship($login: String!) {
  repositoryOwner(login: $login) {
    __typename
    login
    ... on Sponsorable {
      hasSponsorsListing
      sponsorsListing { url }
      sponsoring(first: 1) { totalCount }
      sponsorshipsAsSponsor(first: 1) { totalCount }
      sponsors(first: 1) { totalCount }
    }
    ... on Organization {
      isVerified
      websiteUrl
      email
      twitterUsername
      membersWithRole(first: 1) { totalCount }
    }
    ... on User {
      websiteUrl
      email
      twitterUsername
    }
  }
}
"""
# GitHub reads an owner's default FUNDING.yml from this path of its `.github` repository.
FUNDING_REPOSITORY = ".github"
FUNDING_PATH = ".github/FUNDING.yml"


def is_vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS for part in path.split("/")[:-1])


class GitHubProvider:
    """Implements OrganizationSource, RepositorySource and ManifestSource over REST + GraphQL."""

    def __init__(
        self,
        client: UpstreamClient,
        *,
        api_url: str,
        graphql_url: str,
        token: str | None = None,
        limits: HeaderRateLimits | None = None,
        tree_max_requests: int = 200,
    ) -> None:
        self._client = client
        self._api_url = api_url.rstrip("/")
        self._graphql_url = graphql_url
        self._token = token
        self._limits = limits
        self._tree_max_requests = tree_max_requests
        self._headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def cache_namespace(token: str | None) -> str:
        # What GitHub shows depends on who asks, so cached bodies are kept per credential.
        who = hashlib.sha256(token.encode()).hexdigest()[:16] if token else "anonymous"
        return f"github:{who}"

    @property
    def rate_limits(self) -> dict[str, RateLimitStatus]:
        return dict(self._limits.last) if self._limits is not None else {}

    async def _get(
        self, path_or_url: str, params: dict[str, str | int] | None = None
    ) -> UpstreamResponse:
        url = path_or_url if "://" in path_or_url else self._api_url + path_or_url
        response = await self._client.request("GET", url, params=params, headers=self._headers)
        self._raise_for_access(response)
        return response

    @staticmethod
    def _raise_for_access(response: UpstreamResponse) -> None:
        if response.status == 401:
            raise ProviderUnauthorized(
                f"GitHub rejected the token (GITHUB_TOKEN) for {response.url}"
            )
        if response.status == 403:
            raise ProviderForbidden(f"GitHub refused {response.url}: {_message(response)}")

    @staticmethod
    def _object(response: UpstreamResponse) -> dict[str, Any]:
        body = response.json()
        if not isinstance(body, dict):
            raise ProviderBadResponse(
                f"{response.url} answered a {type(body).__name__}, expected an object"
            )
        return body

    def _unexpected(self, response: UpstreamResponse) -> ProviderBadResponse:
        return ProviderBadResponse(f"{response.url} answered an unexpected {response.status}")

    async def get_organization(self, login: str) -> OrganizationProfile | None:
        for path in (f"/orgs/{quote(login)}", f"/users/{quote(login)}"):
            response = await self._get(path)
            if response.status == 200:
                with reading(response.url):
                    return to_profile(self._object(response))
            if response.status != 404:
                raise self._unexpected(response)
        return None

    async def get_repository(self, full_name: str) -> RepositoryInfo | None:
        response = await self._get(f"/repos/{quote(full_name)}")
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._unexpected(response)
        with reading(response.url):
            return to_repository(self._object(response))

    async def list_repositories(self, owner: str) -> AsyncIterator[RepositoryInfo]:
        """Public repositories of an organization (or of a user when no such organization)."""
        first = await self._get(
            f"/orgs/{quote(owner)}/repos", {"type": "public", "per_page": PAGE_SIZE}
        )
        if first.status == 404:
            first = await self._get(
                f"/users/{quote(owner)}/repos", {"type": "owner", "per_page": PAGE_SIZE}
            )
            if first.status == 404:
                return
        response: UpstreamResponse | None = first
        while response is not None:
            if response.status != 200:
                raise self._unexpected(response)
            items = response.json()
            if not isinstance(items, list):
                raise ProviderBadResponse(
                    f"{response.url} answered a {type(items).__name__}, expected a list"
                )
            with reading(response.url):
                page = [to_repository(item) for item in items]
            for info in page:
                yield info
            next_url = response.links().get("next")
            response = await self._get(pin_to_base(next_url, self._api_url)) if next_url else None

    async def _tree(self, full_name: str, sha: str, recursive: bool) -> dict[str, Any] | None:
        """A git tree, or None when the repository is empty (GitHub answers 409)."""
        params: dict[str, str | int] | None = {"recursive": 1} if recursive else None
        response = await self._get(
            f"/repos/{quote(full_name)}/git/trees/{quote(sha, safe='')}", params
        )
        if response.status == 409:
            return None
        if response.status != 200:
            raise self._unexpected(response)
        return self._object(response)

    async def _head_commit(self, full_name: str, ref: str) -> str | None:
        response = await self._get(f"/repos/{quote(full_name)}/git/ref/heads/{quote(ref)}")
        if response.status in (404, 409):
            # 409 "Git Repository is empty"; 404 a default branch without commits.
            return None
        if response.status != 200:
            raise self._unexpected(response)
        with reading(response.url):
            return commit_sha(self._object(response))

    async def list_manifests(
        self, full_name: str, ref: str, is_manifest: IsManifest
    ) -> ManifestListing:
        """Manifest files of the head commit of `ref`, outside vendored folders.

        A recursive tree GitHub truncated is walked again folder by folder, within
        `tree_max_requests` requests; past that bound the listing is marked incomplete.
        """
        commit = await self._head_commit(full_name, ref)
        if commit is None:
            return ManifestListing(full_name, None, (), is_empty=True)
        found: list[ManifestFile] = []
        pending: deque[tuple[str, str, bool]] = deque([("", commit, True)])
        requests = 0
        while pending:
            if requests >= self._tree_max_requests:
                log.warning("provider.github.tree_bound", repository=full_name, requests=requests)
                return ManifestListing(full_name, commit, tuple(found), is_complete=False)
            prefix, sha, recursive = pending.popleft()
            tree = await self._tree(full_name, sha, recursive)
            requests += 1
            if tree is None:
                return ManifestListing(full_name, commit, (), is_empty=True)
            if recursive and tree.get("truncated"):
                # Some entries are missing and GitHub does not say which: list this folder
                # alone and descend into each subfolder separately.
                pending.appendleft((prefix, sha, False))
                continue
            with reading(f"the git tree {sha} of {full_name}"):
                entries = list(tree_entries(tree))
            for name, kind, entry_sha, size in entries:
                path = prefix + name
                if kind == "tree" and not recursive:
                    if name not in VENDORED_DIRS:
                        pending.append((path + "/", entry_sha, True))
                elif kind == "blob" and not is_vendored(path) and is_manifest(path):
                    found.append(ManifestFile(path, entry_sha, size))
        return ManifestListing(full_name, commit, tuple(sorted(found, key=lambda f: f.path)))

    async def fetch_file(
        self, full_name: str, path: str, *, ref: str | None = None, sha: str | None = None
    ) -> FileContent:
        """A file's bytes: by blob `sha` when known (immutable, cached for good), else by path."""
        if sha is not None:
            return FileContent(path, sha, await self._blob(full_name, sha))
        found = await self._contents(full_name, path, ref)
        if found is None:
            raise ProviderBadResponse(
                f"{full_name} has no file {path!r}" + (f" at {ref}" if ref else "")
            )
        return found

    async def _contents(self, full_name: str, path: str, ref: str | None) -> FileContent | None:
        params: dict[str, str | int] | None = {"ref": ref} if ref else None
        response = await self._get(f"/repos/{quote(full_name)}/contents/{quote(path)}", params)
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._unexpected(response)
        body = self._object(response)
        if body.get("type") != "file":
            raise ProviderBadResponse(f"{response.url} is a {body.get('type')}, not a file")
        sha = body.get("sha")
        if not isinstance(sha, str):
            raise ProviderBadResponse(f"{response.url} names no blob sha")
        if body.get("encoding") == "base64" and body.get("content"):
            return FileContent(path, sha, decode(body["content"], response.url))
        # Files over 1 MB come back with an empty `content` (encoding "none"): read the blob.
        return FileContent(path, sha, await self._blob(full_name, sha))

    async def _blob(self, full_name: str, sha: str) -> bytes:
        response = await self._get(f"/repos/{quote(full_name)}/git/blobs/{quote(sha)}")
        if response.status != 200:
            raise self._unexpected(response)
        body = self._object(response)
        if body.get("encoding") != "base64":
            raise ProviderBadResponse(f"{response.url} answered encoding {body.get('encoding')!r}")
        return decode(body.get("content") or "", response.url)

    async def get_sponsorship(self, login: str) -> SponsorshipSignals | None:
        """Sponsors listing, sponsorships, verification and contact fields; None for an unknown
        login.

        GitHub's GraphQL API needs a token: without one this returns None rather than fail.
        """
        if not self._token:
            log.info("provider.github.sponsorship_skipped", reason="GITHUB_TOKEN is unset")
            return None
        payload = {"query": SPONSORSHIP_QUERY, "variables": {"login": login}}
        response = await self._client.request(
            "POST", self._graphql_url, json_body=payload, headers=self._headers
        )
        self._raise_for_access(response)
        if response.status != 200:
            raise self._unexpected(response)
        body = self._object(response)
        data = body.get("data") or {}
        for error in body.get("errors") or []:
            if error.get("type") == "RATE_LIMITED":
                status = RateLimitStatus.from_headers(response.headers)
                reset_at = status.reset_at if status and status.reset_at else None
                if reset_at is None:
                    raise ProviderBadResponse(
                        f"{response.url} is rate limited without a reset time"
                    )
                raise ProviderRateLimited("GitHub GraphQL is rate limited", reset_at=reset_at)
            if error.get("type") == "NOT_FOUND":
                continue
            raise ProviderBadResponse(f"{response.url} answered an error: {error.get('message')}")
        owner = data.get("repositoryOwner")
        if not isinstance(owner, dict):
            return None
        with reading(response.url):
            return to_signals(owner, login)

    async def get_funding_file(self, login: str) -> FundingFile | None:
        """The owner's default FUNDING.yml (in its `.github` repository); None when it has none.

        A file that cannot be read as FUNDING.yml comes back with its `error`, not raised: one
        owner's broken file must not stop the work that reads it.
        """
        full_name = f"{login}/{FUNDING_REPOSITORY}"
        url = f"https://github.com/{full_name}/blob/HEAD/{FUNDING_PATH}"
        try:
            content = await self._contents(full_name, FUNDING_PATH, None)
        except ProviderBadResponse as error:
            return FundingFile(url, (), error=error.detail[:500])
        if content is None:
            return None
        try:
            return FundingFile(url, parse_funding_file(content.data))
        except FundingFileError as error:
            return FundingFile(url, (), error=f"{FUNDING_PATH}: {error.reason}"[:500])


def _message(response: UpstreamResponse) -> str:
    try:
        body = response.json()
    except ProviderBadResponse:
        return response.body[:200].decode(errors="replace")
    return str(body.get("message", "")) if isinstance(body, dict) else ""
