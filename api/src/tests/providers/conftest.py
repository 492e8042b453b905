"""Provider test support: the fake upstream in-process, recorded answers, a recording sleep."""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from app.core.config import Settings
from app.providers import build_providers
from app.providers.ecosystems import EcosystemsProvider
from app.providers.fake_upstream import Scenario, create_fake_upstream
from app.providers.fake_upstream.state import FakeState
from app.providers.github import GitHubProvider

UPSTREAM_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
FAKE_BASE = "http://fake.test"
NOW = 1_750_000_000.0


@dataclass
class RecordingSleep:
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass(frozen=True)
class Recorded:
    status: int
    headers: dict[str, str]
    body: bytes

    def response(self, **header_overrides: str) -> httpx.Response:
        return httpx.Response(
            self.status, headers={**self.headers, **header_overrides}, content=self.body
        )


def recorded(file: str) -> Recorded:
    """A recorded answer: body plus the headers it was recorded with."""
    index = json.loads((UPSTREAM_FIXTURES / "index.json").read_text())
    entry = next(e for e in index if e["file"] == file)
    return Recorded(
        entry["status"], entry["response_headers"], (UPSTREAM_FIXTURES / file).read_bytes()
    )


def provider_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "github_api_url": f"{FAKE_BASE}/github",
        "github_graphql_url": f"{FAKE_BASE}/github/graphql",
        "ecosystems_api_url": f"{FAKE_BASE}/ecosystems/api/v1",
        "ecosystems_packages_api_url": f"{FAKE_BASE}/ecosystems-packages/api/v1",
        "github_token": "test-token",
        "http_max_retries": 3,
        "http_user_agent_contact": "maintainers@wump.test",
    }
    return Settings(_env_file=None, **(values | overrides))


@dataclass
class Harness:
    http: httpx.AsyncClient
    github: GitHubProvider
    ecosystems: EcosystemsProvider
    sleep: RecordingSleep
    app: Starlette | None = None

    @property
    def fake(self) -> FakeState:
        assert self.app is not None
        state: FakeState = self.app.state.fake
        return state

    def requests(self, path_part: str = "") -> list[dict[str, Any]]:
        return [r for r in self.fake.requests if path_part in r["path"]]


class HarnessFactory(Protocol):
    def __call__(
        self,
        scenario: Scenario | dict[str, Any] | None = None,
        *,
        handler: Callable[[httpx.Request], httpx.Response] | None = None,
        cache: Redis | None = None,
        fixtures_dir: Path | None = None,
        clock: Callable[[], float] | None = None,
        **settings: Any,
    ) -> Harness: ...


@pytest.fixture
async def harness() -> AsyncIterator[HarnessFactory]:
    """Providers wired as in production, talking to the fake upstream (or to `handler`)."""
    opened: list[httpx.AsyncClient] = []

    def build(
        scenario: Scenario | dict[str, Any] | None = None,
        *,
        handler: Callable[[httpx.Request], httpx.Response] | None = None,
        cache: Redis | None = None,
        fixtures_dir: Path | None = None,
        clock: Callable[[], float] | None = None,
        **settings: Any,
    ) -> Harness:
        app = None
        transport: httpx.AsyncBaseTransport
        if handler is not None:
            transport = httpx.MockTransport(handler)
        else:
            parsed = (
                scenario
                if isinstance(scenario, Scenario)
                else Scenario.model_validate(scenario or {})
            )
            app = create_fake_upstream(parsed, fixtures_dir=fixtures_dir)
            transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport)
        opened.append(http)
        sleep = RecordingSleep()
        extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
        registry = build_providers(provider_settings(**settings), http, cache, sleep=sleep, **extra)
        github, ecosystems = registry.provider("github"), registry.provider("ecosystems")
        assert isinstance(github, GitHubProvider)
        assert isinstance(ecosystems, EcosystemsProvider)
        return Harness(http, github, ecosystems, sleep, app)

    yield build
    for http in opened:
        await http.aclose()


def octo_org(**repository_overrides: Any) -> dict[str, Any]:
    """A small organization: one app with manifests, one library, one archived fork."""
    app_files = {
        "package.json": '{"dependencies": {"left-pad": "^1.3.0"}}',
        "api/requirements.txt": "httpx==0.28.1\n",
        "node_modules/left-pad/package.json": '{"name": "left-pad"}',
        "vendor/acme/go.mod": "module acme\n",
        "docs/index.md": "# docs\n",
    }
    return {
        "login": "octo-org",
        "name": "Octo Org",
        "blog": "octo.example",
        "email": "hello@octo.example",
        "location": "Lisbon",
        "is_verified": True,
        "repositories": [
            {
                "name": "app",
                "stars": 42,
                "language": "TypeScript",
                "files": app_files,
                **repository_overrides,
            },
            {
                "name": "lib",
                "stars": 7,
                "language": "Python",
                "files": {"pyproject.toml": "[project]\nname='lib'\n"},
            },
            {"name": "old-fork", "fork": True, "archived": True, "default_branch": "master"},
        ],
    }
