"""Contracts of the repository endpoints."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.core.ecosystems import Ecosystem


class RepositorySummary(BaseModel):
    full_name: str = Field(examples=["acme/api"])
    github_url: str = Field(examples=["https://github.com/acme/api"])
    description: str | None = None
    stars: int
    primary_language: str | None = None
    is_fork: bool
    is_archived: bool
    pushed_at: datetime | None = None


class RepositoryDependencyRead(BaseModel):
    ecosystem: Ecosystem
    name: str = Field(examples=["fastapi"])
    purl: str = Field(examples=["pkg:pypi/fastapi"])
    manifest_path: str = Field(examples=["requirements.txt"])
    requirement: str | None = Field(default=None, examples=[">=0.110"])
    version: str | None = None
    kind: str = Field(examples=["runtime"])
    is_direct: bool | None = None
    via: list[str] = Field(
        default=[],
        description="For a transitive dependency of a lockfile that records the graph: the "
        "direct dependencies that pull it in, nearest first (at most MANIFEST_VIA_LIMIT).",
        examples=[["jinja2"]],
    )


class RepositoryRead(RepositorySummary):
    owner: str = Field(examples=["acme"])
    default_branch: str | None = None
    scanned_at: datetime | None = None
    dependencies: list[RepositoryDependencyRead]
