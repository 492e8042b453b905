"""`GET /metrics`: the Prometheus text exposition, outside the API's keys and rate limits."""

import asyncio
import hmac

from fastapi import APIRouter, Request, Response

from app.api.deps import JobServiceDep, SettingsDep
from app.core.errors import AuthenticationRequired
from app.core.logging import get_logger
from app.core.metrics import CONTENT_TYPE, QueueDepth, exposition

router = APIRouter(include_in_schema=False)
log = get_logger(__name__)


def _bearer(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


@router.get("/metrics")
async def metrics(request: Request, jobs: JobServiceDep, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None and not hmac.compare_digest(
        _bearer(request).encode(), settings.metrics_token.get_secret_value().encode()
    ):
        raise AuthenticationRequired("/metrics needs the METRICS_TOKEN as a bearer token.")
    queue: list[QueueDepth] | None = None
    try:
        async with asyncio.timeout(settings.health_check_timeout):
            queue = await jobs.queue_depth()
    except Exception as error:  # a scrape still reports everything else while the database is down
        log.warning("metrics.queue_depth_failed", error=repr(error))
    return Response(exposition(queue), media_type=CONTENT_TYPE)
