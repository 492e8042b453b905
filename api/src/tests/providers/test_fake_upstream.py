"""The fake upstream itself: recorded replay, scenario files, control endpoint, a real socket."""

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.core.ecosystems import Ecosystem
from app.manifests.registry import detect, parse
from app.providers import build_providers
from app.providers.base import DependentsSource
from app.providers.fake_upstream import DEMO_SCENARIO, create_fake_upstream, load_scenario
from tests.conftest import free_port
from tests.providers.conftest import UPSTREAM_FIXTURES, HarnessFactory, octo_org, provider_settings

SCENARIO_YAML = """
organizations:
  - login: yaml-org
    name: From YAML
    repositories:
      - name: svc
        files:
          go.mod: "module example.test/svc\\n"
packages:
  - ecosystem: go
    name: example.test/lib
    dependents:
      - {repository: yaml-org/svc, filepath: go.mod, requirements: v1.2.3}
"""


async def fake_client(**kwargs: object) -> httpx.AsyncClient:
    app = create_fake_upstream(**kwargs)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake.test")


async def test_recorded_answers_are_replayed_with_links_pointing_at_the_fake() -> None:
    async with await fake_client(fixtures_dir=UPSTREAM_FIXTURES) as client:
        page = await client.get("/github/user/repos", params={"per_page": 100})
        other_query = await client.get("/github/user/repos", params={"per_page": 5})

    assert page.status_code == 200
    assert len(page.json()) == 3
    assert page.headers["x-ratelimit-remaining"] == "4990"
    assert page.headers["link"].startswith(
        "<http://fake.test/github/user/repos?per_page=100&page=2>"
    )
    assert other_query.status_code == 404  # recordings match their exact query only


async def test_every_concrete_recording_is_served() -> None:
    index = json.loads((UPSTREAM_FIXTURES / "index.json").read_text())
    served = 0
    async with await fake_client(fixtures_dir=UPSTREAM_FIXTURES) as client:
        for entry in index:
            url = httpx.URL(entry["url"])
            prefix = {"api.github.com": "/github", "repos.ecosyste.ms": "/ecosystems"}.get(url.host)
            if prefix is None or "{" in url.path or "..." in url.path or not entry["file"]:
                continue
            response = await client.request(entry["method"], prefix + url.path, params=url.params)
            if entry["method"] == "GET" or response.status_code == entry["status"]:
                assert response.status_code == entry["status"], entry["file"]
                served += 1
    assert served >= 12


def test_scenario_files_load_from_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO_YAML)
    (tmp_path / "s.json").write_text(json.dumps({"organizations": [octo_org()], "page_size": 5}))

    from_yaml = load_scenario(tmp_path / "s.yaml")
    from_json = load_scenario(tmp_path / "s.json")

    assert from_yaml.organizations[0].repositories[0].files == {
        "go.mod": "module example.test/svc\n"
    }
    assert from_yaml.packages[0].dependents[0].requirements == "v1.2.3"
    assert (from_json.page_size, len(from_json.organizations[0].repositories)) == (5, 3)


async def test_control_endpoint_adds_faults_and_shows_requests() -> None:
    async with await fake_client() as client:
        await client.put("/_control/scenario", json={"organizations": [octo_org()]})
        added = await client.post("/_control/faults", json=[{"kind": "server_error", "times": 2}])
        answers = [(await client.get("/github/orgs/octo-org")).status_code for _ in range(3)]
        seen = (await client.get("/_control/requests")).json()

    assert added.json()[0]["remaining"] == 2
    assert answers == [502, 502, 200]
    assert [r["path"] for r in seen] == ["/github/orgs/octo-org"] * 3


async def test_exhausting_the_scenario_limit_answers_a_primary_rate_limit() -> None:
    async with await fake_client() as client:
        await client.put(
            "/_control/scenario", json={"organizations": [octo_org()], "rate_limit": 2}
        )
        answers = [await client.get("/github/orgs/octo-org") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 403]
    assert answers[1].headers["x-ratelimit-remaining"] == "0"
    assert answers[2].headers["x-ratelimit-remaining"] == "0"


async def test_registry_finds_providers_by_capability() -> None:
    async with httpx.AsyncClient() as http:
        registry = build_providers(provider_settings(), http, None)

    assert registry.names() == ("github", "ecosystems")
    assert registry.dependents() is registry.provider("ecosystems")
    assert registry.organizations() is registry.provider("github")
    assert registry.manifests() is registry.provider("github")
    assert registry.repositories("github") is registry.provider("github")
    assert isinstance(registry.dependents(), DependentsSource)
    with pytest.raises(LookupError, match="DependentsSource named 'github'"):
        registry.dependents("github")
    with pytest.raises(ValueError, match="already registered"):
        registry.register("github", object())


@pytest.mark.e2e
async def test_wump_dev_fake_upstream_serves_providers_over_a_socket(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO_YAML)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "dev",
        "fake-upstream",
        "--port",
        str(port),
        "--scenario",
        str(scenario),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    await http.get(f"{base}/_control/requests")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            settings = provider_settings(
                github_api_url=f"{base}/github",
                github_graphql_url=f"{base}/github/graphql",
                ecosystems_api_url=f"{base}/ecosystems/api/v1",
                ecosystems_packages_api_url=f"{base}/ecosystems-packages/api/v1",
            )
            registry = build_providers(settings, http, None)
            profile = await registry.organizations().get_organization("yaml-org")
            dependents = [
                d
                async for d in registry.dependents().list_dependents(
                    Ecosystem.GO, "example.test/lib"
                )
            ]
    finally:
        process.terminate()
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=10)
    output = stdout.decode()

    assert profile is not None
    assert profile.name == "From YAML"
    assert [(d.repository.full_name, d.requirement) for d in dependents] == [
        ("yaml-org/svc", "v1.2.3")
    ]
    assert f"GITHUB_API_URL={base}/github" in output


async def test_demo_scenario_serves_manifests_the_parsers_read(harness: HarnessFactory) -> None:
    h = harness(load_scenario(DEMO_SCENARIO))
    found: dict[str, list[str]] = {}

    async for repository in h.github.list_repositories("octo-org"):
        assert repository.default_branch is not None
        listing = await h.github.list_manifests(
            repository.full_name, repository.default_branch, lambda p: detect(p) is not None
        )
        for file in listing.files:
            content = await h.github.fetch_file(repository.full_name, file.path, sha=file.sha)
            result = parse(content.data, file.path)
            found.setdefault(repository.name, []).extend(d.name for d in result.dependencies)
    users = [d async for d in h.ecosystems.list_dependents(Ecosystem.NPM, "left-pad")]

    assert found == {"web": ["left-pad", "express"], "api": ["httpx", "fastapi", "pytest"]}
    assert {d.repository.owner for d in users} == {"octo-org", "octocat"}


def test_every_indexed_recording_is_kept_with_its_notes() -> None:
    index = json.loads((UPSTREAM_FIXTURES / "index.json").read_text())
    files = [entry["file"] for entry in index if entry["file"]]

    assert len(files) >= 30
    for file in files:
        assert (UPSTREAM_FIXTURES / file).is_file(), file
    assert "Source licences" in (UPSTREAM_FIXTURES / "README.md").read_text()


async def test_control_endpoint_lists_faults_and_refuses_malformed_ones() -> None:
    async with await fake_client() as client:
        empty = await client.get("/_control/faults")
        await client.post("/_control/faults", json=[{"kind": "server_error", "times": 2}])
        listed = await client.get("/_control/faults")
        malformed = await client.post("/_control/faults", json=[{"kind": "no_such_fault"}])
        garbage = await client.post("/_control/faults", content=b"{not json")

    assert (empty.status_code, empty.json()) == (200, [])
    assert listed.status_code == 200
    assert [(f["kind"], f["remaining"]) for f in listed.json()] == [("server_error", 2)]
    assert malformed.status_code == 422
    assert garbage.status_code == 422
