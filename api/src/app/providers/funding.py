"""FUNDING.yml: GitHub's sponsor-button file, read into funding links (pure, no I/O)."""

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.providers.base import FundingLink

# One link template per platform key GitHub documents for FUNDING.yml (`otechie` and
# `community_bridge` are retired platforms that older files still name).
PLATFORM_URLS = {
    "github": "https://github.com/sponsors/{}",
    "patreon": "https://www.patreon.com/{}",
    "open_collective": "https://opencollective.com/{}",
    "ko_fi": "https://ko-fi.com/{}",
    "tidelift": "https://tidelift.com/funding/github/{}",
    "community_bridge": "https://funding.communitybridge.org/projects/{}",
    "liberapay": "https://liberapay.com/{}",
    "issuehunt": "https://issuehunt.io/r/{}",
    "otechie": "https://otechie.com/{}",
    "lfx_crowdfunding": "https://crowdfunding.lfx.linuxfoundation.org/projects/{}",
    "polar": "https://polar.sh/{}",
    "buy_me_a_coffee": "https://buymeacoffee.com/{}",
    "thanks_dev": "https://thanks.dev/{}",
}
CUSTOM = "custom"
# GitHub accepts up to four entries for the keys that take a list (`github`, `custom`).
MAX_ENTRIES = 4
MAX_BYTES = 64 * 1024
# A platform name: letters, digits and the separators the platforms' names and `tidelift`'s
# `platform/package` use.
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/@]{0,199}$")


class FundingFileError(ValueError):
    """The file is not a FUNDING.yml GitHub would read; `reason` says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items[:MAX_ENTRIES]:
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str) and item.strip():
            found.append(item.strip())
    return found


def _custom_url(value: str) -> str | None:
    """An http(s) address with a host name; a bare `host/path` is read as https."""
    url = value if "://" in value else f"https://{value}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or any(c.isspace() for c in url):
        return None
    if not _HOST.match(parts.hostname or ""):
        return None
    return url[:500]


def _platform_url(platform: str, value: str) -> str | None:
    if value.lower().startswith(("http://", "https://")):
        # People often paste their page's address instead of their name: keep it as given.
        return _custom_url(value)
    name = value.strip("/")
    if not _NAME.match(name):
        return None
    return PLATFORM_URLS[platform].format(name)[:500]


def parse_funding_file(data: bytes) -> tuple[FundingLink, ...]:
    """The funding links a FUNDING.yml names, in the file's order, without duplicates.

    Unknown keys and empty placeholders are skipped, as GitHub skips them; a file that is not
    YAML, or whose top level is not a mapping, raises FundingFileError.
    """
    if len(data) > MAX_BYTES:
        raise FundingFileError(f"{len(data)} bytes, over the {MAX_BYTES} limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FundingFileError(f"not UTF-8 at byte {error.start}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise FundingFileError(f"not valid YAML: {where}{problem}") from None
    if document is None:
        return ()
    if not isinstance(document, dict):
        raise FundingFileError(f"the top level is a {type(document).__name__}, not a mapping")
    return links_from_mapping(document)


def links_from_mapping(document: dict[Any, Any]) -> tuple[FundingLink, ...]:
    """The links of an already parsed FUNDING.yml mapping (as ecosyste.ms reports them)."""
    entries: list[FundingLink] = []
    seen: set[str] = set()
    for key, value in document.items():
        platform = str(key).strip().lower()
        if platform != CUSTOM and platform not in PLATFORM_URLS:
            continue
        for item in _values(value):
            url = _custom_url(item) if platform == CUSTOM else _platform_url(platform, item)
            if url is not None and url not in seen:
                seen.add(url)
                entries.append(FundingLink(platform, url))
    return tuple(entries)
