"""A package's source repository as registries write it, normalized to one GitHub URL."""

import re
from dataclasses import dataclass

from app.core.github_names import is_login, is_repository_name

# git+https://, git://, ssh://git@, git@github.com:, github:owner/repo, www. and a trailing .git
_GITHUB = re.compile(
    r"^(?:git\+)?(?:(?:https?|git|ssh)://)?(?:[^@/]+@)?(?:www\.)?github\.com[:/]+"
    r"(?P<owner>[^/]+)/(?P<name>[^/#?]+)",
    re.IGNORECASE,
)
_SHORTHAND = re.compile(r"^(?:github:)?(?P<owner>[^/:@\s]+)/(?P<name>[^/#?\s]+)$")


@dataclass(frozen=True, slots=True)
class GitHubSource:
    owner: str
    name: str

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"


def github_source(url: str | None, *, allow_shorthand: bool = False) -> GitHubSource | None:
    """The GitHub repository a source URL names, or None when it names none (another host,
    a malformed value). `owner/repo` alone counts only with `allow_shorthand` (npm's form)."""
    if not url:
        return None
    text = url.strip()
    found = _GITHUB.match(text) or (_SHORTHAND.match(text) if allow_shorthand else None)
    if found is None:
        return None
    owner, name = found.group("owner"), found.group("name")
    if name.lower().endswith(".git"):
        name = name[:-4]
    if not is_login(owner) or not is_repository_name(name):
        return None
    return GitHubSource(owner, name)
