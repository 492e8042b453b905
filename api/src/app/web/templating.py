"""The Jinja2 environment of the pages: autoescaping on, a few formatting filters."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def day(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.isoformat()


def path_part(value: str) -> str:
    """A package name as a URL path: slashes stay (scopes, Go modules), the rest is escaped."""
    return quote(value, safe="/@:")


def query(params: dict[str, Any], **changes: Any) -> str:
    """`params` with `changes` applied (None removes) as a query string, lists repeated."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "":
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return urlencode(pairs)


def moment(value: object) -> bool:
    return isinstance(value, datetime | date)


def label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def facts(model: BaseModel, shown: frozenset[str] = frozenset()) -> list[tuple[str, Any]]:
    """(label, value) of each field not in `shown`; a nested model's fields are listed under
    its name, so fields the API adds later show up without a template change."""
    found: list[tuple[str, Any]] = []
    for name in type(model).model_fields:
        if name in shown:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += [(f"{label(name)}: {inner.lower()}", v) for inner, v in facts(value)]
        else:
            found.append((label(name), value))
    return found


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(number=number, day=day, path_part=path_part)
templates.env.globals.update(query=query, facts=facts)
templates.env.tests["moment"] = moment
templates.env.tests["model"] = lambda value: isinstance(value, BaseModel)
