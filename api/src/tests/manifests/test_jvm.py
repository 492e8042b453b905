"""Maven pom.xml and Gradle (build scripts, lockfiles, version catalogs, verification metadata)."""

from app.manifests import DependencyType, parse
from tests.manifests._support import by_name, corpus_case

POM = b"""\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>2.0.0</version>
  </parent>
  <artifactId>service</artifactId>
  <properties>
    <jackson.version>2.16.1</jackson.version>
    <jackson.core>${jackson.version}</jackson.core>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-core</artifactId>
      <version>${jackson.core}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>common</artifactId>
      <version>${project.version}</version>
      <optional>true</optional>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>[4.12,5.0)</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>javax.servlet</groupId>
      <artifactId>servlet-api</artifactId>
      <scope>provided</scope>
    </dependency>
  </dependencies>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.springframework</groupId>
        <artifactId>spring-framework-bom</artifactId>
        <version>6.1.3</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>org.slf4j</groupId>
        <artifactId>slf4j-api</artifactId>
        <version>2.0.9</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"""


def test_pom_interpolates_properties_and_maps_scopes() -> None:
    result = parse(POM, "pom.xml")
    got = {(d.name, d.requirement, d.version, d.type) for d in result.dependencies}
    assert got == {
        ("com.fasterxml.jackson.core:jackson-core", "2.16.1", "2.16.1", DependencyType.RUNTIME),
        ("com.example:common", "2.0.0", "2.0.0", DependencyType.OPTIONAL),
        ("junit:junit", "[4.12,5.0)", None, DependencyType.DEVELOPMENT),
        ("javax.servlet:servlet-api", None, None, DependencyType.PROVIDED),
        ("org.springframework:spring-framework-bom", "6.1.3", "6.1.3", DependencyType.IMPORT),
        ("org.slf4j:slf4j-api", "2.0.9", "2.0.9", DependencyType.MANAGED),
    }
    assert result.root is not None
    assert (result.root.name, result.root.version) == ("com.example:service", "2.0.0")


def test_pom_corpus_case_reads_default_profiles_and_skips_plugins() -> None:
    result, expected = corpus_case(
        "maven", "scancode-maven-org-ajax4jsf-ajax4jsf-1.1.1-ajax4jsf-1.1.1.pom"
    )
    assert sorted(d.name for d in result.dependencies) == sorted(
        d["name"] for d in expected["dependencies"]
    )
    plugin_case, _ = corpus_case("maven", "scalibr-maven-pomxml-plugin-dependency.xml")
    assert [d.name for d in plugin_case.dependencies] == ["com.example:hijack-lib"]


BUILD_GRADLE = b"""\
ext {
    junitVersion = '5.10.1'
}
buildscript {
    dependencies {
        classpath 'com.android.tools.build:gradle:8.2.0'
    }
}
dependencies {
    // implementation 'commented.out:lib:1.0'
    implementation 'com.squareup.okhttp3:okhttp:4.12.0'
    api group: 'com.google.guava', name: 'guava', version: '33.0.0-jre'
    implementation platform("org.springframework.boot:spring-boot-dependencies:3.2.1")
    compileOnly "org.projectlombok:lombok:1.18.30"
    testImplementation "org.junit.jupiter:junit-jupiter:$junitVersion"
    implementation project(':core')
    implementation libs.retrofit
    implementation(kotlin("stdlib"))
}
"""


def test_build_gradle_reads_notations_configurations_and_variables() -> None:
    result = parse(BUILD_GRADLE, "build.gradle")
    got = {(d.name, d.requirement, d.version, d.type) for d in result.dependencies}
    assert got == {
        ("com.android.tools.build:gradle", "8.2.0", "8.2.0", DependencyType.BUILD),
        ("com.squareup.okhttp3:okhttp", "4.12.0", "4.12.0", DependencyType.RUNTIME),
        ("com.google.guava:guava", "33.0.0-jre", "33.0.0-jre", DependencyType.RUNTIME),
        (
            "org.springframework.boot:spring-boot-dependencies",
            "3.2.1",
            "3.2.1",
            DependencyType.MANAGED,
        ),
        ("org.projectlombok:lombok", "1.18.30", "1.18.30", DependencyType.PROVIDED),
        ("org.junit.jupiter:junit-jupiter", "$junitVersion", "5.10.1", DependencyType.DEVELOPMENT),
        ("org.jetbrains.kotlin:kotlin-stdlib", None, None, DependencyType.RUNTIME),
    }
    assert by_name(result)["com.squareup.okhttp3:okhttp"].line == 11


def test_build_gradle_kts_corpus_case_reads_kotlin_calls() -> None:
    result, _ = corpus_case("gradle", "scancode-gradle-kotlin-kotlin3-build.gradle.kts")
    got = {(d.name, d.type) for d in result.dependencies}
    assert got == {
        ("com.google.code.gson:gson", DependencyType.RUNTIME),
        ("org.junit.jupiter:junit-jupiter", DependencyType.DEVELOPMENT),
    }


def test_gradle_lockfile_skips_unreadable_lines() -> None:
    result, expected = corpus_case("gradle", "scalibr-gradle-gradlelockfile-with-bad-pkg")
    got = sorted((d.name, d.version) for d in result.dependencies)
    assert got == sorted((d["name"], d["version"]) for d in expected["dependencies"])


def test_version_catalog_resolves_references_and_rich_versions() -> None:
    result, expected = corpus_case(
        "gradle", "scalibr-gradle-gradleversioncatalog-libs.versions.toml"
    )
    got = sorted((d.name, d.version) for d in result.dependencies)
    assert got == sorted((d["name"], d["version"]) for d in expected["dependencies"])


def test_verification_metadata_lists_components() -> None:
    result, _ = corpus_case(
        "gradle", "scalibr-gradle-gradleverificationmetadataxml-two-packages.xml"
    )
    assert [(d.name, d.version) for d in result.dependencies] == [
        ("org.apache.pdfbox:pdfbox", "2.0.17"),
        ("com.github.javaparser:javaparser-core", "3.6.11"),
    ]
