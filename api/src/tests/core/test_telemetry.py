"""OpenTelemetry: one request gives its server span with the request id, and the database and
Valkey spans under it; a job runs in a span of its own; log lines carry the trace id."""

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import telemetry
from app.core.config import Settings
from app.core.logging import configure_logging
from tests.clients import app_client

pytestmark = pytest.mark.usefixtures("cache")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider)
    yield exporter
    telemetry.uninstall()


async def test_a_request_is_traced_with_its_request_id_and_its_queries(
    settings: Settings, session: AsyncSession, spans: InMemorySpanExporter
) -> None:
    # No shared session: the app's own engine (and its tracer) runs the queries.
    async with app_client(settings) as (_, client):
        spans.clear()
        response = await client.get("/api/v1/stats", headers={"X-Request-ID": "trace-me-42"})

    assert response.status_code == 200
    finished = spans.get_finished_spans()
    server = [span for span in finished if span.kind == SpanKind.SERVER]
    assert len(server) == 1
    request = server[0]
    assert request.name == "GET /api/v1/stats"
    assert request.attributes is not None
    assert request.attributes[telemetry.REQUEST_ID_ATTRIBUTE] == "trace-me-42"
    assert request.attributes["http.route"] == "/api/v1/stats"
    trace_id = request.context.trace_id
    database = [s for s in finished if (s.attributes or {}).get("db.system") == "postgresql"]
    cache = [s for s in finished if (s.attributes or {}).get("db.system") == "redis"]
    assert database, [span.name for span in finished]
    assert cache, [span.name for span in finished]
    assert all(span.context.trace_id == trace_id for span in database + cache)


async def test_a_job_attempt_is_a_span(spans: InMemorySpanExporter) -> None:
    with telemetry.job_span("ingest_organization", "job-1"):
        pass

    (job,) = spans.get_finished_spans()
    assert job.name == "job ingest_organization"
    assert job.kind == SpanKind.CONSUMER
    assert dict(job.attributes or {}) == {
        "wump.job.type": "ingest_organization",
        "wump.job.id": "job-1",
    }


def test_log_lines_inside_a_span_carry_its_trace_id(
    spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    configure_logging("INFO", "json")
    try:
        with telemetry.job_span("enrich_organization", "job-2"):
            structlog.get_logger("test").info("inside.span")
        structlog.get_logger("test").info("outside.span")
    finally:
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
        configure_logging("INFO", "json")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "span" in line]
    inside = next(line for line in lines if line["event"] == "inside.span")
    outside = next(line for line in lines if line["event"] == "outside.span")
    (job,) = spans.get_finished_spans()
    assert inside["trace_id"] == format(job.context.trace_id, "032x")
    assert inside["span_id"] == format(job.context.span_id, "016x")
    assert "trace_id" not in outside


def test_tracing_is_off_and_unloaded_without_an_endpoint() -> None:
    probe = (
        "import sys\n"
        "from app.core.config import Settings\n"
        "from app.main import create_app\n"
        "from app.core import telemetry\n"
        "create_app(Settings(_env_file=None))\n"
        "loaded = [m for m in sys.modules if m.startswith(('opentelemetry.exporter',"
        " 'opentelemetry.instrumentation', 'opentelemetry.sdk.trace'))]\n"
        "print(telemetry.current_provider(), loaded)"
    )
    environment = {"PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert shown.stdout.split() == ["None", "[]"]


def test_the_standard_endpoint_variable_turns_tracing_on(closed_port: int) -> None:
    probe = (
        "from app.core.config import Settings\n"
        "from app.main import create_app\n"
        "from app.core import telemetry\n"
        "create_app(Settings(_env_file=None))\n"
        "provider = telemetry.current_provider()\n"
        "print(provider.resource.attributes['service.name'])"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port}",
        "OTEL_BSP_EXPORT_TIMEOUT": "100",
    }
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert shown.stdout.split() == ["wump-api"]
