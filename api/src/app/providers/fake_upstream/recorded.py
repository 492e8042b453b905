"""Recorded upstream answers (fixtures `index.json`) replayed at the path they were recorded for."""

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response

# Where each real upstream lives on the fake: GITHUB_API_URL=<fake>/github and so on.
PREFIXES = {"api.github.com": "/github", "repos.ecosyste.ms": "/ecosystems"}

RecordedKey = tuple[str, str, frozenset[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def load_recorded(fixtures_dir: Path) -> dict[RecordedKey, RecordedAnswer]:
    """Every indexed answer with a concrete URL and a body; the first recording of a key wins."""
    answers: dict[RecordedKey, RecordedAnswer] = {}
    for entry in json.loads((fixtures_dir / "index.json").read_text(encoding="utf-8")):
        url = urlsplit(entry["url"])
        prefix = PREFIXES.get(url.hostname or "")
        if prefix is None or "{" in url.path or "..." in url.path:
            continue
        if entry.get("file"):
            body = (fixtures_dir / entry["file"]).read_bytes()
        elif "body_text" in entry:
            body = entry["body_text"].encode()
        else:
            continue
        key = (entry["method"], prefix + url.path, frozenset(parse_qsl(url.query)))
        answers.setdefault(key, RecordedAnswer(entry["status"], entry["response_headers"], body))
    return answers


def replay(request: Request, answers: dict[RecordedKey, RecordedAnswer]) -> Response | None:
    key = (request.method, request.url.path, frozenset(request.query_params.multi_items()))
    recorded = answers.get(key)
    if recorded is None:
        return None
    headers = dict(recorded.headers)
    if "link" in headers:
        base = str(request.base_url).rstrip("/")
        link = headers["link"]
        for host, prefix in PREFIXES.items():
            for scheme in ("https", "http"):
                link = link.replace(f"{scheme}://{host}", base + prefix)
        headers["link"] = link
    return Response(recorded.body, status_code=recorded.status, headers=headers)
