"""Source repository URLs as registries write them, normalized to one GitHub URL."""

import pytest

from app.core.source_urls import GitHubSource, github_source


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Sindresorhus/left-pad",
        "https://github.com/Sindresorhus/left-pad.git",
        "https://www.github.com/Sindresorhus/left-pad/tree/main/packages/core",
        "http://github.com/Sindresorhus/left-pad#readme",
        "git+https://github.com/Sindresorhus/left-pad.git",
        "git://github.com/Sindresorhus/left-pad.git",
        "git+ssh://git@github.com/Sindresorhus/left-pad.git",
        "git@github.com:Sindresorhus/left-pad.git",
        "github.com/Sindresorhus/left-pad",
        "  https://github.com/Sindresorhus/left-pad/  ",
    ],
)
def test_every_spelling_of_a_github_repository_gives_one_url(url: str) -> None:
    assert github_source(url) == GitHubSource("Sindresorhus", "left-pad")
    assert github_source(url).url == "https://github.com/Sindresorhus/left-pad"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://gitlab.com/owner/repo",
        "https://github.com/owner",
        "https://github.com/-bad-/repo",
        "https://github.com/owner/..",
        "https://notgithub.com/owner/repo",
        "owner/repo",
    ],
)
def test_urls_that_name_no_github_repository_give_none(url: str | None) -> None:
    assert github_source(url) is None


def test_npm_shorthand_counts_only_when_allowed() -> None:
    assert github_source("github:octo/kit", allow_shorthand=True) == GitHubSource("octo", "kit")
    assert github_source("octo/kit", allow_shorthand=True) == GitHubSource("octo", "kit")
