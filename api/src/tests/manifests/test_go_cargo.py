"""Go modules (go.mod, go.sum) and Rust crates (Cargo.toml, Cargo.lock)."""

from app.manifests import DependencyType, parse
from tests.manifests._support import by_name, corpus_case, parse_fixture

GO_MOD = b"""\
module example.com/acme/service

go 1.22.0

toolchain go1.22.5

require github.com/pkg/errors v0.9.1

require (
\tgolang.org/x/text v0.14.0 // indirect
\t"example.com/old/lib" v1.0.0
\texample.com/forked v1.2.0
)

replace example.com/old/lib => example.com/new/lib v1.1.0
replace example.com/forked v1.2.0 => ../forked

exclude golang.org/x/net v0.1.0
"""


def test_go_mod_applies_replacements_and_marks_indirect() -> None:
    result = parse(GO_MOD, "go.mod")
    got = [(d.name, d.version, d.type, d.direct, d.line) for d in result.dependencies]
    assert got == [
        ("github.com/pkg/errors", "v0.9.1", DependencyType.RUNTIME, True, 7),
        ("golang.org/x/text", "v0.14.0", DependencyType.RUNTIME, False, 10),
        ("example.com/new/lib", "v1.1.0", DependencyType.RUNTIME, True, 11),
        ("golang.org/x/net", None, DependencyType.EXCLUDED, True, 18),
    ]
    assert result.root is not None
    assert result.root.name == "example.com/acme/service"


def test_go_mod_corpus_case_matches_the_peer_on_indirect_markers() -> None:
    result, expected = corpus_case("go", "trivy-go-normal-go.mod")
    got = {(d.name, d.version, d.direct) for d in result.dependencies}
    want = {
        (d["name"], d["version"], d["direct"])
        for d in expected["dependencies"]
        if d["name"] != "stdlib"
    }
    assert got == want


def test_go_sum_lists_each_module_version_once() -> None:
    go_sum = b"""\
github.com/pkg/errors v0.9.1 h1:aaaa=
github.com/pkg/errors v0.9.1/go.mod h1:bbbb=
golang.org/x/text v0.3.0/go.mod h1:cccc=
"""
    deps = parse(go_sum, "go.sum").dependencies
    assert [(d.name, d.version, d.line) for d in deps] == [
        ("github.com/pkg/errors", "v0.9.1", 1),
        ("golang.org/x/text", "v0.3.0", 3),
    ]


CARGO_TOML = b"""\
[package]
name = "widget"
version = "0.2.0"

[dependencies]
serde = { version = "1.0", features = ["derive"] }
tokio = { version = "1", optional = true }
json = { package = "serde_json", version = "1" }
sibling = { path = "../sibling" }
regex = { git = "https://git.example.com/regex.git" }

[dev-dependencies]
proptest = "1.4"

[build-dependencies]
cc = "1.0"

[target.'cfg(windows)'.dependencies]
winapi = "0.3"

[workspace.dependencies]
anyhow = "1.0.80"
"""


def test_cargo_toml_reads_every_table_renames_and_workspace() -> None:
    result = parse(CARGO_TOML, "Cargo.toml")
    got = {(d.name, d.requirement, d.type) for d in result.dependencies}
    assert got == {
        ("serde", "1.0", DependencyType.RUNTIME),
        ("tokio", "1", DependencyType.OPTIONAL),
        ("serde_json", "1", DependencyType.RUNTIME),
        ("regex", "https://git.example.com/regex.git", DependencyType.RUNTIME),
        ("proptest", "1.4", DependencyType.DEVELOPMENT),
        ("cc", "1.0", DependencyType.BUILD),
        ("winapi", "0.3", DependencyType.RUNTIME),
        ("anyhow", "1.0.80", DependencyType.MANAGED),
    }
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("widget", "0.2.0")


def test_cargo_lock_reports_the_local_crate_apart_and_its_direct_dependencies() -> None:
    result, _ = corpus_case("cargo", "trivy-cargo-cargo_v3.lock")
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("app", "0.1.0")
    deps = {(d.name, d.version): d.direct for d in result.dependencies}
    assert deps[("memchr", "1.0.2")] is True
    assert deps[("regex-syntax", "0.6.29")] is False


def test_cargo_toml_corpus_case_types_match_the_peer() -> None:
    result, expected = corpus_case("cargo", "scancode-cargo-cargo_toml-mdbook-cargo.toml")
    got = sorted((d.name, d.requirement, d.type) for d in result.dependencies)
    want = sorted(
        (d["name"], d["requirement_or_version"], d["type"]) for d in expected["dependencies"]
    )
    assert got == want
    assert by_name(result)["notify"].type is DependencyType.OPTIONAL


def test_cargo_lock_reports_local_crates_other_crates_use_and_keeps_the_top_one_as_root() -> None:
    result = parse_fixture("Cargo.local-crates.lock", "Cargo.lock")
    got = [(d.name, d.version, d.direct) for d in result.dependencies]
    assert got == [("core-lib", "0.2.0", True), ("util", "0.0.1", True), ("serde", "1.0.0", True)]
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("app", "0.1.0")


def test_cargo_lock_of_a_virtual_workspace_has_no_root_and_reports_no_member() -> None:
    lock = b"""\
version = 3
[[package]]
name = "cli"
version = "0.1.0"
dependencies = ["anyhow"]
[[package]]
name = "server"
version = "0.1.0"
dependencies = ["anyhow"]
[[package]]
name = "anyhow"
version = "1.0.80"
source = "registry+https://crates-index.example.com/index"
"""
    result = parse(lock, "Cargo.lock")
    assert [(d.name, d.direct) for d in result.dependencies] == [("anyhow", True)]
    assert result.root is None
