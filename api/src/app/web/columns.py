"""Table columns of the pages: one line per column, and any field the API adds shows up too."""

from dataclasses import dataclass

from pydantic import BaseModel

from app.schemas.organization import OrganizationPackageRead
from app.schemas.package import PackageUserRead
from app.schemas.repository import RepositorySummary


@dataclass(frozen=True, slots=True)
class Column:
    """`field` of the row model; `cell` names the macro that renders it (`value` guesses from
    the value's type); `sort` is the API sort this column orders by, when it has one."""

    field: str
    label: str
    cell: str = "value"
    sort: str | None = None
    numeric: bool = False


def columns_for(
    model: type[BaseModel], known: tuple[Column, ...], hidden: set[str]
) -> list[Column]:
    """The known columns, then every other field of `model` not hidden, in schema order."""
    named = {c.field for c in known} | hidden
    extra = [
        Column(name, (info.title or name.replace("_", " ")).capitalize())
        for name, info in model.model_fields.items()
        if name not in named
    ]
    return [*known, *extra]


# Shown inside the organization cell, so the table fits a desktop screen without scrolling.
IN_ORGANIZATION_CELL = frozenset({"name", "github_url", "owner_type", "website_url"})

USER_COLUMNS = columns_for(
    PackageUserRead,
    (
        Column("login", "Organization", cell="organization", sort="name"),
        Column("readiness", "Readiness", cell="readiness", sort="readiness"),
        Column("sponsorship", "Sponsorship", cell="sponsorship"),
        Column("repository_count", "Repositories", cell="uses", sort="repositories", numeric=True),
        Column("transitive_repository_count", "Via", cell="via"),
        Column("total_stars", "Stars", sort="stars", numeric=True),
        Column("languages", "Languages"),
        Column("latest_push", "Last push", sort="recent"),
        Column("kinds", "Kinds", cell="tags"),
        Column("sample_repositories", "Top repositories", cell="samples"),
    ),
    # Direct use is what `repository_count` counts unless the page asks for another
    # `dependency`; the via cell shows `via` with the transitive count.
    hidden={*IN_ORGANIZATION_CELL, "direct_repository_count", "via"},
)

PACKAGE_COLUMNS = columns_for(
    OrganizationPackageRead,
    (
        Column("name", "Package", cell="package"),
        Column("ecosystem", "Ecosystem"),
        Column("repository_count", "Repositories", cell="uses", numeric=True),
        Column("transitive_repository_count", "Via", cell="via"),
        Column("kinds", "Kinds", cell="tags"),
    ),
    hidden={"purl", "via"},
)

REPOSITORY_COLUMNS = columns_for(
    RepositorySummary,
    (
        Column("full_name", "Repository", cell="repository"),
        Column("stars", "Stars", numeric=True),
        Column("primary_language", "Language"),
        Column("pushed_at", "Last push"),
        Column("is_fork", "Fork"),
        Column("is_archived", "Archived"),
    ),
    hidden={"github_url", "description"},
)

# The organization page lays these out by name; any other field is listed with the signals.
SHOWN_PROFILE_FIELDS = frozenset(
    {
        "login",
        "name",
        "owner_type",
        "github_url",
        "website_url",
        "total_repositories",
        "total_stars",
        "description",
        "location",
        "email",
        "is_verified",
        "sponsorship_url",
        "has_sponsors_listing",
        "repository_count",
        "package_count",
        "sponsorship",
    }
)
