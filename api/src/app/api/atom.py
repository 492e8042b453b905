"""Usage events as an Atom feed (RFC 4287), paged with RFC 5005 `next` links."""

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Request, Response

from app.api.responses import CSV_MEDIA_TYPE, etag_for, list_response
from app.schemas.common import problem_response
from app.schemas.pagination import Page
from app.schemas.usage_event import UsageEventRead
from app.services.paging import Listing

ATOM_MEDIA_TYPE = "application/atom+xml"
_NS = "http://www.w3.org/2005/Atom"
# An empty feed has no newest entry; a fixed `updated` keeps its ETag stable.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VERBS = {"started": "started using", "stopped": "stopped using", "changed": "changed its use of"}


def wants_atom(request: Request) -> bool:
    return ATOM_MEDIA_TYPE in request.headers.get("accept", "")


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> None:
    child = ET.SubElement(parent, f"{{{_NS}}}{tag}", attributes)
    child.text = text


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _summary(event: UsageEventRead) -> str:
    counts = f"{event.repositories_before} -> {event.repositories_after} repositories"
    kinds = ""
    if event.kinds_before != event.kinds_after:
        before = ", ".join(event.kinds_before) or "none"
        kinds = f"; kinds {before} -> {', '.join(event.kinds_after) or 'none'}"
    lines = [f"{counts}{kinds}{' (first import)' if event.initial else ''}."]
    for repository in event.repositories:
        evidence = ", ".join(repository.manifests) or "no manifest declares it"
        at = f" at {repository.commit[:12]}" if repository.commit else ""
        lines.append(
            f"{repository.full_name or 'a deleted repository'}: {repository.change}"
            f" ({evidence}{at})"
        )
    return "\n".join(lines)


def atom_feed(request: Request, title: str, page: Page[UsageEventRead]) -> bytes:
    """The page as an Atom document; its id is the feed's URL without paging parameters."""
    ET.register_namespace("", _NS)
    feed = ET.Element(f"{{{_NS}}}feed")
    base = request.url.remove_query_params("cursor")
    _element(feed, "id", str(base))
    _element(feed, "title", title)
    newest = max((event.occurred_at for event in page.items), default=_EPOCH)
    _element(feed, "updated", _stamp(newest))
    _element(feed, "generator", "wump")
    author = ET.SubElement(feed, f"{{{_NS}}}author")
    _element(author, "name", "wump")
    _element(feed, "link", rel="self", href=str(request.url), type=ATOM_MEDIA_TYPE)
    if page.next_cursor is not None:
        following = request.url.include_query_params(cursor=page.next_cursor)
        _element(feed, "link", rel="next", href=str(following), type=ATOM_MEDIA_TYPE)
    for event in page.items:
        entry = ET.SubElement(feed, f"{{{_NS}}}entry")
        _element(entry, "id", f"urn:uuid:{event.id}")
        package = f"{event.ecosystem.value}/{event.package}"
        _element(entry, "title", f"{event.organization} {_VERBS[event.type]} {package}")
        _element(entry, "updated", _stamp(event.occurred_at))
        _element(entry, "published", _stamp(event.occurred_at))
        _element(entry, "category", term=event.type)
        _element(entry, "link", rel="alternate", href=f"https://github.com/{event.organization}")
        _element(entry, "summary", _summary(event))
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


async def events_response(
    request: Request,
    listing: Listing[Any, UsageEventRead],
    title: str,
    *,
    atom: bool,
) -> Response:
    """The page as Atom when asked for, else as any list (JSON, CSV); ETag and 304 either way."""
    if not atom:
        return await list_response(request, listing)
    body = atom_feed(request, title, await listing.page())
    etag = etag_for(body)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag in [p.strip() for p in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type=f"{ATOM_MEDIA_TYPE}; charset=utf-8", headers={"ETag": etag})


def events_responses(*, atom: bool) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of an events feed: its Atom and CSV forms, 304 and its problems."""
    content: dict[str, Any] = {ATOM_MEDIA_TYPE: {"schema": {"type": "string"}}}
    if not atom:
        content[CSV_MEDIA_TYPE] = {"schema": {"type": "string"}}
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "The Atom feed" if atom else "The events, as JSON, CSV or Atom",
            "content": content,
        },
        304: {"description": "Not modified: the ETag in If-None-Match still matches"},
        400: problem_response("The cursor is malformed"),
        404: problem_response("Not found"),
        422: problem_response("Invalid parameters (limit above the maximum, date without zone)"),
    }
    return responses
