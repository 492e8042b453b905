"""npm family: package.json, package-lock.json v1-v3, yarn.lock v1 and berry, pnpm-lock.yaml."""

import json

from app.manifests import DependencyType, parse
from tests.manifests._support import by_name, corpus_case, parse_fixture


def test_package_json_reports_each_group_aliases_and_root() -> None:
    manifest = {
        "name": "@acme/app",
        "version": "1.2.3",
        "dependencies": {"express": "^4.18.0", "cjs": "npm:strip-ansi@^6.0.1"},
        "devDependencies": {"jest": "29"},
        "peerDependencies": {"react": ">=18"},
        "optionalDependencies": {"fsevents": "*"},
        "resolutions": {"**/minimist": "1.2.8"},
        "bundleDependencies": ["express", "vendored"],
    }
    result = parse(json.dumps(manifest).encode(), "package.json")
    got = {(d.name, d.requirement, d.type) for d in result.dependencies}
    assert got == {
        ("express", "^4.18.0", DependencyType.RUNTIME),
        ("strip-ansi", "^6.0.1", DependencyType.RUNTIME),
        ("jest", "29", DependencyType.DEVELOPMENT),
        ("react", ">=18", DependencyType.PEER),
        ("fsevents", "*", DependencyType.OPTIONAL),
        ("minimist", "1.2.8", DependencyType.OVERRIDE),
        ("vendored", None, DependencyType.RUNTIME),
    }
    assert all(d.direct for d in result.dependencies)
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("@acme/app", "1.2.3")


def test_package_lock_v1_walks_the_nested_tree_without_claiming_directness() -> None:
    deps = parse_fixture("package-lock.v1.json", "package-lock.json").dependencies
    got = {(d.name, d.version, d.type) for d in deps}
    assert ("ms", "2.1.3", DependencyType.DEVELOPMENT) in got
    assert ("left-pad", "1.2.0", DependencyType.RUNTIME) in got  # installed under an alias
    assert ("fsevents", "2.3.3", DependencyType.OPTIONAL) in got
    assert {d.direct for d in deps} == {None}


def test_package_lock_v2_tells_direct_from_transitive_by_the_root_entry() -> None:
    deps = by_name(parse_fixture("package-lock.v2.json", "package-lock.json"))
    assert (deps["@scope/util"].direct, deps["tslib"].direct, deps["typescript"].direct) == (
        True,
        False,
        True,
    )
    assert deps["typescript"].type is DependencyType.DEVELOPMENT


def test_package_lock_v3_handles_workspaces_links_and_flags() -> None:
    result = parse_fixture("package-lock.v3.json", "package-lock.json")
    deps = by_name(result)
    assert "web" not in deps  # the workspace link is the project itself
    assert deps["react"].direct is True  # declared by the workspace, hoisted to the root
    assert deps["react"].type is DependencyType.PEER
    assert deps["real-helper"].version == "3.0.0"
    assert deps["left-pad"].type is DependencyType.DEVELOPMENT
    assert result.root is not None
    assert result.root.name == "workspace-root"


def test_yarn_classic_lock_reads_names_versions_and_lines() -> None:
    deps = parse_fixture("yarn.v1.lock", "yarn.lock").dependencies
    assert [(d.name, d.version, d.line) for d in deps] == [
        ("@babel/code-frame", "7.23.5", 5),
        ("chalk", "2.4.2", 12),
        ("string-width", "4.2.3", 17),
    ]


def test_yarn_berry_lock_skips_workspaces_and_patches() -> None:
    deps = parse_fixture("yarn.berry.lock", "yarn.lock").dependencies
    assert sorted((d.name, d.version) for d in deps) == [
        ("lodash", "4.17.21"),
        ("resolve", "1.22.8"),
    ]


def test_pnpm_v6_reads_dev_and_optional_flags_and_direct_importers() -> None:
    deps = by_name(parse_fixture("pnpm-lock.v6.yaml", "pnpm-lock.yaml"))
    assert (deps["express"].type, deps["express"].direct) == (DependencyType.RUNTIME, True)
    assert (deps["ms"].type, deps["ms"].direct) == (DependencyType.RUNTIME, False)
    assert deps["vitest"].type is DependencyType.DEVELOPMENT
    assert deps["@esbuild/linux-x64"].type is DependencyType.OPTIONAL


def test_pnpm_v9_corpus_case_derives_groups_from_importers() -> None:
    result, expected = corpus_case("npm", "trivy-npm-pnpm-lock_v9.yaml")
    got = {(d.name, d.version, d.direct) for d in result.dependencies}
    want = {(d["name"], d["version"], d["direct"]) for d in expected["dependencies"]}
    assert got == want
    types = {(d.name, d.version): d.type for d in result.dependencies}
    assert types[("lodash", "4.17.21")] is DependencyType.DEVELOPMENT
    assert types[("ms", "2.0.0")] is DependencyType.RUNTIME  # also reached from production


def test_pnpm_v5_corpus_case_reads_slash_keys_and_peer_suffixes() -> None:
    result, expected = corpus_case("npm", "scancode-npm-pnpm-pnpm-lock-v5-cobe-pnpm-lock.yaml")
    got = sorted((d.name, d.version, d.type) for d in result.dependencies)
    want = sorted((d["name"], d["version"], d["type"]) for d in expected["dependencies"])
    assert got == want


def test_yarn_berry_corpus_case_resolves_aliases_to_real_packages() -> None:
    result, expected = corpus_case("npm", "scalibr-npm-yarnlock-with-aliases.v2.lock")
    got = sorted((d.name, d.version) for d in result.dependencies)
    assert got == sorted((d["name"], d["version"]) for d in expected["dependencies"])


def test_pnpm_v9_peer_variants_are_one_package_and_dev_only_variants_are_development() -> None:
    result = parse_fixture("pnpm-lock.v9-variants.yaml", "pnpm-lock.yaml")
    got = [(d.name, d.version, d.type, d.direct) for d in result.dependencies]
    assert got == [
        ("react-dom", "18.2.0", DependencyType.RUNTIME, True),
        ("react", "18.2.0", DependencyType.RUNTIME, True),
        # Only the variant of react-dom installed for old-ui (a dev dependency) needs react 17.
        ("react", "17.0.2", DependencyType.DEVELOPMENT, False),
        ("old-ui", "1.0.0", DependencyType.DEVELOPMENT, True),
        ("lint-tool", "1.0.0", DependencyType.DEVELOPMENT, True),
        ("scheduler", "0.23.0", DependencyType.RUNTIME, False),
        ("chalk", "5.0.0", DependencyType.DEVELOPMENT, False),
    ]


def test_pnpm_v6_peer_variants_are_reported_once() -> None:
    lock = b"""\
lockfileVersion: '6.0'
dependencies:
  ui-kit:
    specifier: ^2
    version: 2.0.0(react@18.2.0)
devDependencies:
  legacy:
    specifier: ^1
    version: 1.0.0
packages:
  /ui-kit@2.0.0(react@18.2.0):
    resolution: {integrity: sha512-x}
    dependencies:
      react: 18.2.0
  /ui-kit@2.0.0(react@17.0.2):
    resolution: {integrity: sha512-x}
    dev: true
    dependencies:
      react: 17.0.2
  /legacy@1.0.0:
    resolution: {integrity: sha512-x}
    dev: true
    dependencies:
      ui-kit: 2.0.0(react@17.0.2)
  /react@18.2.0:
    resolution: {integrity: sha512-x}
  /react@17.0.2:
    resolution: {integrity: sha512-x}
    dev: true
"""
    result = parse(lock, "pnpm-lock.yaml")
    got = [(d.name, d.version, d.type) for d in result.dependencies]
    assert got == [
        ("ui-kit", "2.0.0", DependencyType.RUNTIME),
        ("legacy", "1.0.0", DependencyType.DEVELOPMENT),
        ("react", "18.2.0", DependencyType.RUNTIME),
        ("react", "17.0.2", DependencyType.DEVELOPMENT),
    ]
