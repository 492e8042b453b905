"""Path parameters every route shares, each with one limit: logins and repository names as
GitHub bounds them, package names and package URLs as wump stores them.

The patterns only keep out what can never match (NUL, a slash inside a segment); a
well-formed name that is not stored answers 404, and the ingest routes check GitHub's full
naming rules before queueing anything.
"""

from typing import Annotated

from fastapi import Path

from app.core.ecosystems import Ecosystem
from app.core.github_names import LOGIN_MAX_LENGTH, REPOSITORY_NAME_MAX_LENGTH
from app.schemas.package import NAME_MAX_LENGTH

PURL_MAX_LENGTH = 1000

Login = Annotated[
    str,
    Path(
        min_length=1,
        max_length=LOGIN_MAX_LENGTH,
        pattern=r"^[^\x00/]+$",
        description="GitHub login of an organization or user.",
        examples=["octo-org"],
    ),
]
RepositoryOwner = Annotated[
    str,
    Path(
        min_length=1,
        max_length=LOGIN_MAX_LENGTH,
        pattern=r"^[^\x00/]+$",
        description="GitHub login of the repository's owner.",
        examples=["octo-org"],
    ),
]
RepositoryName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=REPOSITORY_NAME_MAX_LENGTH,
        pattern=r"^[^\x00/]+$",
        description="The repository's name, without its owner.",
        examples=["web"],
    ),
]
PackageName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        pattern=r"^[^\x00]+$",
        description="Package name as the ecosystem writes it; slashes allowed "
        "(`@types/node`, `org.slf4j:slf4j-api`, `github.com/gin-gonic/gin`).",
        examples=["fastapi"],
    ),
]
EcosystemName = Annotated[
    str,
    Path(
        description=f"One of {', '.join(e.value for e in Ecosystem)}.",
        examples=["pypi"],
    ),
]
PackageUrl = Annotated[
    str,
    Path(
        min_length=1,
        max_length=PURL_MAX_LENGTH,
        pattern=r"^[^\x00]+$",
        description="A package URL; its version, if any, is ignored.",
        examples=["pkg:npm/%40types/node"],
    ),
]
