"""Contracts of usage events: the feeds' query and items."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.core.ecosystems import Ecosystem
from app.schemas.pagination import ListQuery

UsageEventType = Literal["started", "stopped", "changed"]


class UsageEventsQuery(ListQuery):
    type: list[UsageEventType] | None = Field(
        default=None, description="Event types; repeat the parameter for several."
    )
    since: AwareDatetime | None = Field(
        default=None, description="Only events at or after this time (with a time zone)."
    )
    initial: bool | None = Field(
        default=None,
        description="`false` leaves out the events of organizations' first imports, `true` "
        "keeps only those; all by default.",
    )


class EventRepository(BaseModel):
    full_name: str | None = Field(examples=["acme/web"])
    change: Literal["added", "removed", "updated"] = Field(
        description="`added`: the repository now uses the package; `removed`: it no longer "
        "does (or was deleted); `updated`: its use or its attributes changed."
    )
    manifests: list[str] = Field(
        description="Manifests that declare the package now.", examples=[["package.json"]]
    )
    commit: str | None = Field(description="The commit they were read at.")


class UsageEventRead(BaseModel):
    """An organization started, stopped or changed using a package."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "019ad5c2-7f00-7000-8000-000000000001",
                    "seq": 1042,
                    "type": "started",
                    "occurred_at": "2026-11-30T09:12:00Z",
                    "initial": False,
                    "ecosystem": "npm",
                    "package": "left-pad",
                    "purl": "pkg:npm/left-pad",
                    "organization": "acme",
                    "repositories_before": 0,
                    "repositories_after": 1,
                    "kinds_before": [],
                    "kinds_after": ["runtime"],
                    "repositories": [
                        {
                            "full_name": "acme/web",
                            "change": "added",
                            "manifests": ["package.json"],
                            "commit": "4f1c0d5e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
                        }
                    ],
                }
            ]
        }
    )

    id: UUID
    seq: int = Field(
        description="The event's place in the feeds: numbers grow in the order events are "
        "committed, so an event that appears later never sorts behind one already read."
    )
    type: UsageEventType
    occurred_at: datetime
    initial: bool = Field(
        description="Written during the organization's first import, not a change seen later."
    )
    ecosystem: Ecosystem
    package: str = Field(description="The package's name.", examples=["left-pad"])
    purl: str = Field(examples=["pkg:npm/left-pad"])
    organization: str = Field(description="The organization's login.", examples=["acme"])
    repositories_before: int = Field(description="Its repositories using the package before.")
    repositories_after: int = Field(description="And after (forks and archived excluded).")
    kinds_before: list[str]
    kinds_after: list[str]
    repositories: list[EventRepository] = Field(
        description="Its repositories whose use of the package changed, with the evidence."
    )
