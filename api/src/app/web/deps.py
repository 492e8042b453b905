"""The pages' dependencies: a read session per request and the services built on it."""

from collections.abc import AsyncIterator
from typing import Annotated, TypeVar, get_args, get_origin

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.state import app_state
from app.core.db import unit_of_work
from app.services.organization import OrganizationService
from app.services.package import PackageService
from app.services.package_chart import PackageChartService
from app.services.stats import StatsService
from app.services.usage_cache import UsageCache
from app.services.usage_event import UsageEventService

M = TypeVar("M", bound=BaseModel)


async def get_page_session(request: Request) -> AsyncIterator[AsyncSession]:
    # The pages only read: on the read replica when one is configured (DATABASE_READ_URL).
    async for session in unit_of_work(app_state(request).read_session_factory):
        yield session


PageSession = Annotated[AsyncSession, Depends(get_page_session)]


class Services:
    """What a page reads, all on one session."""

    def __init__(self, request: Request, session: PageSession) -> None:
        state = app_state(request)
        settings = state.settings
        cache = UsageCache(state.cache)
        self.settings = settings
        self.packages = PackageService(session, cache, settings)
        self.organizations = OrganizationService(session, cache, settings)
        self.charts = PackageChartService(session, cache, settings)
        self.stats = StatsService(session, cache, settings)
        self.events = UsageEventService(session, settings)


ServicesDep = Annotated[Services, Depends(Services)]


def parse_query(model: type[M], request: Request, *, drop: frozenset[str] = frozenset()) -> M:
    """The query string as `model`: empty form fields count as absent, lists repeat."""
    params = request.query_params
    values: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if name in drop:
            continue
        annotation = info.annotation
        is_list = get_origin(annotation) is list or any(
            get_origin(arg) is list for arg in get_args(annotation)
        )
        found = [v for v in params.getlist(name) if v.strip() != ""]
        if found:
            values[name] = found if is_list else found[-1]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
