"""A seeded `wump serve` and a real headless Chromium for the browser tests."""

import asyncio
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.config import Settings
from app.schemas.api_key import ApiKeyCreate
from app.services.api_key import ApiKeyService, KeyCache
from app.services.seed import seed_database
from tests.conftest import TestServers, database_from_template, free_port
from tests.e2e.local_http import local
from tests.e2e.processes import start_wump, stop, tail

# The operating system's headless Chromium (Debian's `chromium-headless-shell` package; .ci/run
# installs it): the same engine as the desktop browser without its window machinery, it renders
# and checks the pages with half the CPU.
CHROMIUM = os.environ.get("WUMP_CHROMIUM", "/usr/bin/chromium-headless-shell")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parents[2] / "fixtures" / "axe-core" / "axe.min.js"
# Screenshots of the pages for a person to look at, taken only when WUMP_SCREENSHOTS names a
# folder: rendering each page whole checks nothing and costs the run seconds of CPU.
SCREENSHOTS = os.environ.get("WUMP_SCREENSHOTS") or None


@dataclass(frozen=True)
class Server:
    url: str
    api_key: str


@dataclass(frozen=True)
class SeededDatabase:
    url: str
    api_key_secret: str
    api_key: str


@pytest.fixture(scope="package")
async def seeded_database(
    servers: TestServers, settings: Settings
) -> AsyncIterator[SeededDatabase]:
    """A migrated database of its own (per test worker) holding the small synthetic dataset, as
    `wump dev seed --scale small` loads it (tests/e2e/test_dev_seed.py runs that command), and
    an ingest key: made in this process, which has the application imported already."""
    async with database_from_template(servers) as url:
        engine = create_async_engine(url)
        try:
            await seed_database(engine, "small")
            secret = secrets.token_urlsafe(32)
            async with AsyncSession(engine, expire_on_commit=False) as session:
                service = ApiKeyService(session, secret.encode(), settings, KeyCache(None, 300))
                request = ApiKeyCreate(name="browser", scopes=["read", "ingest"])
                created = await service.create(request, created_by="tests")
                await session.commit()
        finally:
            await engine.dispose()
        yield SeededDatabase(url, secret, created.key)


@pytest.fixture(scope="package")
def server(
    seeded_database: SeededDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`wump serve` on the seeded database with a Valkey of its own."""
    data_dir = tmp_path_factory.mktemp("wump-web")
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("VALKEY_URL", "WUMP_DATA_DIR")},
        "DATABASE_URL": seeded_database.url,
        "WUMP_DATA_DIR": str(data_dir),
        "API_KEY_SECRET": seeded_database.api_key_secret,
        "RATE_LIMIT_ANONYMOUS": "100000",
        "WORKER_IN_PROCESS": "false",
        "LOG_FORMAT": "json",
    }
    port = free_port()
    log = data_dir / "serve.log"
    process = start_wump(log, environment, "serve", "--port", str(port))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, log)
        yield Server(url, seeded_database.api_key)
    finally:
        stop(process)


async def screenshot(target: Page | Locator, name: str) -> None:
    """`name`.png in the WUMP_SCREENSHOTS folder, when it is set: a page whole, or one element."""
    if SCREENSHOTS is None:
        return
    folder = Path(SCREENSHOTS)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    if isinstance(target, Page):
        await target.screenshot(path=folder / f"{name}.png", full_page=True)
    else:
        await target.screenshot(path=folder / f"{name}.png")


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    # Generous: CI machines run the other suites' processes beside this one.
    deadline = time.monotonic() + 180
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"wump serve exited with {process.returncode}: {tail(log)}")
        try:
            response = local.get(f"{url}/health/ready", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.3)
    stop(process)
    pytest.fail(f"{url} did not become ready: {last}; {tail(log, 3000)}")


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium; a run without it fails, since these tests are the pages' proof."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium-headless-shell "
            "(or set WUMP_CHROMIUM)"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            await browser.close()
