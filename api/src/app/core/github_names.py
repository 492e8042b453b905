"""GitHub's naming rules for logins and repository names, checked before anything is queued,
stored or asked upstream."""

import re

LOGIN_MAX_LENGTH = 39
REPOSITORY_NAME_MAX_LENGTH = 100
# Letters, digits and single hyphens between them, at most 39 characters.
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def is_login(text: str) -> bool:
    return _LOGIN.fullmatch(text) is not None


def is_repository_name(text: str) -> bool:
    return _REPOSITORY_NAME.fullmatch(text) is not None and text not in (".", "..")
