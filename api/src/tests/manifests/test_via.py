"""Every lockfile that records the graph names the direct dependencies pulling each package in.

One graph, written in each format: the project requires app-a and, for development, dev-d;
app-a -> lib-b -> lib-c -> lib-b (a cycle); app-a -> lib-x -> lib-z and dev-d -> lib-y -> lib-z
(a diamond); dev-d -> lib-t (reached only in development).
"""

import json

import pytest

from app.manifests import DependencyType, ManifestResult, parse

EDGES = {
    "app-a": ["lib-b", "lib-x"],
    "dev-d": ["lib-y", "lib-t"],
    "lib-b": ["lib-c"],
    "lib-c": ["lib-b"],
    "lib-x": ["lib-z"],
    "lib-y": ["lib-z"],
    "lib-z": [],
    "lib-t": [],
}
VIA = {
    "lib-b": ("app-a",),
    "lib-c": ("app-a",),
    "lib-x": ("app-a",),
    "lib-y": ("dev-d",),
    "lib-z": ("app-a", "dev-d"),
    "lib-t": ("dev-d",),
}
DEV_ONLY = {"dev-d", "lib-y", "lib-t"}


def package_lock() -> str:
    packages: dict[str, object] = {
        "": {"name": "proj", "dependencies": {"app-a": "^1"}, "devDependencies": {"dev-d": "^1"}}
    }
    for name, targets in EDGES.items():
        # lib-c is installed nested under lib-b: resolution climbs node_modules folders.
        location = (
            "node_modules/lib-b/node_modules/lib-c" if name == "lib-c" else f"node_modules/{name}"
        )
        packages[location] = {"version": "1.0.0", "dependencies": dict.fromkeys(targets, "^1")}
    return json.dumps({"name": "proj", "lockfileVersion": 3, "packages": packages})


def pnpm_lock() -> str:
    lines = [
        "lockfileVersion: '9.0'",
        "importers:",
        "  .:",
        "    dependencies:",
        "      app-a: {specifier: ^1, version: 1.0.0}",
        "    devDependencies:",
        "      dev-d: {specifier: ^1, version: 1.0.0}",
        "packages:",
        *(f"  {name}@1.0.0: {{resolution: {{integrity: sha512-x}}}}" for name in EDGES),
        "snapshots:",
    ]
    for name, targets in EDGES.items():
        lines.append(f"  {name}@1.0.0:")
        lines.append("    dependencies: {" + ", ".join(f"{t}: 1.0.0" for t in targets) + "}")
    return "\n".join(lines) + "\n"


def yarn_berry_lock() -> str:
    lines = ["__metadata:", "  version: 8", "", '"proj@workspace:.":', "  version: 0.0.0-use.local"]
    lines += ['  resolution: "proj@workspace:."', "  dependencies:"]
    lines += ['    app-a: "npm:^1"', '    dev-d: "npm:^1"', ""]
    for name, targets in EDGES.items():
        lines += [f'"{name}@npm:^1":', "  version: 1.0.0", f'  resolution: "{name}@npm:1.0.0"']
        if targets:
            lines += ["  dependencies:", *(f'    {t}: "npm:^1"' for t in targets)]
        lines.append("")
    return "\n".join(lines)


def poetry_lock() -> str:
    blocks = []
    for name, targets in EDGES.items():
        group = "dev" if name in DEV_ONLY else "main"
        block = f'[[package]]\nname = "{name}"\nversion = "1.0.0"\ngroups = ["{group}"]\n'
        if targets:
            block += "\n[package.dependencies]\n" + "".join(f'{t} = "*"\n' for t in targets)
        blocks.append(block)
    return "\n".join(blocks)


def uv_lock() -> str:
    blocks = [
        '[[package]]\nname = "proj"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        'dependencies = [{ name = "app-a" }]\n\n'
        '[package.dev-dependencies]\ndev = [{ name = "dev-d" }]\n'
    ]
    for name, targets in EDGES.items():
        deps = ", ".join(f'{{ name = "{t}" }}' for t in targets)
        blocks.append(f'[[package]]\nname = "{name}"\nversion = "1.0.0"\ndependencies = [{deps}]\n')
    return "version = 1\n\n" + "\n".join(blocks)


def cargo_lock() -> str:
    blocks = ['[[package]]\nname = "proj"\nversion = "0.1.0"\ndependencies = ["app-a", "dev-d"]\n']
    for name, targets in EDGES.items():
        deps = ", ".join(f'"{t}"' for t in targets)
        blocks.append(
            f'[[package]]\nname = "{name}"\nversion = "1.0.0"\n'
            f'source = "registry+https://crates-index.example.com/index"\ndependencies = [{deps}]\n'
        )
    return "version = 3\n\n" + "\n".join(blocks)


def gemfile_lock() -> str:
    lines = ["GEM", "  remote: https://gems.example.com/", "  specs:"]
    for name, targets in EDGES.items():
        lines.append(f"    {name} (1.0.0)")
        lines += [f"      {t} (~> 1.0)" for t in targets]
    lines += ["", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  app-a", "  dev-d", ""]
    return "\n".join(lines)


def composer_lock() -> str:
    def entry(name: str) -> dict[str, object]:
        return {
            "name": f"acme/{name}",
            "version": "1.0.0",
            "require": {"php": ">=8.1", **{f"acme/{t}": "^1" for t in EDGES[name]}},
        }

    return json.dumps(
        {
            "packages": [entry(n) for n in EDGES if n not in DEV_ONLY],
            "packages-dev": [entry(n) for n in EDGES if n in DEV_ONLY],
        }
    )


def packages_lock() -> str:
    framework = {
        name: {
            "type": "Direct" if name in ("app-a", "dev-d") else "Transitive",
            "resolved": "1.0.0",
            "dependencies": dict.fromkeys(targets, "1.0.0"),
        }
        for name, targets in EDGES.items()
    }
    return json.dumps({"version": 1, "dependencies": {"net8.0": framework}})


FORMATS = {
    "package-lock.json": (package_lock, True),
    "pnpm-lock.yaml": (pnpm_lock, True),
    "yarn.lock": (yarn_berry_lock, False),
    "poetry.lock": (poetry_lock, True),
    "uv.lock": (uv_lock, True),
    "Cargo.lock": (cargo_lock, False),
    "Gemfile.lock": (gemfile_lock, False),
    "composer.lock": (composer_lock, True),
    "packages.lock.json": (packages_lock, False),
}


def _short(name: str) -> str:
    return name.rpartition("/")[2]


def _parsed(filename: str, via_limit: int = 5) -> ManifestResult:
    build, _ = FORMATS[filename]
    return parse(build().encode(), filename, via_limit=via_limit)


@pytest.mark.parametrize("filename", FORMATS)
def test_lockfile_names_the_direct_dependencies_each_package_arrives_through(filename: str) -> None:
    result = _parsed(filename)
    via = {
        _short(d.name): tuple(_short(name) for name in d.via)
        for d in result.dependencies
        if _short(d.name) in VIA
    }
    assert via == VIA
    direct = {_short(d.name): d.via for d in result.dependencies if d.direct}
    assert set(direct) == {"app-a", "dev-d"}
    assert all(v == () for v in direct.values())


@pytest.mark.parametrize("filename", [f for f, (_, kinds) in FORMATS.items() if kinds])
def test_packages_reached_only_through_development_dependencies_are_development(
    filename: str,
) -> None:
    types = {_short(d.name): d.type for d in _parsed(filename).dependencies}
    assert {name for name, kind in types.items() if kind is DependencyType.DEVELOPMENT} == DEV_ONLY


@pytest.mark.parametrize("filename", FORMATS)
def test_via_limit_caps_how_many_direct_dependencies_are_named(filename: str) -> None:
    result = _parsed(filename, via_limit=1)
    via = {_short(d.name): tuple(_short(n) for n in d.via) for d in result.dependencies}
    assert via["lib-z"] == ("app-a",)
