"""The shared lockfile graph walk: via nearest first, capped, development only by path."""

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from app.manifests.graph import Root, reachable, sources, walk, walk_packages


def _via(
    edges: dict[str, list[str]], roots: dict[str, Root], limit: int = 5
) -> dict[str, tuple[str, ...]]:
    walked = walk(edges, roots, limit)
    return {node: walked.via(node) for node in walked.arrivals if node not in roots}


def test_a_chain_names_its_direct_dependency_at_every_depth() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": []}
    assert _via(edges, {"a": Root("a")}) == {"b": ("a",), "c": ("a",)}


def test_a_diamond_names_both_direct_dependencies_nearest_first() -> None:
    edges = {"a": ["x"], "d": ["y", "far"], "far": ["z"], "x": ["z"], "y": ["q"], "q": ["z"]}
    via = _via(edges, {"a": Root("a"), "d": Root("d")})
    assert via["z"] == ("a", "d")  # a in 2 hops, d in 3 (d -> far -> z)
    assert via["q"] == ("d",)


def test_a_cycle_ends_the_walk() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["b", "a"]}
    assert _via(edges, {"a": Root("a")}) == {"b": ("a",), "c": ("a",)}


def test_via_is_capped_at_the_limit_keeping_the_nearest() -> None:
    edges = {f"r{i}": ["hub"] if i < 4 else [f"m{i}"] for i in range(8)}
    edges.update({f"m{i}": ["hub"] for i in range(4, 8)})
    roots = {f"r{i}": Root(f"r{i}") for i in range(8)}
    assert _via(edges, roots, limit=3)["hub"] == ("r0", "r1", "r2")
    assert len(_via(edges, roots, limit=6)["hub"]) == 6
    assert _via(edges, roots, limit=6)["hub"][:4] == ("r0", "r1", "r2", "r3")


def test_a_package_only_development_dependencies_reach_is_development_only() -> None:
    edges = {"app": ["shared"], "lint": ["shared", "rules"], "rules": []}
    roots = {"app": Root("app", development=False), "lint": Root("lint", development=True)}
    walked = walk(edges, roots, 5)
    assert walked.development_only("rules") is True
    assert walked.development_only("shared") is False
    assert walked.development_only("lint") is True
    assert walked.development_only("elsewhere") is False


def test_unknown_root_kinds_never_make_a_package_development_only() -> None:
    walked = walk({"a": ["b"]}, {"a": Root("a")}, 5)
    assert walked.development_only("b") is False


def test_variants_of_one_package_merge_their_via() -> None:
    edges = {("ui", "1(react17)"): [("react", "17")], ("ui", "1(react18)"): [("react", "18")]}
    roots = {("ui", "1(react17)"): Root("ui", True), ("ui", "1(react18)"): Root("ui", False)}
    walked = walk_packages(edges, roots, 5, lambda node: node)
    assert walked.development_only(("react", "17")) is True
    assert walked.development_only(("react", "18")) is False
    merged = walk_packages(edges, roots, 5, lambda node: node[0])
    assert merged.via("react") == ("ui",)
    assert merged.development_only("react") is False


def test_sources_are_the_nodes_nothing_requires() -> None:
    assert sources({"a": ["b"], "b": ["c"], "c": ["b"], "d": []}) == ["a", "d"]
    assert reachable(["a"], {"a": ["b"], "b": ["a"]}) == {"a", "b"}


def _distances(edges: dict[int, list[int]], start: int) -> dict[int, int]:
    distance = {start: 0}
    pending = deque([start])
    while pending:
        node = pending.popleft()
        for target in edges.get(node, ()):
            if target not in distance:
                distance[target] = distance[node] + 1
                pending.append(target)
    return distance


graphs = st.integers(min_value=1, max_value=14).flatmap(
    lambda size: st.tuples(
        st.dictionaries(
            st.integers(0, size - 1),
            st.lists(st.integers(0, size - 1), max_size=4),
            max_size=size,
        ),
        st.dictionaries(st.integers(0, size - 1), st.booleans(), min_size=1, max_size=5),
        st.integers(min_value=1, max_value=4),
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_via_names_the_nearest_reaching_direct_dependencies(
    graph: tuple[dict[int, list[int]], dict[int, bool], int],
) -> None:
    edges, kinds, limit = graph
    roots = {node: Root(f"r{node}", development) for node, development in kinds.items()}
    walked = walk(edges, roots, limit)
    from_root = {f"r{node}": _distances(edges, node) for node in roots}
    for node in walked.arrivals:
        via = walked.via(node)
        reaching = {
            name: distance[node] for name, distance in from_root.items() if node in distance
        }
        hops = [reaching[name] for name in via]  # every via name reaches the node
        assert len(set(via)) == len(via)
        assert hops == sorted(hops)  # nearest first
        assert len(via) == min(limit, len(reaching))
        if via:
            left_out = [d for name, d in reaching.items() if name not in via]
            assert all(d >= hops[-1] for d in left_out)  # nothing nearer was left out
        production = {f"r{root}" for root, development in kinds.items() if not development}
        assert walked.development_only(node) == (not production & reaching.keys())
    reached = set().union(*(set(_distances(edges, node)) for node in roots))
    assert set(walked.arrivals) == reached
