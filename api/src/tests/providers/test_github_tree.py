"""Manifest discovery in the git tree and file contents."""

import json

import httpx
import pytest

from app.core.errors import ProviderBadResponse
from app.manifests.registry import detect
from tests.providers.conftest import HarnessFactory, octo_org, recorded


def is_manifest(path: str) -> bool:
    return detect(path) is not None


async def test_manifests_are_found_outside_vendored_folders(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    listing = await h.github.list_manifests("octo-org/app", "main", is_manifest)

    assert [f.path for f in listing.files] == ["api/requirements.txt", "package.json"]
    assert listing.commit_sha is not None
    assert len(listing.commit_sha) == 40
    assert listing.is_complete
    assert not listing.is_empty
    assert all(len(f.sha) == 40 and f.size for f in listing.files)
    assert len(h.requests("/git/trees/")) == 1


async def test_truncated_tree_is_walked_folder_by_folder(harness: HarnessFactory) -> None:
    files = {f"services/s{i}/package.json": "{}" for i in range(4)}
    files |= {"go.mod": "module x\n", "node_modules/a/package.json": "{}"}
    h = harness({"organizations": [octo_org(files=files)], "truncate_trees_over": 3})

    listing = await h.github.list_manifests("octo-org/app", "main", is_manifest)

    assert [f.path for f in listing.files] == [
        "go.mod",
        *(f"services/s{i}/package.json" for i in range(4)),
    ]
    assert listing.is_complete
    walked = [r["path"].rsplit("/", 1)[-1] for r in h.requests("/git/trees/")]
    assert len(walked) > 2  # root again, then each folder on its own
    assert not any("node_modules" in r["path"] for r in h.fake.requests)


async def test_tree_walk_stops_at_its_request_bound_and_says_incomplete(
    harness: HarnessFactory,
) -> None:
    files = {f"d{i}/e/package.json": "{}" for i in range(5)}
    h = harness(
        {"organizations": [octo_org(files=files)], "truncate_trees_over": 1},
        github_tree_max_requests=3,
    )

    listing = await h.github.list_manifests("octo-org/app", "main", is_manifest)

    assert not listing.is_complete
    assert len(h.requests("/git/trees/")) == 3


async def test_empty_repository_lists_no_manifests(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org(empty=True)]})

    listing = await h.github.list_manifests("octo-org/app", "main", is_manifest)

    assert listing.is_empty
    assert listing.files == ()
    assert listing.commit_sha is None


async def test_recorded_2012_tree_without_a_truncated_key_is_read(harness: HarnessFactory) -> None:
    tree = recorded("github/git_tree_recursive_2012.json")

    def github(request: httpx.Request) -> httpx.Response:
        if "/git/ref/heads/" in request.url.path:
            return httpx.Response(200, json={"object": {"sha": "f" * 40, "type": "commit"}})
        assert request.url.params["recursive"] == "1"
        return tree.response()

    h = harness(handler=github)

    listing = await h.github.list_manifests(
        "PyGithub/PyGithub", "master", lambda p: p.endswith("setup.py")
    )

    assert [f.path for f in listing.files] == ["setup.py"]
    assert listing.commit_sha == "f" * 40


async def test_recorded_contents_are_base64_decoded(harness: HarnessFactory) -> None:
    contents = recorded("github/synthetic-contents_package_json.json")
    h = harness(handler=lambda request: contents.response())

    file = await h.github.fetch_file("octo-org/example-app", "package.json", ref="main")

    assert json.loads(file.data)["dependencies"] == {"left-pad": "^1.3.0"}
    assert file.sha == "0000000000000000000000000000000000000001"


async def test_contents_through_the_fake_match_the_scenario_file(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})

    file = await h.github.fetch_file("octo-org/app", "api/requirements.txt", ref="main")

    assert file.data == b"httpx==0.28.1\n"
    assert h.fake.requests[-1]["query"] == "ref=main"


async def test_large_file_is_read_through_the_blob_api(harness: HarnessFactory) -> None:
    big = "requests==2.32.3\n" * 10
    h = harness(
        {"organizations": [octo_org(files={"requirements.txt": big})], "large_file_bytes": 64}
    )

    file = await h.github.fetch_file("octo-org/app", "requirements.txt")

    assert file.data == big.encode()
    assert [r["path"].split("/")[-2] for r in h.fake.requests] == ["contents", "blobs"]


async def test_file_by_blob_sha_skips_the_contents_endpoint(harness: HarnessFactory) -> None:
    h = harness({"organizations": [octo_org()]})
    listing = await h.github.list_manifests("octo-org/app", "main", is_manifest)
    wanted = listing.files[1]

    file = await h.github.fetch_file("octo-org/app", wanted.path, sha=wanted.sha)

    assert file.data.startswith(b'{"dependencies"')
    assert "/git/blobs/" in h.fake.requests[-1]["path"]


async def test_missing_file_and_non_base64_content_are_bad_responses(
    harness: HarnessFactory,
) -> None:
    body = {"type": "file", "sha": "1", "encoding": "base64", "content": "***not base64***"}
    garbled = harness(handler=lambda request: httpx.Response(200, json=body))
    fake = harness({"organizations": [octo_org()]})

    with pytest.raises(ProviderBadResponse, match="not base64"):
        await garbled.github.fetch_file("octo-org/app", "package.json")
    with pytest.raises(ProviderBadResponse, match=r"has no file 'nope\.txt'"):
        await fake.github.fetch_file("octo-org/app", "nope.txt")
