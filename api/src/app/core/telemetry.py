"""OpenTelemetry traces: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; the SDK and the
instrumentations are imported only then, so commands that trace nothing never load them."""

import os
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span
    from sqlalchemy.ext.asyncio import AsyncEngine

REQUEST_ID_ATTRIBUTE = "wump.request_id"
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_provider: "TracerProvider | None" = None


def tracing_requested() -> bool:
    """The standard variables ask for traces: an OTLP endpoint, and the SDK not disabled."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(os.environ.get(name, "").strip() for name in _ENDPOINT_VARIABLES)


def configure_from_environment(service_name: str) -> "TracerProvider | None":
    """Export spans over OTLP as the standard variables say (endpoint, headers, protocol,
    OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, sampler); None when tracing is off."""
    if _provider is not None:
        return _provider
    if not tracing_requested():
        return None
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service_name}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
    trace.set_tracer_provider(provider)
    install(provider)
    return provider


def _otlp_exporter() -> Any:
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    )
    if protocol.strip() == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
        except ImportError:
            raise RuntimeError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs opentelemetry-exporter-otlp-proto-grpc; "
                "wump ships http/protobuf"
            ) from None
        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

    return Http()


def install(provider: "TracerProvider") -> None:
    """Trace httpx and Valkey calls through `provider` (engines are added by trace_engine)."""
    global _provider
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    _provider = provider
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)


def uninstall() -> None:
    """Undo install(): for tests, which trace into a provider of their own."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    RedisInstrumentor().uninstrument()
    _provider = None


def current_provider() -> "TracerProvider | None":
    return _provider


def trace_engine(engine: "AsyncEngine") -> None:
    """Trace the engine's statements when tracing is on."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    # The instrumentor traces only the first engine it is given (it is a singleton) and patches
    # create_engine after we imported it, so each engine gets a tracer of its own.
    usage = NoOpMeter("wump.db").create_up_down_counter("db.client.connections.usage")
    EngineTracer(_provider.get_tracer("wump.db"), engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def annotate_request(request_id: str) -> None:
    """Put the request id on the request's span, so a trace is found from a log line or a
    problem answer's `request_id`."""
    if _provider is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)


def job_span(job_type: str, job_id: str) -> AbstractContextManager[object]:
    """A span around one attempt of a job; nothing at all when tracing is off."""
    if _provider is None:
        return nullcontext()
    return _job_span(_provider, job_type, job_id)


@contextmanager
def _job_span(provider: "TracerProvider", job_type: str, job_id: str) -> Iterator["Span"]:
    from opentelemetry.trace import SpanKind

    # A consumer span: the job came off the queue, whoever asked for it.
    with provider.get_tracer("wump.jobs").start_as_current_span(
        f"job {job_type}",
        kind=SpanKind.CONSUMER,
        attributes={"wump.job.type": job_type, "wump.job.id": job_id},
    ) as span:
        yield span


def add_trace_context(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current trace and span ids on every line logged inside a span."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
