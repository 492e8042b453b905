"""A users page's sample repositories are read by PostgreSQL while wump builds the page's
items, and a failure while building them stops that read."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient

from app.repositories.package_samples import PackageSamplesRepository
from app.repositories.package_usage import AnyRow
from app.schemas.package import PackageUserRead
from app.services import package as package_service

USERS = "/api/v1/packages/pypi/django/users"

pytestmark = pytest.mark.usefixtures("dataset")


class _Samples:
    """Wraps the samples' read: whether it has been sent, and how it ended."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent = False
        self.ended: str | None = None
        original = PackageSamplesRepository.list_samples

        async def list_samples(
            repository: PackageSamplesRepository, *args: Any, **kwargs: Any
        ) -> list[AnyRow]:
            self.sent = True
            try:
                rows = await original(repository, *args, **kwargs)
            except asyncio.CancelledError:
                self.ended = "cancelled"
                raise
            self.ended = "read"
            return rows

        monkeypatch.setattr(PackageSamplesRepository, "list_samples", list_samples)


@pytest.mark.parametrize("params", [{}, {"language": "python"}, {"kind": "runtime"}])
async def test_the_samples_are_read_while_the_items_are_built(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    samples = _Samples(monkeypatch)
    seen: list[tuple[bool, str | None]] = []
    original = package_service.user_items

    def user_items(*args: Any) -> list[PackageUserRead]:
        seen.append((samples.sent, samples.ended))
        return original(*args)

    monkeypatch.setattr(package_service, "user_items", user_items)

    response = await api.get(USERS, params=params)

    assert response.status_code == 200, response.text
    # Sent before the items were built, and not yet answered then.
    assert seen == [(True, None)]
    assert samples.ended == "read"
    first = response.json()["items"][0]
    assert first["login"] == "acme"
    assert [s["full_name"] for s in first["sample_repositories"]][:1] == ["acme/web"]


async def test_a_failure_building_the_items_cancels_the_samples_read(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _Samples(monkeypatch)

    def user_items(*args: Any) -> list[PackageUserRead]:
        raise RuntimeError("building the items failed")

    monkeypatch.setattr(package_service, "user_items", user_items)

    response = await api.get(USERS)

    assert response.status_code == 500
    assert samples.sent
    assert samples.ended == "cancelled"
