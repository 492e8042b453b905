"""How pytest-xdist hands out the tests: one at a time, except end-to-end tests sharing fixtures."""

from xdist.scheduler import LoadScopeScheduling


class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """Each test is a unit of its own, so the workers stay evenly loaded to the end. An
    end-to-end module travels whole (its tests may share a `wump serve` of module scope), and so
    does a package below e2e/ (the browser tests share one seeded server and one Chromium);
    the largest units are handed out first."""

    def _split_scope(self, nodeid: str) -> str:
        parts = nodeid.split("::", 1)[0].split("/")
        if "e2e" not in parts:
            return nodeid
        return "/".join(parts[: parts.index("e2e") + 2])
