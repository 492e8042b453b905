"""The pages' dependencies: the request's read session and the services built on it."""

from typing import Annotated, TypeVar, get_args, get_origin

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import ReadSessionDep
from app.api.state import app_state
from app.services.organization import OrganizationService
from app.services.package import PackageService
from app.services.package_chart import PackageChartService
from app.services.stats import StatsService
from app.services.usage_cache import UsageCache
from app.services.usage_event import UsageEventService

M = TypeVar("M", bound=BaseModel)


class Services:
    """What a page reads, on the session authentication already opened for the request (or,
    with DATABASE_READ_URL, on the replica's session, as the API's read endpoints do)."""

    def __init__(self, request: Request, session: AsyncSession) -> None:
        state = app_state(request)
        settings = state.settings
        cache = UsageCache(state.cache)
        self.settings = settings
        self.packages = PackageService(session, cache, settings)
        self.organizations = OrganizationService(session, cache, settings)
        self.charts = PackageChartService(session, cache, settings)
        self.stats = StatsService(session, cache, settings)
        self.events = UsageEventService(session, settings)


# A coroutine: a class as the dependency would cost a threadpool hop per page.
async def get_services(request: Request, session: ReadSessionDep) -> Services:
    return Services(request, session)


ServicesDep = Annotated[Services, Depends(get_services)]


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
