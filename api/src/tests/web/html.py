"""Reading the pages back in tests: rows of a table body, links and text, with the stdlib only."""

import re
from html import unescape
from urllib.parse import unquote


def tbody(page: str, name: str) -> str:
    found = re.search(rf'<tbody id="{name}">(.*?)</tbody>', page, re.S)
    assert found is not None, f"no tbody {name!r}"
    return found.group(1)


def row_logins(page: str, name: str = "users") -> list[str]:
    """The organization each row of the table links to, in order."""
    rows = re.findall(r"<tr>(.*?)</tr>", tbody(page, name), re.S)
    logins = []
    for row in rows:
        link = re.search(r'href="/organizations/([^"/?]+)"', row)
        assert link is not None, row
        logins.append(unquote(unescape(link.group(1))))
    return logins


def more_href(page: str, name: str) -> str | None:
    found = re.search(rf'href="([^"]+)" data-more="{name}"', page)
    return unescape(found.group(1)) if found else None


def text(page: str) -> str:
    """The visible words, single-spaced."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())
