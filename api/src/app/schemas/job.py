"""Background jobs as the API shows them."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["pending", "running", "completed", "failed"]
JobType = Literal[
    "ingest_organization", "ingest_repository", "discover_package_users", "enrich_organization"
]


class JobRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "019ac1f2-7d43-7c1e-9a51-3f0c2b8e4d10",
                    "job_type": "ingest_organization",
                    "subject": "octo-org",
                    "status": "running",
                    "attempts": 1,
                    "records_processed": 1250,
                    "error_message": None,
                    "metadata": {
                        "arguments": {"login": "octo-org"},
                        "report": {"repositories": 25, "records_processed": 1250, "failures": []},
                    },
                    "created_at": "2026-11-26T12:00:00Z",
                    "started_at": "2026-11-26T12:00:01Z",
                    "scheduled_at": None,
                    "completed_at": None,
                    "url": "/api/v1/jobs/019ac1f2-7d43-7c1e-9a51-3f0c2b8e4d10",
                }
            ]
        },
    )

    id: uuid.UUID
    job_type: str
    subject: str = Field(description="The login, `owner/name` or `ecosystem/name` it works on.")
    status: JobStatus
    attempts: int = Field(description="Attempts started so far.")
    records_processed: int = Field(description="Dependency rows written so far.")
    error_message: str | None = Field(
        default=None, description="Why the last attempt failed (also while a retry is pending)."
    )
    metadata: dict[str, Any] = Field(
        validation_alias="details",
        description="Arguments, the progress report (repositories, failures) and retry state.",
    )
    created_at: datetime
    started_at: datetime | None = None
    scheduled_at: datetime | None = Field(
        default=None, description="When a pending retry runs (after a rate limit or a fault)."
    )
    completed_at: datetime | None = None
    url: str = ""
