"""Webhook routes: follow packages and portfolios, read an endpoint, its deliveries, ping it."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.api.auth import CurrentCaller, RequireWebhooks
from app.api.deps import CommitBeforeResponse, WebhookServiceDep
from app.schemas.common import problem_response
from app.schemas.pagination import Page
from app.schemas.webhook import (
    DeliveriesQuery,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from app.services.api_key import Caller

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], dependencies=[RequireWebhooks, CommitBeforeResponse]
)


def _owner(caller: Caller) -> str | None:
    """Whose webhooks the caller may see: an admin key all, any other key its own."""
    return None if "admin" in caller.scopes else str(caller.key_id)


_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem_response("No such webhook")}


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    summary="Subscribe an endpoint to the usage events of packages or maintainers' portfolios",
    responses={
        422: problem_response(
            "Invalid URL, package URL or secret, a maintainer login that is malformed or owns "
            "no known package, or nothing to follow"
        )
    },
)
async def create_webhook(
    body: WebhookCreate, service: WebhookServiceDep, caller: CurrentCaller, response: Response
) -> WebhookCreated:
    """Follow packages by package URL (`purls`), maintainers' portfolios (`maintainers`: every
    package whose source repository the GitHub owner owns, as `GET /maintainers/{login}/users`
    finds them, including packages that join the portfolio later), or both; an event of a
    package followed both ways is delivered once.

    Each usage event of a followed package (of the chosen types; first imports only when
    `include_initial`) is POSTed to `url` as JSON, signed per the Standard Webhooks
    specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` + base64
    HMAC-SHA256 of `id.timestamp.body` under the secret). A failed attempt is retried with
    backoff for about a day; an endpoint whose deliveries keep failing is disabled and says
    why. The secret is in this answer only."""
    created = await service.create(body, created_by=str(caller.key_id))
    response.headers["Location"] = f"/api/v1/webhooks/{created.id}"
    return created


@router.get("/{webhook_id}", response_model=WebhookRead, summary="A webhook", responses=_NOT_FOUND)
async def get_webhook(
    webhook_id: uuid.UUID, service: WebhookServiceDep, caller: CurrentCaller
) -> WebhookRead:
    """A key sees the webhooks it created; an admin key sees every one."""
    return await service.get(webhook_id, _owner(caller))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Remove a webhook and its delivery log",
    responses=_NOT_FOUND,
)
async def delete_webhook(
    webhook_id: uuid.UUID, service: WebhookServiceDep, caller: CurrentCaller
) -> Response:
    await service.delete(webhook_id, _owner(caller))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="A webhook's deliveries, newest first, with every attempt",
    responses={**_NOT_FOUND, 400: problem_response("The cursor is malformed")},
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    service: WebhookServiceDep,
    caller: CurrentCaller,
    query: Annotated[DeliveriesQuery, Query()],
) -> Page[DeliveryRead]:
    """Each attempt with its time, the receiver's status code (null when none came), the
    latency and the error."""
    return await service.deliveries(webhook_id, query, _owner(caller))


@router.post(
    "/{webhook_id}/ping",
    response_model=DeliveryRead,
    status_code=202,
    summary="Queue a signed `webhook.ping` delivery",
    responses=_NOT_FOUND,
)
async def ping_webhook(
    webhook_id: uuid.UUID, service: WebhookServiceDep, caller: CurrentCaller
) -> DeliveryRead:
    """Sent like any delivery, also to a disabled endpoint, which a delivered ping enables
    again."""
    return await service.ping(webhook_id, _owner(caller))
