"""Contracts of /stats."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.core.ecosystems import Ecosystem


class TopPackage(BaseModel):
    name: str = Field(examples=["react"])
    purl: str = Field(examples=["pkg:npm/react"])
    organization_count: int
    repository_count: int


class EcosystemStatsRead(BaseModel):
    ecosystem: Ecosystem
    packages: int
    organizations: int = Field(description="Organizations using at least one of its packages.")
    repositories: int = Field(description="Repositories using at least one of its packages.")
    dependencies: int = Field(description="Dependency declarations on its packages.")
    top_packages: list[TopPackage]


class StatsRead(BaseModel):
    packages: int
    organizations: int
    repositories: int
    dependencies: int
    ecosystems: list[EcosystemStatsRead]
    refreshed_at: datetime | None = Field(
        default=None, description="When the per-ecosystem counts were last computed."
    )
