"""GitHub's JSON bodies read into data objects; a body of another shape is a bad response."""

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.core.errors import ProviderBadResponse
from app.providers.base import (
    OrganizationProfile,
    RepositoryInfo,
    SponsorshipSignals,
    parse_timestamp,
)


@contextmanager
def reading(url: str) -> Iterator[None]:
    """Valid JSON of the wrong shape (a list for an object, a number for a name, a key missing)
    raises ProviderBadResponse naming the URL, like a body that is not JSON at all, so callers
    that isolate one repository's bad answers see the one error they handle."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ProviderBadResponse(
            f"{url} answered a body of an unexpected shape ({type(error).__name__}: {error})"
        ) from None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _name(body: dict[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is {value!r}, not a name")
    return value


def to_profile(body: dict[str, Any]) -> OrganizationProfile:
    website = _text(body.get("blog"))
    # GitHub stores `blog` as typed; a bare host is still the organization's website.
    if website and "://" not in website:
        website = f"https://{website}"
    return OrganizationProfile(
        login=_name(body, "login"),
        kind="User" if body.get("type") == "User" else "Organization",
        name=_text(body.get("name")),
        description=_text(body.get("description")) or _text(body.get("bio")),
        website=website,
        email=_text(body.get("email")),
        location=_text(body.get("location")),
        is_verified=bool(body.get("is_verified", False)),
        html_url=_string(body.get("html_url")),
        avatar_url=_string(body.get("avatar_url")),
        public_repos=_integer(body.get("public_repos")),
        provider_id=_integer(body.get("id")),
    )


def to_repository(body: dict[str, Any]) -> RepositoryInfo:
    owner = body.get("owner") or {}
    full_name = _name(body, "full_name")
    if "/" not in full_name:
        raise ValueError(f"full_name {full_name!r} names no owner")
    # Each field is checked here: one repository's odd value must not fail a whole write batch.
    return RepositoryInfo(
        full_name=full_name,
        owner=_string(owner.get("login")) or full_name.partition("/")[0],
        name=_string(body.get("name")) or full_name.partition("/")[2],
        html_url=_string(body.get("html_url")),
        description=_text(body.get("description")),
        stars=_integer(body.get("stargazers_count")) or 0,
        language=_string(body.get("language")),
        is_fork=bool(body.get("fork", False)),
        is_archived=bool(body.get("archived", False)),
        is_private=bool(body.get("private", False)),
        pushed_at=parse_timestamp(body.get("pushed_at")),
        default_branch=_string(body.get("default_branch")),
        provider_id=_integer(body.get("id")),
    )


def commit_sha(body: dict[str, Any]) -> str:
    sha = body["object"]["sha"]
    if not isinstance(sha, str) or not sha:
        raise ValueError(f"object.sha is {sha!r}")
    return sha


def tree_entries(tree: dict[str, Any]) -> Iterator[tuple[str, str, str, int | None]]:
    """(path, type, sha, size) of each entry of a git tree."""
    entries = tree.get("tree") or []
    if not isinstance(entries, list):
        raise TypeError(f"tree is a {type(entries).__name__}, not a list")
    for entry in entries:
        path, kind, sha = entry["path"], entry.get("type"), entry.get("sha")
        if not isinstance(path, str) or not isinstance(kind, str) or not isinstance(sha, str):
            raise TypeError(f"tree entry {entry!r} lacks a path, type or sha")
        size = entry.get("size")
        yield path, kind, sha, size if isinstance(size, int) else None


def count(node: object) -> int:
    total = node.get("totalCount") if isinstance(node, dict) else None
    return total if isinstance(total, int) and total >= 0 else 0


def to_signals(owner: dict[str, Any], login: str) -> SponsorshipSignals:
    listing = owner.get("sponsorsListing")
    members = owner.get("membersWithRole")
    website = _text(owner.get("websiteUrl"))
    if website and "://" not in website:
        website = f"https://{website}"
    return SponsorshipSignals(
        login=owner.get("login") or login,
        has_sponsors_listing=bool(owner.get("hasSponsorsListing", False)),
        sponsors_listing_url=_text(listing.get("url")) if isinstance(listing, dict) else None,
        sponsoring_count=count(owner.get("sponsoring")),
        sponsorships_as_sponsor=count(owner.get("sponsorshipsAsSponsor")),
        sponsors_count=count(owner.get("sponsors")),
        is_verified=bool(owner.get("isVerified", False)),
        website=website,
        email=_text(owner.get("email")),
        twitter_username=_text(owner.get("twitterUsername")),
        member_count=count(members) if isinstance(members, dict) else None,
    )


def decode(content: object, url: str) -> bytes:
    if not isinstance(content, str):
        raise ProviderBadResponse(f"{url} sent content that is a {type(content).__name__}")
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ProviderBadResponse(f"{url} sent content that is not base64: {error}") from None
