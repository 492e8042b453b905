"""A language-filtered users page reads its sample repositories from the language's range of
the package when few of the package's organizations write that language (see
`reads_language_range`), organization by organization otherwise."""

from typing import Any

import pytest
from httpx import AsyncClient

from app.repositories.package_samples import PackageSamplesRepository
from app.repositories.package_usage import AnyRow

pytestmark = pytest.mark.usefixtures("dataset")


@pytest.mark.parametrize(
    ("params", "in_range"),
    [({"language": "python"}, [True]), ({"min_stars": 100}, [False]), ({}, [False])],
)
async def test_a_language_filtered_page_reads_the_range_when_few_write_it(
    api: AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, Any],
    in_range: list[bool],
) -> None:
    asked: list[bool] = []
    original = PackageSamplesRepository.list_samples

    async def list_samples(
        repository: PackageSamplesRepository, *args: Any, in_range: bool = False
    ) -> list[AnyRow]:
        asked.append(in_range)
        return await original(repository, *args, in_range=in_range)

    monkeypatch.setattr(PackageSamplesRepository, "list_samples", list_samples)

    response = await api.get("/api/v1/packages/pypi/django/users", params=params)

    assert response.status_code == 200, response.text
    assert asked == in_range
    samples = {i["login"]: i["sample_repositories"] for i in response.json()["items"]}
    assert [s["full_name"] for s in samples["acme"]][:1] == ["acme/web"]
