"""A deterministic synthetic dataset with realistic skew, loaded with COPY, for development and
benchmarks: Pareto organization sizes, Zipf package popularity per ecosystem, log-normal stars,
forks and archived repositories."""

import asyncio
import dataclasses
import itertools
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.db import create_session_factory, unit_of_work
from app.core.ecosystems import Ecosystem
from app.core.logging import get_logger
from app.repositories.ingestion.dependencies import DependencyWriter
from app.repositories.seed import DERIVED_TABLES, SEEDED_TABLES, SeedRepository, vacuum_analyze
from app.repositories.usage_refresh import PackageRange
from app.services.usage_refresh import UsageRefreshService

log = get_logger(__name__)

Scale = Literal["small", "medium", "full"]


@dataclass(frozen=True, slots=True)
class SeedScale:
    organizations: int
    repositories: int
    packages: int
    dependencies_per_repository: float


SCALES: dict[str, SeedScale] = {
    "small": SeedScale(150, 1_000, 2_000, 10),
    "medium": SeedScale(10_000, 100_000, 20_000, 21.7),
    "full": SeedScale(100_000, 1_000_000, 200_000, 21.7),
}


@dataclass(frozen=True, slots=True)
class EcosystemProfile:
    ecosystem: Ecosystem
    share: float
    languages: tuple[str, ...]
    manifest: str
    name: Callable[[int], str]
    # Where the transitive packages are recorded with their via; None: the format does not tell.
    lockfile: str | None = None


# The front end some back ends carry beside their own manifest.
WEB_MANIFEST = "web/package.json"
# Share of repositories whose main ecosystem this is, their languages and a manifest name.
PROFILES = (
    EcosystemProfile(
        Ecosystem.NPM,
        0.34,
        ("TypeScript", "JavaScript"),
        "package.json",
        lambda i: f"@scope-{i % 97}/pkg-{i}" if i % 5 == 4 else f"pkg-{i}",
        "package-lock.json",
    ),
    EcosystemProfile(
        Ecosystem.PYPI,
        0.24,
        ("Python", "Jupyter Notebook"),
        "requirements.txt",
        lambda i: f"py-{i}",
        "uv.lock",
    ),
    EcosystemProfile(
        Ecosystem.GO, 0.1, ("Go",), "go.mod", lambda i: f"github.com/owner-{i % 211}/mod-{i}"
    ),
    EcosystemProfile(
        Ecosystem.MAVEN,
        0.1,
        ("Java", "Kotlin"),
        "pom.xml",
        lambda i: f"org.group{i % 89}:artifact-{i}",
    ),
    EcosystemProfile(
        Ecosystem.CARGO, 0.06, ("Rust",), "Cargo.toml", lambda i: f"crate_{i}", "Cargo.lock"
    ),
    EcosystemProfile(
        Ecosystem.RUBYGEMS, 0.06, ("Ruby",), "Gemfile", lambda i: f"gem-{i}", "Gemfile.lock"
    ),
    EcosystemProfile(
        Ecosystem.PACKAGIST,
        0.05,
        ("PHP",),
        "composer.json",
        lambda i: f"vendor-{i % 53}/lib-{i}",
        "composer.lock",
    ),
    EcosystemProfile(Ecosystem.NUGET, 0.05, ("C#",), "App.csproj", lambda i: f"company.lib{i}"),
)
KINDS = (("runtime", 0.75), ("development", 0.2), ("optional", 0.03), ("peer", 0.02))
# Fixed, so the same seed gives the same dataset whenever it is generated.
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
ZIPF_EXPONENT = 1.1
PARETO_ALPHA = 1.16


def _id(index: int) -> int:
    """The id of an organization, repository or package by its index (identities start at 1)."""
    return index + 1


@dataclass(frozen=True, slots=True)
class SeedReport:
    organizations: int
    repositories: int
    packages: int
    dependencies: int
    seconds: float


class SeedService:
    def __init__(self, session: AsyncSession) -> None:
        self._seed = SeedRepository(session)
        self._usage = UsageRefreshService(session)
        self._dependencies = DependencyWriter(session)

    async def has_data(self) -> bool:
        return await self._seed.has_data()

    async def seed(self, scale: Scale, seed: int = 42, *, reset: bool = False) -> SeedReport:
        """Load the dataset and build the read side, all in the caller's transaction. Raises
        ValueError when data exists and `reset` is false; `reset` empties every table first."""
        report = await self.load(scale, seed, reset=reset)
        await self._usage.rebuild_all()
        await self.finish()
        return report

    async def load(self, scale: Scale, seed: int = 42, *, reset: bool = False) -> SeedReport:
        """COPY the source tables in, with the constraints that would slow it dropped; the read
        side is left empty until `rebuild_part`s and `finish` run."""
        started = time.perf_counter()
        plan = SCALES[scale]
        if await self._seed.has_data():
            if not reset:
                raise ValueError("the database already holds data; pass --reset to replace it")
            await self._seed.truncate()
        await self._seed.tune_for_bulk_load()
        await self._seed.drop_bulk_constraints()
        data = _Generator(plan, random.Random(seed))
        await self._seed.copy("packages", _PACKAGE_COLUMNS, _aiter(data.packages()))
        await self._seed.copy("organizations", _ORGANIZATION_COLUMNS, _aiter(data.organizations()))
        await self._seed.copy("repositories", _REPOSITORY_COLUMNS, _aiter(data.repositories()))
        path_ids = await self._dependencies.manifest_path_ids(data.manifest_paths())
        await self._seed.copy("dependencies", _DEPENDENCY_COLUMNS, data.dependencies(path_ids))
        await self._seed.continue_identities(("packages", "organizations", "repositories"))
        await self._seed.analyze(SEEDED_TABLES)
        log.info("seed.loaded", rows=data.dependency_count, seconds=_since(started))
        return SeedReport(
            organizations=plan.organizations,
            repositories=plan.repositories,
            packages=len(data.package_names),
            dependencies=data.dependency_count,
            seconds=_since(started),
        )

    async def split_packages(self, parts: int) -> list[PackageRange]:
        bounds = await self._seed.split_packages(parts)
        lows = [0, *bounds]
        return [(low, high) for low, high in itertools.zip_longest(lows, bounds)]

    async def rebuild_part(self, package_range: PackageRange) -> None:
        await self._seed.tune_for_bulk_load()
        await self._usage.rebuild_range(package_range)

    async def finish(self) -> None:
        """Package counts, statistics, then the constraints and indexes, each built once."""
        started = time.perf_counter()
        await self._seed.tune_for_bulk_load()
        await self._usage.finish_rebuild()
        await self._seed.create_bulk_constraints()
        log.info("seed.indexed", seconds=_since(started))


async def seed_database(
    engine: AsyncEngine, scale: Scale, seed: int = 42, *, reset: bool = False, parts: int = 2
) -> SeedReport:
    """Load, then build the read side in `parts` concurrent transactions (one per core; an
    INSERT ... SELECT never runs in parallel by itself), then index and VACUUM. Not atomic: after
    a failure, run again with `reset`."""
    started = time.perf_counter()
    factory = create_session_factory(engine)
    async for session in unit_of_work(factory):
        report = await SeedService(session).load(scale, seed, reset=reset)
        ranges = await SeedService(session).split_packages(parts)

    async def rebuild(package_range: PackageRange) -> None:
        async for session in unit_of_work(factory):
            await SeedService(session).rebuild_part(package_range)

    await asyncio.gather(*(rebuild(r) for r in ranges))
    log.info("seed.read_side_built", seconds=_since(started))
    async for session in unit_of_work(factory):
        await SeedService(session).finish()
    await asyncio.gather(
        *(vacuum_analyze(engine, [table]) for table in (*SEEDED_TABLES, *DERIVED_TABLES))
    )
    seconds = _since(started)
    log.info("seed.done", seconds=seconds)
    return dataclasses.replace(report, seconds=seconds)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 1)


async def _aiter(rows: Any) -> AsyncIterator[tuple[Any, ...]]:
    for row in rows:
        yield row


_PACKAGE_COLUMNS = (
    "id",
    "ecosystem",
    "name",
    "description",
    "latest_version",
    "repository_url",
    "source_owner",
)
_ORGANIZATION_COLUMNS = (
    "id",
    "login",
    "owner_type",
    "name",
    "github_url",
    "website_url",
    "total_repositories",
    "total_stars",
    "is_verified",
    "has_sponsors_listing",
    "sponsoring_count",
    "sponsorships_as_sponsor",
)
_REPOSITORY_COLUMNS = (
    "id",
    "organization_id",
    "name",
    "full_name",
    "github_url",
    "stars",
    "primary_language",
    "is_fork",
    "is_archived",
    "pushed_at",
)
_DEPENDENCY_COLUMNS = (
    "repository_id",
    "package_id",
    "manifest_path_id",
    "requirement",
    "dependency_type",
    "is_direct",
    "via",
)


class _Generator:
    """Draws everything up front except dependencies, which stream into COPY as drawn."""

    def __init__(self, plan: SeedScale, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.dependency_count = 0
        # Packages: a Zipf-ranked list per ecosystem.
        self.package_names: list[tuple[Ecosystem, str]] = []
        self.ranked: dict[Ecosystem, tuple[list[int], list[float]]] = {}
        for profile in PROFILES:
            count = max(10, round(plan.packages * profile.share))
            first = len(self.package_names)
            self.package_names += [(profile.ecosystem, profile.name(i)) for i in range(count)]
            weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(count)]
            self.ranked[profile.ecosystem] = (
                list(range(first, first + count)),
                list(itertools.accumulate(weights)),
            )
        # Organizations: Pareto weights decide how many repositories each owns.
        organization_weights = [rng.paretovariate(PARETO_ALPHA) for _ in range(plan.organizations)]
        self.owners = rng.choices(
            range(plan.organizations), weights=organization_weights, k=plan.repositories
        )
        self.profiles = rng.choices(
            PROFILES, weights=[p.share for p in PROFILES], k=plan.repositories
        )
        self.stars = [min(500_000, int(rng.lognormvariate(1.2, 1.9))) for _ in self.owners]
        self.repository_counts = [0] * plan.organizations
        self.star_totals = [0] * plan.organizations
        for owner, stars in zip(self.owners, self.stars, strict=True):
            self.repository_counts[owner] += 1
            self.star_totals[owner] += stars
        self.logins = [
            f"user-{i}" if i % 10 >= 7 else f"org-{i}" for i in range(plan.organizations)
        ]

    def packages(self) -> list[tuple[Any, ...]]:
        rows = []
        for i, (ecosystem, name) in enumerate(self.package_names):
            # Half the packages have a source repository, spread over the owners (portfolios).
            owner = self.logins[(i * 7) % len(self.logins)] if i % 2 == 0 else None
            source = f"https://github.com/{owner}/{name.rsplit('/', 1)[-1]}" if owner else None
            rows.append(
                (
                    _id(i),
                    ecosystem.value,
                    name,
                    f"Synthetic {ecosystem.value} package",
                    "1.0.0",
                    source,
                    owner,
                )
            )
        return rows

    def organizations(self) -> list[tuple[Any, ...]]:
        rows = []
        for i, login in enumerate(self.logins):
            rows.append(
                (
                    _id(i),
                    login,
                    "user" if login.startswith("user-") else "organization",
                    f"{login.replace('-', ' ').title()}",
                    f"https://github.com/{login}",
                    f"https://{login}.example" if i % 2 == 0 else None,
                    self.repository_counts[i],
                    self.star_totals[i],
                    # Funding signals from the index alone, so the other draws stay the same:
                    # about one owner in five sponsors others, one in four can be sponsored.
                    i % 3 == 0 and not login.startswith("user-"),
                    i % 4 == 0,
                    (i * 7) % 13 if i % 5 == 0 else 0,
                    (i * 3) % 7 if i % 5 == 0 else 0,
                )
            )
        return rows

    def repositories(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows = []
        for i, owner in enumerate(self.owners):
            profile = self.profiles[i]
            login = self.logins[owner]
            languages = profile.languages
            language = (
                None if rng.random() < 0.08 else languages[int(rng.random() * len(languages))]
            )
            pushed = None if rng.random() < 0.05 else EPOCH - timedelta(seconds=rng.random() * 4e7)
            rows.append(
                (
                    _id(i),
                    _id(owner),
                    f"repo-{i}",
                    f"{login}/repo-{i}",
                    f"https://github.com/{login}/repo-{i}",
                    self.stars[i],
                    language,
                    rng.random() < 0.08,
                    rng.random() < 0.06,
                    pushed,
                )
            )
        return rows

    def manifest_paths(self) -> set[str]:
        """Every manifest path `dependencies` names."""
        paths = {WEB_MANIFEST}
        for profile in PROFILES:
            paths.add(profile.manifest)
            if profile.lockfile:
                paths.add(profile.lockfile)
        return paths

    async def dependencies(self, path_ids: dict[str, int]) -> AsyncIterator[tuple[Any, ...]]:
        """The dependency rows, each naming its manifest by its id in `path_ids`."""
        rng = self.rng
        choices, rand = rng.choices, rng.random
        kinds = [kind for kind, _ in KINDS]
        kind_weights = list(itertools.accumulate(weight for _, weight in KINDS))
        mu = math.log(self.plan.dependencies_per_repository) - 0.18
        package_ids = [_id(i) for i in range(len(self.package_names))]
        secondary = self.ranked[Ecosystem.NPM]
        for i, profile in enumerate(self.profiles):
            repository_id = _id(i)
            wanted = max(1, int(rng.lognormvariate(mu, 0.6)))
            population, cumulative = self.ranked[profile.ecosystem]
            drawn = dict.fromkeys(
                choices(population, cum_weights=cumulative, k=wanted + wanted // 3)
            )
            picked = list(drawn)[:wanted]
            manifests = [profile.manifest] * len(picked)
            # Some back ends also carry a front end: a few npm packages beside the main ones.
            if profile.ecosystem is not Ecosystem.NPM and rand() < 0.15:
                extra = [
                    p for p in dict.fromkeys(choices(secondary[0], cum_weights=secondary[1], k=4))
                ]
                picked += extra
                manifests += [WEB_MANIFEST] * len(extra)
            drawn_kinds = choices(kinds, cum_weights=kind_weights, k=len(picked))
            for position, (index, manifest, kind) in enumerate(
                zip(picked, manifests, drawn_kinds, strict=True)
            ):
                requirement = f"^{index % 9}.{index % 7}.0" if index & 1 else None
                row = (repository_id, package_ids[index], path_ids[manifest], requirement, kind)
                # About a third of a repository's packages past its first two arrive through one
                # of those two, recorded by its lockfile: decided from the positions alone, so the
                # random draws (and the rest of the dataset) stay what they were.
                lockfile = profile.lockfile
                chosen = position >= 2 and (i + position) % 3 == 0
                if lockfile and chosen and manifest == profile.manifest:
                    via = self.package_names[picked[position % 2]][1]
                    yield (*row[:2], path_ids[lockfile], None, kind, False, via)
                    continue
                yield (*row, True, None)
            self.dependency_count += len(picked)
