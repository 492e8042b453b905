"""Contracts shared by every endpoint: the RFC 9457 problem body."""

from typing import Any

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with wump's stable `code` and field `errors` for validation."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI `responses=` entry for a problem answer."""
    return {"description": description, "model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}
