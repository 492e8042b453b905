"""Failures of the read API's use cases, rendered as problems by the API layer."""

from typing import Any

from app.core.ecosystems import Ecosystem
from app.core.errors import NotFound, WumpError


class PackageNotFound(NotFound):
    code = "package_not_found"
    title = "Package Not Found"


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "Organization Not Found"


class RepositoryNotFound(NotFound):
    code = "repository_not_found"
    title = "Repository Not Found"


class AmbiguousPackage(WumpError):
    """The name exists in several ecosystems; `candidates` lists each one's canonical URL."""

    status = 409
    code = "ambiguous_package"
    title = "Ambiguous Package"

    def __init__(self, name: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(
            f"{name!r} exists in {len(candidates)} ecosystems; name one of them",
            candidates=candidates,
        )


class UnknownEcosystem(WumpError):
    status = 422
    code = "unknown_ecosystem"
    title = "Unknown Ecosystem"

    def __init__(self, ecosystem: str) -> None:
        valid = [e.value for e in Ecosystem]
        super().__init__(
            f"unknown ecosystem {ecosystem[:50]!r}; expected one of {', '.join(valid)}",
            valid_ecosystems=valid,
        )


class InvalidPackageUrl(WumpError):
    status = 422
    code = "invalid_purl"
    title = "Invalid Package URL"


class InvalidCursor(WumpError):
    status = 400
    code = "invalid_cursor"
    title = "Invalid Cursor"

    def __init__(self) -> None:
        super().__init__("the cursor is malformed or belongs to another sort; start over")


class PageLimitExceeded(WumpError):
    status = 422
    code = "limit_too_large"
    title = "Limit Too Large"

    def __init__(self, limit: int, cap: int) -> None:
        super().__init__(f"limit {limit} is above the maximum of {cap}", max_limit=cap)
