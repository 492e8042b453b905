"""The graph walk every lockfile shares: which direct dependencies pull each package in."""

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

# Direct dependencies named per transitive package; the setting `manifest_via_limit` overrides it.
DEFAULT_VIA_LIMIT = 3

Node = TypeVar("Node", bound=Hashable)
Package = TypeVar("Package", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Root:
    """A direct dependency as the graph's start: its name and whether it is for development only.

    `development` is None when the lockfile does not say which group declared it.
    """

    name: str
    development: bool | None = None


@dataclass(frozen=True, slots=True)
class Walk(Generic[Node]):
    """How each node a direct dependency leads to is reached (roots included).

    `arrivals` holds, per node, the direct dependencies that pull it in, nearest first, at most
    the walk's limit (a root's list starts with itself). `production` holds the nodes a
    non-development root reaches, or is None when every root counts as one.
    """

    arrivals: dict[Node, list[str]]
    production: set[Node] | None

    def via(self, node: Node) -> tuple[str, ...]:
        return tuple(self.arrivals.get(node, ()))

    def development_only(self, node: Node) -> bool:
        """True when only development dependencies reach the node; False if nothing does."""
        if node not in self.arrivals:
            return False
        return self.production is not None and node not in self.production


def walk(
    edges: Mapping[Node, Iterable[Node]], roots: Mapping[Node, Root], limit: int
) -> Walk[Node]:
    return Walk(_arrivals(edges, roots, limit, None), _production(roots, edges))


def walk_packages(
    edges: Mapping[Node, Iterable[Node]],
    roots: Mapping[Node, Root],
    limit: int,
    package: Callable[[Node], Package],
) -> Walk[Package]:
    """`walk` for lockfiles where one package is several nodes (pnpm's peer variants).

    A package's via merges its nodes' arrivals; it is development only when all its nodes are.
    """
    hops: dict[Node, list[int]] = {}
    names = _arrivals(edges, roots, limit, hops)
    production = _production(roots, edges)
    nearest: dict[Package, dict[str, int]] = {}
    for node, arrived in names.items():
        best = nearest.setdefault(package(node), {})
        for name, level in zip(arrived, hops[node], strict=True):
            best[name] = min(level, best.get(name, level))
    # A stable sort keeps the arrival order among names first reached on the same level.
    arrivals = {key: sorted(best, key=best.__getitem__)[:limit] for key, best in nearest.items()}
    if production is None:
        return Walk(arrivals, None)
    return Walk(arrivals, {package(node) for node in production})


def _production(
    roots: Mapping[Node, Root], edges: Mapping[Node, Iterable[Node]]
) -> set[Node] | None:
    starts = [node for node, root in roots.items() if root.development is not True]
    if len(starts) == len(roots):
        return None  # no development root: every reached node is reached in production
    return reachable(starts, edges)


def _arrivals(
    edges: Mapping[Node, Iterable[Node]],
    roots: Mapping[Node, Root],
    limit: int,
    hops: dict[Node, list[int]] | None,
) -> dict[Node, list[str]]:
    """The direct dependencies arriving at each node, nearest first; `hops` gets their levels.

    Breadth-first by levels, where each node accepts at most `limit` distinct direct
    dependencies: edges weigh the same, so the first `limit` to arrive are the nearest, the walk
    costs at most `limit` arrivals per node whatever the size of the graph, and cycles end it.
    Roots start in name order, so names tied on a level keep that order where paths allow.
    """
    names: dict[Node, list[str]] = {}
    frontier: dict[Node, list[str]] = {}
    for node, root in sorted(roots.items(), key=lambda item: item[1].name):
        seeded = names.setdefault(node, [])
        if root.name not in seeded and len(seeded) < limit:
            seeded.append(root.name)
            frontier.setdefault(node, []).append(root.name)
            if hops is not None:
                hops.setdefault(node, []).append(0)
    level = 0
    following = edges.get
    while frontier:
        level += 1
        reached: dict[Node, list[str]] = {}
        for node, new_names in frontier.items():
            for target in following(node, ()):
                arrived = names.get(target)
                if arrived is None:
                    # First arrival: nothing to compare against, and not yet in this level.
                    names[target] = new_names.copy()
                    reached[target] = new_names.copy()
                    if hops is not None:
                        hops[target] = [level] * len(new_names)
                    continue
                if len(arrived) >= limit:
                    continue
                if len(new_names) == 1:  # the common case, without building a list to compare
                    if new_names[0] in arrived:
                        continue
                    added = new_names.copy()
                else:
                    added = [name for name in new_names if name not in arrived]
                    del added[limit - len(arrived) :]
                    if not added:
                        continue
                arrived.extend(added)
                pending = reached.get(target)
                if pending is None:
                    reached[target] = added
                else:
                    pending.extend(added)
                if hops is not None:
                    hops[target].extend([level] * len(added))
        frontier = reached
    return names


def reachable(starts: Iterable[Node], edges: Mapping[Node, Iterable[Node]]) -> set[Node]:
    """Every node a path from `starts` leads to, the starts included."""
    seen: set[Node] = set(starts)
    pending = list(seen)
    while pending:
        for target in edges.get(pending.pop(), ()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def sources(edges: Mapping[Node, Iterable[Node]]) -> list[Node]:
    """Nodes no edge leads to, in order: in a lockfile that does not list the project's own
    requirements, the packages nothing else requires are the ones the project requires."""
    required = {target for targets in edges.values() for target in targets}
    return [node for node in edges if node not in required]
