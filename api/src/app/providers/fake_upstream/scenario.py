"""Scenario files for the fake upstream: organizations -> repositories -> manifest files."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal[
    "server_error",
    "secondary_limit",
    "primary_limit",
    "malformed",
    "truncated",
    "latency",
    "unauthorized",
    "forbidden",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepositorySpec(_Spec):
    name: str
    description: str | None = None
    stars: int = 0
    language: str | None = None
    fork: bool = False
    archived: bool = False
    private: bool = False
    default_branch: str = "main"
    pushed_at: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    empty: bool = False
    files: dict[str, str] = Field(default_factory=dict)


class OrganizationSpec(_Spec):
    login: str
    kind: Literal["Organization", "User"] = "Organization"
    name: str | None = None
    description: str | None = None
    blog: str | None = None
    email: str | None = None
    location: str | None = None
    is_verified: bool = False
    twitter_username: str | None = None
    members: int = 0
    has_sponsors_listing: bool = False
    sponsoring: int = 0
    sponsorships_as_sponsor: int = 0
    sponsors: int = 0
    # The owner's default FUNDING.yml, served from its `.github` repository.
    funding_yml: str | None = None
    repositories: list[RepositorySpec] = Field(default_factory=list)


class DependentSpec(_Spec):
    repository: str
    filepath: str
    requirements: str | None = "*"
    kind: str = "runtime"
    direct: bool = True
    manifest_kind: str = "manifest"


class PackageUsageSpec(_Spec):
    ecosystem: str
    name: str
    dependents: list[DependentSpec] = Field(default_factory=list)
    # What ecosyste.ms' packages service reports; no `repository_url`: unknown to it.
    repository_url: str | None = None
    description: str | None = None
    latest_version: str | None = None


class FaultSpec(_Spec):
    """Misbehave for requests whose path matches the glob `match`, `times` times (None: always)."""

    kind: FaultKind
    match: str = "*"
    times: int | None = 1
    status: int | None = None
    retry_after: int | None = None
    reset_in: int = 3600
    seconds: float = 0.0
    # What a `malformed` answer says (valid JSON of the wrong shape, say); by default a body
    # that is not JSON at all.
    body: str | None = None


class Scenario(_Spec):
    organizations: list[OrganizationSpec] = Field(default_factory=list)
    packages: list[PackageUsageSpec] = Field(default_factory=list)
    faults: list[FaultSpec] = Field(default_factory=list)
    page_size: int = Field(default=100, ge=1, le=100)
    rate_limit: int = Field(default=5000, ge=1)
    latency: float = Field(default=0.0, ge=0)
    # Recursive trees with more entries than this come back `truncated`, as GitHub's do past
    # its own limits; None never truncates.
    truncate_trees_over: int | None = None
    # Contents of files larger than this come back empty with encoding "none" (GitHub: 1 MB).
    large_file_bytes: int = 1024 * 1024

    def organization(self, login: str) -> OrganizationSpec | None:
        wanted = login.lower()
        return next((o for o in self.organizations if o.login.lower() == wanted), None)

    def repository(self, owner: str, name: str) -> tuple[OrganizationSpec, RepositorySpec] | None:
        organization = self.organization(owner)
        if organization is None:
            return None
        wanted = name.lower()
        found = next((r for r in organization.repositories if r.name.lower() == wanted), None)
        return (organization, found) if found is not None else None


DEMO_SCENARIO = Path(__file__).with_name("scenarios") / "demo.yaml"


def load_scenario(path: Path) -> Scenario:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return Scenario.model_validate(data or {})


def git_sha(*parts: str | bytes) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def numeric_id(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
