"""A small hand-built dataset whose answers the tests compute by hand.

Users of pypi `django` under the default filters (forks and archived left out):

| org   | id | repositories                           | count | stars | push    | languages |
| acme  | 1  | web 500 Py, api 120 Py, tools 5 Go     | 3     | 625   | 2026-10 | Py, Go    |
| beta  | 2  | site 2000 Py, ml 30 Jupyter (no push)  | 2     | 2030  | 2026-11 | Jup, Py   |
| carol | 3  | blog 15 Py, notes 0 (no language/push) | 2     | 15    | 2026-02 | Py        |
| Echo  | 5  | app 120 Py                             | 1     | 120   | 2026-06 | Py        |

delta (4) has only a fork (300 stars) and an archived repository (40); acme also has a fork
(50) and an archived one (900). acme/web declares django twice (runtime and development).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Dependency, Organization, Package, Repository
from app.services.usage_refresh import UsageRefreshService
from tests.conftest import FIXED_IDS
from tests.paths import manifest_path_id


def org_id(n: int) -> int:
    return FIXED_IDS + n


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ORGANIZATIONS = [
    # login, owner_type, name, n
    ("acme", "organization", "Acme Corp", 1),
    ("beta", "organization", '=HYPERLINK("x")', 2),
    ("carol", "user", None, 3),
    ("delta", "organization", "Delta", 4),
    ("Echo", "organization", "Echo, Inc.", 5),
]

# full_name, stars, language, pushed_at, is_fork, is_archived
REPOSITORIES = [
    ("acme/web", 500, "Python", "2026-10-01", False, False),
    ("acme/api", 120, "Python", "2026-06-01", False, False),
    ("acme/tools", 5, "Go", "2025-01-01", False, False),
    ("acme/old", 900, "Python", "2026-11-20", False, True),
    ("acme/fork", 50, "Python", "2026-11-21", True, False),
    ("beta/site", 2000, "Python", "2026-11-01", False, False),
    ("beta/ml", 30, "Jupyter Notebook", None, False, False),
    ("carol/blog", 15, "Python", "2026-02-01", False, False),
    ("carol/notes", 0, None, None, False, False),
    ("delta/fork", 300, "Python", "2026-05-01", True, False),
    ("delta/arch", 40, "Python", "2026-04-01", False, True),
    ("Echo/app", 120, "Python", "2026-06-01", False, False),
]

PACKAGES = [
    ("pypi", "django"),
    ("pypi", "requests"),
    ("npm", "requests"),
    ("npm", "@types/node"),
    ("npm", "left-pad"),
    ("npm", "users"),
    ("maven", "org.slf4j:slf4j-api"),
    ("go", "github.com/gin-gonic/gin"),
    ("nuget", "newtonsoft.json"),
]

# repository, ecosystem, package, manifest, kind, requirement
DEPENDENCIES = [
    ("acme/web", "pypi", "django", "requirements.txt", "runtime", ">=5.0"),
    ("acme/web", "pypi", "django", "dev/requirements.txt", "development", "==5.1"),
    ("acme/api", "pypi", "django", "requirements.txt", "runtime", ">=4.2"),
    ("acme/tools", "pypi", "django", "requirements-dev.txt", "development", None),
    ("acme/old", "pypi", "django", "requirements.txt", "runtime", None),
    ("acme/fork", "pypi", "django", "requirements.txt", "runtime", None),
    ("beta/site", "pypi", "django", "pyproject.toml", "runtime", "~=5.0"),
    ("beta/ml", "pypi", "django", "setup.cfg", "optional", None),
    ("carol/blog", "pypi", "django", "requirements.txt", "runtime", None),
    ("carol/notes", "pypi", "django", "requirements.txt", "runtime", None),
    ("delta/fork", "pypi", "django", "requirements.txt", "runtime", None),
    ("delta/arch", "pypi", "django", "requirements.txt", "runtime", None),
    ("Echo/app", "pypi", "django", "requirements.txt", "runtime", "<6"),
    ("beta/site", "pypi", "requests", "pyproject.toml", "runtime", None),
    ("carol/blog", "npm", "requests", "package.json", "runtime", None),
    ("acme/web", "npm", "@types/node", "package.json", "development", "^22"),
    ("acme/web", "npm", "left-pad", "package.json", "runtime", "1.3.0"),
    ("acme/web", "npm", "left-pad", "package.json.bak", "excluded", None),
    ("acme/api", "maven", "org.slf4j:slf4j-api", "pom.xml", "runtime", "2.0.9"),
    ("acme/tools", "go", "github.com/gin-gonic/gin", "go.mod", "runtime", "v1.10.0"),
    ("beta/site", "npm", "users", "package.json", "runtime", None),
    ("carol/notes", "nuget", "newtonsoft.json", "App.csproj", "runtime", "13.0.3"),
]


@dataclass
class Dataset:
    organizations: dict[str, Organization] = field(default_factory=dict)
    repositories: dict[str, Repository] = field(default_factory=dict)
    packages: dict[tuple[str, str], Package] = field(default_factory=dict)


async def load_dataset(session: AsyncSession) -> Dataset:
    data = Dataset()
    for login, owner_type, name, n in ORGANIZATIONS:
        organization = Organization(
            id=org_id(n),
            login=login,
            owner_type=owner_type,
            name=name,
            github_url=f"https://github.com/{login}",
            website_url=f"https://{login.lower()}.example" if n != 3 else None,
            total_repositories=10 * n,
            total_stars=1000 * (6 - n),
        )
        data.organizations[login] = organization
        session.add(organization)
    await session.flush()
    for n, (full_name, stars, language, pushed, fork, archived) in enumerate(REPOSITORIES, 1):
        owner = full_name.split("/")[0]
        repository = Repository(
            id=FIXED_IDS + 1000 + n,
            organization_id=data.organizations[owner].id,
            name=full_name.split("/")[1],
            full_name=full_name,
            github_url=f"https://github.com/{full_name}",
            stars=stars,
            primary_language=language,
            pushed_at=day(pushed) if pushed else None,
            is_fork=fork,
            is_archived=archived,
        )
        data.repositories[full_name] = repository
        session.add(repository)
    for ecosystem, name in PACKAGES:
        package = Package(ecosystem=ecosystem, name=name, description=f"the {name} package")
        data.packages[(ecosystem, name)] = package
        session.add(package)
    await session.flush()
    for full_name, ecosystem, name, manifest, kind, requirement in DEPENDENCIES:
        session.add(
            Dependency(
                repository_id=data.repositories[full_name].id,
                package_id=data.packages[(ecosystem, name)].id,
                manifest_path_id=await manifest_path_id(session, manifest),
                dependency_type=kind,
                requirement=requirement,
            )
        )
    await session.flush()
    usage = UsageRefreshService(session)
    await usage.refresh_packages([p.id for p in data.packages.values()])
    await usage.refresh_stats()
    await session.flush()
    for package in data.packages.values():
        await session.refresh(package)
    return data
