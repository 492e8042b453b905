"""Manifest parsing speed: MB/s over the peer corpus, and one generated 5 MB package-lock.json."""

import json
import os
import sys
import time
from pathlib import Path

from app.manifests import parse

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[1] / "src" / "tests" / "fixtures" / "corpus" / "dev"
)
TARGET_LOCK_SECONDS = 1.0
DIRECT = 100


def corpus_throughput(corpus: Path, rounds: int = 20) -> tuple[int, int, float]:
    """(files, bytes, seconds) for parsing every corpus fixture `rounds` times."""
    cases: list[tuple[bytes, str]] = []
    for expected_path in sorted(corpus.glob("*/*/expected.json")):
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        filename = expected["canonical_filename"].replace("*", "project")
        cases.append(((expected_path.parent / expected["fixture"]).read_bytes(), filename))
    started = time.perf_counter()
    for _ in range(rounds):
        for data, filename in cases:
            parse(data, filename)
    elapsed = time.perf_counter() - started
    return len(cases), sum(len(data) for data, _ in cases) * rounds, elapsed


def generated_package_lock(target_bytes: int = 5 * 1024 * 1024) -> bytes:
    """A v3 lockfile whose graph is a dense DAG: 100 direct dependencies, two edges a package."""
    root_dependencies = {f"pkg-{index}": "^1.0.0" for index in range(DIRECT)}
    packages: dict[str, object] = {
        "": {"name": "bench", "version": "1.0.0", "dependencies": root_dependencies}
    }
    index = 0
    while len(json.dumps(packages)) < target_bytes:
        for _ in range(1000):
            name = f"pkg-{index}"
            location = (
                f"node_modules/{name}"
                if index % 5 or index < DIRECT
                else f"node_modules/pkg-{index - 1}/node_modules/{name}"
            )
            packages[location] = {
                "version": f"{index % 7}.{index % 13}.{index % 17}",
                "resolved": f"https://registry.example.com/{name}/-/{name}-1.0.0.tgz",
                "integrity": "sha512-" + "A" * 86 + "==",
                "dev": index % 3 == 0,
                "dependencies": {f"pkg-{index + 1}": "^1.0.0", f"pkg-{index + 37}": "^1.0.0"},
            }
            index += 1
    return json.dumps({"name": "bench", "lockfileVersion": 3, "packages": packages}).encode()


def main() -> int:
    corpus = Path(os.environ.get("WUMP_MANIFEST_CORPUS", DEFAULT_CORPUS))
    if not corpus.is_dir():
        print(f"corpus: no folder at {corpus}", file=sys.stderr)
        return 2
    files, total, elapsed = corpus_throughput(corpus)
    print(
        f"corpus: {files} files, {total / 1e6:.1f} MB parsed in {elapsed:.2f} s "
        f"= {total / 1e6 / elapsed:.1f} MB/s"
    )
    lock = generated_package_lock()
    started = time.perf_counter()
    result = parse(lock, "package-lock.json", max_bytes=len(lock))
    elapsed = time.perf_counter() - started
    verdict = "ok" if elapsed < TARGET_LOCK_SECONDS else "SLOW"
    attributed = sum(1 for dependency in result.dependencies if dependency.via)
    print(
        f"package-lock.json: {len(lock) / 1e6:.1f} MB, {len(result.dependencies)} packages "
        f"({attributed} with via) in {elapsed:.3f} s ({verdict}, target < "
        f"{TARGET_LOCK_SECONDS:.0f} s)"
    )
    return 0 if elapsed < TARGET_LOCK_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
