"""NuGet project files, packages.config, packages.lock.json and nuspec; SPDX and CycloneDX SBOMs."""

import json

from app.manifests import DependencyType, parse
from tests.manifests._support import corpus_case, parse_fixture

CSPROJ = b"""\
\xef\xbb\xbf<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <SerilogVersion>3.1.1</SerilogVersion>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Serilog" Version="$(SerilogVersion)" />
    <PackageReference Include="Newtonsoft.Json">
      <Version>13.0.3</Version>
    </PackageReference>
    <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="all" />
    <PackageReference Include="Polly" Version="[8.0,9.0)" />
    <PackageReference Update="Serilog" Version="9.9.9" />
    <ProjectReference Include="..\\Core\\Core.csproj" />
  </ItemGroup>
</Project>
"""


def test_csproj_reads_references_properties_and_private_assets() -> None:
    deps = parse(CSPROJ, "Service.csproj").dependencies
    got = [(d.name, d.requirement, d.version, d.type) for d in deps]
    assert got == [
        ("serilog", "3.1.1", "3.1.1", DependencyType.RUNTIME),
        ("newtonsoft.json", "13.0.3", "13.0.3", DependencyType.RUNTIME),
        ("stylecop.analyzers", "1.1.118", "1.1.118", DependencyType.DEVELOPMENT),
        ("polly", "[8.0,9.0)", None, DependencyType.RUNTIME),
    ]


def test_central_package_versions_are_managed() -> None:
    props = b"""<Project><ItemGroup>
      <PackageVersion Include="xunit" Version="2.6.6" />
    </ItemGroup></Project>"""
    deps = parse(props, "Directory.Packages.props").dependencies
    assert [(d.name, d.type) for d in deps] == [("xunit", DependencyType.MANAGED)]


def test_packages_config_marks_development_dependencies() -> None:
    result, _ = corpus_case("nuget", "scalibr-nuget-packagesconfig-valid")
    got = {(d.name, d.version, d.type) for d in result.dependencies}
    assert got == {
        ("microsoft.codedom.providers.dotnetcompilerplatform", "1.0.0", DependencyType.RUNTIME),
        ("microsoft.net.compilers", "1.0.0", DependencyType.DEVELOPMENT),
    }


def test_packages_lock_reads_direct_and_transitive_once_across_frameworks() -> None:
    lock = {
        "version": 1,
        "dependencies": {
            "net8.0": {
                "Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1"},
                "System.Memory": {"type": "Transitive", "resolved": "4.5.5"},
                "Core": {"type": "Project"},
            },
            "net6.0": {
                "Serilog": {"type": "Direct", "requested": "[3.1.1, )", "resolved": "3.1.1"}
            },
        },
    }
    deps = parse(json.dumps(lock).encode(), "packages.lock.json").dependencies
    got = [(d.name, d.requirement, d.version, d.direct) for d in deps]
    assert got == [("serilog", "[3.1.1, )", "3.1.1", True), ("system.memory", None, "4.5.5", False)]


def test_nuspec_reports_package_apart_and_dependencies_per_group() -> None:
    result, expected = corpus_case("nuget", "scancode-nuget-microsoft.aspnet.mvc.nuspec")
    assert len(result.dependencies) == expected["dependency_count"]
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("microsoft.aspnet.mvc", "6.0.0-beta7")


def test_spdx_takes_ecosystems_from_purls_and_falls_back_to_cpes() -> None:
    result, _ = corpus_case("spdx", "scalibr-spdx-sbom.spdx.json")
    got = {(d.ecosystem, d.name, d.version) for d in result.dependencies}
    assert got == {(None, "cpe:2.3:a:nginx:nginx:1.21.1", None), ("generic", "openssl", "1.1.1l")}


def test_cyclonedx_walks_nested_components_and_reads_the_root() -> None:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "metadata": {"component": {"bom-ref": "app", "name": "app", "purl": "pkg:npm/app@1.0.0"}},
        "components": [
            {
                "bom-ref": "a",
                "name": "left-pad",
                "purl": "pkg:npm/left-pad@1.3.0",
                "components": [{"bom-ref": "b", "name": "x", "purl": "pkg:pypi/Py_Yaml@6.0"}],
            },
            {"bom-ref": "c", "name": "no-identifier"},
        ],
        "dependencies": [{"ref": "app", "dependsOn": ["a"]}],
    }
    result = parse(json.dumps(document).encode(), "bom.cdx.json")
    got = [(d.ecosystem, d.name, d.version, d.direct) for d in result.dependencies]
    assert got == [("npm", "left-pad", "1.3.0", True), ("pypi", "py-yaml", "6.0", False)]
    assert result.root is not None
    assert (result.root.ecosystem, result.root.name) == ("npm", "app")


def test_spdx_reports_packages_without_purl_as_generic_and_the_described_one_as_root() -> None:
    result = parse_fixture("sbom.no-purl.spdx.json", "sbom.spdx.json")
    got = [(d.ecosystem, d.name, d.version) for d in result.dependencies]
    assert got == [
        ("maven", "log4j:log4j", "1.2.17"),
        ("npm", "@angular/core", "17.0.0"),
        ("deb", "openssl", "3.0.11-1"),  # the namespace is the distribution, not the name
        ("generic", "zlib", "1.3"),  # no purl: its own name, generic
    ]
    assert result.root is not None
    assert (result.root.ecosystem, result.root.name) == ("github", "example/shop")


def test_spdx_describing_several_packages_has_no_root() -> None:
    result, _ = corpus_case("spdx", "scalibr-spdx-sbom.spdx.json")
    assert result.root is None
    assert len(result.dependencies) == 2
