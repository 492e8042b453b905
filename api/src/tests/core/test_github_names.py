"""GitHub's naming rules, shared by the job requests and `wump scan --ingest`."""

import pytest

from app.core.github_names import is_login, is_repository_name


@pytest.mark.parametrize("login", ["octo-org", "a", "A1-b2-c3", "x" * 39])
def test_github_logins_are_accepted(login: str) -> None:
    assert is_login(login)


@pytest.mark.parametrize(
    "login", ["", "-acme", "acme-", "a--b", "bad_login", "x" * 40, "acme\n", "ac me", "acme/web"]
)
def test_what_github_would_refuse_as_a_login_is_refused(login: str) -> None:
    assert not is_login(login)


@pytest.mark.parametrize("name", ["web", "my.repo", "a_b-c", ".github", "x" * 100])
def test_repository_names_are_accepted(name: str) -> None:
    assert is_repository_name(name)


@pytest.mark.parametrize("name", ["", ".", "..", "bad name", "a/b", "x" * 101, "web\n"])
def test_what_github_would_refuse_as_a_repository_name_is_refused(name: str) -> None:
    assert not is_repository_name(name)
