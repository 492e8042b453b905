"""RubyGems (Gemfile, Gemfile.lock, gemspec) and Packagist (composer.json, composer.lock)."""

import json

from app.manifests import DependencyType, parse
from tests.manifests._support import by_name, corpus_case, parse_fixture


def test_gemfile_reads_groups_blocks_options_and_lines() -> None:
    deps = by_name(parse_fixture("Gemfile", "Gemfile"))
    assert (deps["pg"].requirement, deps["pg"].line) == (">= 1.1, < 2.0", 8)
    assert deps["bootsnap"].type is DependencyType.RUNTIME
    assert deps["rspec-rails"].type is DependencyType.DEVELOPMENT
    assert deps["rubocop"].type is DependencyType.DEVELOPMENT  # group: option
    assert deps["lograge"].type is DependencyType.RUNTIME  # production group
    assert deps["jruby-openssl"].type is DependencyType.RUNTIME


def test_gemfile_lock_uses_dependencies_section_for_directness() -> None:
    result, expected = corpus_case("rubygems", "trivy-rubygems-gemfile_normal.lock")
    got = {(d.name, d.version, d.direct) for d in result.dependencies}
    assert got == {(d["name"], d["version"], d["direct"]) for d in expected["dependencies"]}


def test_gemfile_lock_reports_the_gemspec_path_as_root_and_strips_platforms() -> None:
    lock = b"""\
PATH
  remote: .
  specs:
    widget (0.1.0)

GEM
  remote: https://gems.example.com/
  specs:
    nokogiri (1.16.0-x86_64-linux)
    nokogiri (1.16.0-arm64-darwin)

DEPENDENCIES
  nokogiri
  widget!
"""
    result = parse(lock, "Gemfile.lock")
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("widget", "0.1.0")
    assert [(d.name, d.version, d.direct) for d in result.dependencies] == [
        ("nokogiri", "1.16.0", True)
    ]


def test_gemspec_reads_literal_dependencies_without_running_ruby() -> None:
    result, expected = corpus_case("rubygems", "scancode-rubygems-gemspec-with_variables.gemspec")
    got = sorted((d.name, d.requirement, d.type) for d in result.dependencies)
    want = sorted(
        (d["name"], d["requirement_or_version"], d["type"]) for d in expected["dependencies"]
    )
    assert got == want
    assert result.root is None  # the name is a Ruby constant, never evaluated


def test_gemspec_understands_generated_percent_q_syntax() -> None:
    gemspec = b"""\
Gem::Specification.new do |s|
  s.name = "tiny".freeze
  s.add_runtime_dependency(%q<rack>.freeze, [">= 2.0", "< 4"])
end
"""
    result = parse(gemspec, "tiny.gemspec")
    assert [(d.name, d.requirement) for d in result.dependencies] == [("rack", ">= 2.0, < 4")]


def test_composer_json_maps_every_link_section() -> None:
    manifest = {
        "name": "Acme/Site",
        "require": {"php": ">=8.1", "Monolog/Monolog": "^3.0"},
        "require-dev": {"phpunit/phpunit": "^10"},
        "suggest": {"ext-redis": "Needed for the Redis cache (^5.0)"},
        "replace": {"acme/legacy": "self.version"},
    }
    result = parse(json.dumps(manifest).encode(), "composer.json")
    got = {(d.name, d.requirement, d.type) for d in result.dependencies}
    assert got == {
        ("php", ">=8.1", DependencyType.RUNTIME),
        ("monolog/monolog", "^3.0", DependencyType.RUNTIME),
        ("phpunit/phpunit", "^10", DependencyType.DEVELOPMENT),
        ("ext-redis", None, DependencyType.SUGGESTED),
        ("acme/legacy", "self.version", DependencyType.OTHER),
    }
    assert result.root is not None
    assert result.root.name == "acme/site"


def test_composer_lock_corpus_case_keeps_duplicate_versions() -> None:
    result, expected = corpus_case(
        "packagist", "scalibr-packagist-composerlock-duplicate-packages.json"
    )
    got = sorted((d.name, d.version, d.type) for d in result.dependencies)
    want = sorted((d["name"], d["version"], d["type"]) for d in expected["dependencies"])
    assert got == want


def test_gemfile_lock_reports_declared_gems_locked_for_no_platform_as_direct() -> None:
    result = parse_fixture("Gemfile.platforms.lock", "Gemfile.lock")
    got = {d.name: (d.version, d.requirement, d.direct, d.line) for d in result.dependencies}
    assert got["tzinfo-data"] == (None, None, True, 21)
    assert got["wdm"] == (None, ">= 0.1.0", True, 22)
    assert got["nokogiri"] == ("1.15.4", None, True, 11)
    assert "shop" not in got  # the project's own gem (`shop!`) is the root
    assert result.root is not None
    assert result.root.name == "shop"
