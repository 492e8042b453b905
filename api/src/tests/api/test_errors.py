"""Every failure is an RFC 9457 problem; request ids travel through responses and logs."""

import logging
import threading
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from httpx import AsyncClient

from app.core.config import Settings
from tests.clients import app_client


@pytest.fixture
async def app_with_probe_routes(settings: Settings) -> AsyncIterator[AsyncClient]:
    def add_probe_routes(app: FastAPI) -> None:
        @app.get("/probe/number")
        async def number(n: int) -> dict[str, int]:
            return {"n": n}

        @app.get("/probe/boom")
        async def boom() -> None:
            raise RuntimeError("secret internals")

    async with app_client(settings, configure=add_probe_routes) as (_, client):
        yield client


def _assert_problem(body: dict[str, object], status: int, code: str) -> None:
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:wump:problem:{code}"
    assert isinstance(body["title"], str)
    assert body["request_id"]


async def test_unknown_route_returns_404_problem(client: AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    _assert_problem(response.json(), 404, "not_found")
    assert response.json()["instance"] == "/nowhere"


async def test_wrong_method_returns_405_problem(client: AsyncClient) -> None:
    response = await client.post("/health/live")

    assert response.status_code == 405
    _assert_problem(response.json(), 405, "method_not_allowed")


async def test_invalid_parameter_returns_422_with_field_errors(
    app_with_probe_routes: AsyncClient,
) -> None:
    response = await app_with_probe_routes.get("/probe/number", params={"n": "seven"})

    assert response.status_code == 422
    body = response.json()
    _assert_problem(body, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["query", "n"]
    assert body["errors"][0]["type"] == "int_parsing"


async def test_unexpected_error_returns_opaque_500(app_with_probe_routes: AsyncClient) -> None:
    response = await app_with_probe_routes.get("/probe/boom")

    assert response.status_code == 500
    _assert_problem(response.json(), 500, "internal_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_sane_request_id_is_echoed(client: AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123.x:y"})

    assert response.headers["X-Request-ID"] == "abc-123.x:y"


@pytest.mark.parametrize("given", ["has spaces", "x" * 200, "<script>"])
async def test_insane_request_id_is_replaced(client: AsyncClient, given: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": given})

    assert response.headers["X-Request-ID"] != given
    assert len(response.headers["X-Request-ID"]) == 32


async def test_missing_request_id_is_generated_and_put_in_problems(client: AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.json()["request_id"] == response.headers["X-Request-ID"]


async def test_access_log_line_carries_request_id_status_and_duration(
    client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="wump.access"):
        await client.get("/health/live", headers={"X-Request-ID": "trace-me"})

    lines = [r.msg for r in caplog.records if r.name == "wump.access"]
    assert len(lines) == 1
    line = lines[0]
    assert isinstance(line, dict)
    assert line["event"] == "http.request"
    assert line["request_id"] == "trace-me"
    assert line["method"] == "GET"
    assert line["path"] == "/health/live"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0


async def test_unexpected_error_is_logged_off_the_event_loop(
    app_with_probe_routes: AsyncClient,
) -> None:
    threads: list[str] = []

    class _Threads(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "http.unhandled_error" in str(record.msg):
                threads.append(threading.current_thread().name)

    handler = _Threads()
    logging.getLogger().addHandler(handler)
    try:
        response = await app_with_probe_routes.get("/probe/boom")
    finally:
        logging.getLogger().removeHandler(handler)

    assert response.status_code == 500
    assert threads
    assert threading.main_thread().name not in threads


async def test_a_405_lists_every_method_the_path_allows(client: AsyncClient) -> None:
    response = await client.put("/api/v1/admin/keys")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, HEAD"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/admin/keys/", "/api/v1/admin/keys"),
        ("/api/v1/packages/?q=fast", "/api/v1/packages?q=fast"),
        ("/health/live/", "/health/live"),
    ],
)
async def test_trailing_slash_redirect_is_relative_whatever_the_host(
    client: AsyncClient, path: str, location: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example"})

    assert response.status_code == 307
    assert response.headers["location"] == location


async def test_a_redirect_to_a_double_slash_path_stays_on_site(settings: Settings) -> None:
    def probe(app: FastAPI) -> None:
        @app.get("/probe/away")
        async def away() -> RedirectResponse:
            return RedirectResponse("http://evil.example//elsewhere.example/x")

    async with app_client(settings, configure=probe) as (_, client):
        response = await client.get("/probe/away", headers={"Host": "evil.example"})

    assert response.status_code == 307
    assert response.headers["location"] == "/elsewhere.example/x"
