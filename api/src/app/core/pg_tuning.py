"""Memory settings for the embedded PostgreSQL, sized from the machine, and their application."""

import asyncpg

# Settings that take effect only when the server starts; the others follow a reload.
_AT_START = ("shared_buffers", "shared_preload_libraries", "io_method")
_MB = 2**20


def memory_settings(total_bytes: int) -> dict[str, str]:
    """PostgreSQL's usual sizing for a server that has most of the machine: a quarter of the
    memory for its buffers (at least PostgreSQL's 128 MB, at most 8 GB), three quarters as the
    planner's estimate of what the operating system caches, and per-operation memory that a few
    dozen concurrent sorts can afford. pg_prewarm records which pages are hot and loads them
    again after a restart, so first requests after a restart do not all read the disk.

    Each process reads its own pages (`io_method` sync): with PostgreSQL 18's default, shared
    I/O workers read for everyone, pg_prewarm's reload included, at their own priority, so the
    reload could not be given a lower one (see app/core/prewarm.py) and the first requests'
    reads queued behind it."""
    mb = total_bytes // _MB
    shared = min(max(mb // 4, 128), 8192)
    return {
        "shared_buffers": f"{shared}MB",
        "effective_cache_size": f"{max(mb * 3 // 4, shared)}MB",
        "work_mem": f"{min(max(mb // 512, 4), 64)}MB",
        "maintenance_work_mem": f"{min(max(mb // 32, 64), 2048)}MB",
        "shared_preload_libraries": "pg_prewarm",
        "io_method": "sync",
    }


async def apply_settings(database_url: str, wanted: dict[str, str]) -> bool:
    """Write `wanted` with ALTER SYSTEM and reload; True when the server must restart for some
    of them to take effect (the values it runs with differ from the wanted ones)."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn)
    try:
        for name, value in wanted.items():
            # ALTER SYSTEM takes no parameters; the names and values are ours, not input.
            await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        await connection.execute("SELECT pg_reload_conf()")
        for name in _AT_START:
            if name not in wanted:
                continue
            if name == "shared_buffers":
                differs = await connection.fetchval(
                    "SELECT pg_size_bytes(current_setting('shared_buffers')) <> pg_size_bytes($1)",
                    wanted[name],
                )
            else:
                differs = await connection.fetchval(
                    "SELECT current_setting($1) <> $2", name, wanted[name]
                )
            if differs:
                return True
        return False
    finally:
        await connection.close()
