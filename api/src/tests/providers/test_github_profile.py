"""GitHub organization profiles and repository listings, from recorded answers and the fake."""

from datetime import UTC, datetime

import httpx

from app.providers.github_bodies import to_profile
from tests.providers.conftest import UPSTREAM_FIXTURES, HarnessFactory, octo_org, recorded


async def test_recorded_organization_maps_to_a_profile(harness: HarnessFactory) -> None:
    h = harness(fixtures_dir=UPSTREAM_FIXTURES)

    profile = await h.github.get_organization("github")

    assert profile is not None
    assert profile.login == "github"
    assert profile.kind == "Organization"
    assert profile.name == "GitHub"
    assert profile.website == "https://github.com/about"
    assert profile.description == "How people build software."
    assert profile.location == "San Francisco, CA"
    assert profile.email is None
    assert profile.is_verified is True
    assert profile.public_repos == 522
    assert profile.provider_id == 9919


async def test_rate_limit_headers_of_each_answer_are_kept(harness: HarnessFactory) -> None:
    h = harness(fixtures_dir=UPSTREAM_FIXTURES)

    await h.github.get_organization("github")

    core = h.github.rate_limits["core"]
    assert (core.limit, core.remaining, core.used) == (5000, 4982, 18)
    assert core.reset_at == datetime.fromtimestamp(1756319783, UTC)
    assert core.resource == "core"


async def test_user_login_falls_back_to_the_users_endpoint(harness: HarnessFactory) -> None:
    user = {"login": "octocat", "kind": "User", "name": "The Octocat", "blog": ""}
    h = harness({"organizations": [user]})

    profile = await h.github.get_organization("octocat")

    assert profile is not None
    assert profile.kind == "User"
    assert profile.website is None
    assert [r["path"] for r in h.fake.requests] == ["/github/orgs/octocat", "/github/users/octocat"]


async def test_unknown_login_has_no_profile(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    assert await h.github.get_organization("nobody-here") is None


def test_a_bare_blog_host_becomes_an_https_website_and_blanks_become_none() -> None:
    profile = to_profile(
        {"login": "acme", "type": "Organization", "blog": "acme.example", "email": " "}
    )

    assert profile.website == "https://acme.example"
    assert profile.email is None
    assert profile.is_verified is False


async def test_recorded_repository_pages_map_and_follow_the_link_header(
    harness: HarnessFactory,
) -> None:
    page1, page2 = recorded("github/repos_page1.json"), recorded("github/repos_page2_last.json")
    seen: list[str] = []

    def github(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return page2.response() if request.url.params.get("page") == "2" else page1.response()

    h = harness(handler=github, github_api_url="https://api.github.com")

    repositories = [r async for r in h.github.list_repositories("librariesio")]

    assert len(repositories) == 12
    assert seen[0].startswith("https://api.github.com/orgs/librariesio/repos?")
    assert seen[1] == "https://api.github.com/user/repos?per_page=100&page=2"
    first = repositories[0]
    assert first.full_name == "librariesio/assets"
    assert first.owner == "librariesio"
    assert first.html_url == "https://github.com/librariesio/assets"
    assert (first.stars, first.language, first.is_fork, first.is_archived) == (
        3,
        None,
        False,
        False,
    )
    assert first.pushed_at == datetime(2018, 4, 3, 13, 12, 24, tzinfo=UTC)
    assert first.default_branch == "master"
    assert first.provider_id == 37486925


async def test_repositories_are_paged_through_link_headers(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()], "page_size": 2})

    repositories = [r async for r in h.github.list_repositories("octo-org")]

    assert [r.name for r in repositories] == ["app", "lib", "old-fork"]
    assert len(h.requests("/repos")) == 2
    app, _, fork = repositories
    assert (app.stars, app.language) == (42, "TypeScript")
    assert (fork.is_fork, fork.is_archived, fork.default_branch) == (True, True, "master")


async def test_repositories_of_a_user_come_from_the_users_listing(harness: HarnessFactory) -> None:
    user = {"login": "octocat", "kind": "User", "repositories": [{"name": "dotfiles"}]}
    h = harness({"organizations": [user]})

    repositories = [r.full_name async for r in h.github.list_repositories("octocat")]

    assert repositories == ["octocat/dotfiles"]
    assert h.fake.requests[-1]["path"] == "/github/users/octocat/repos"


async def test_single_repository_lookup_and_unknown_repository(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    found = await h.github.get_repository("octo-org/lib")
    missing = await h.github.get_repository("octo-org/nope")

    assert found is not None
    assert (found.full_name, found.stars) == ("octo-org/lib", 7)
    assert missing is None
