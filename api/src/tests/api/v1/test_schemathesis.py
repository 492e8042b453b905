"""Schemathesis over the read endpoints' OpenAPI document: no generated request makes a 500."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.config import Settings
from app.main import create_app
from tests.api.v1.dataset import Dataset

READ_PREFIXES = (
    "/api/v1/packages",
    "/api/v1/organizations",
    "/api/v1/repositories",
    "/api/v1/stats",
)


def _cases() -> st.SearchStrategy[Any]:
    # Imported here, in the one worker that runs this test (its pytest plugin is off).
    import schemathesis

    app: FastAPI = create_app(Settings(_env_file=None))
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    strategies = [op.as_strategy() for op in operations if op.path.startswith(READ_PREFIXES)]
    return st.one_of(*strategies)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(case=st.deferred(_cases))
async def test_no_generated_request_makes_a_server_error(
    api: AsyncClient, dataset: Dataset, case: Any
) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://test")
    response = await api.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=kwargs.get("headers")
    )

    assert response.status_code < 500, (kwargs, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
