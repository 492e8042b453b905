"""A local stand-in for GitHub and ecosyste.ms, for tests, benchmarks and `wump dev fake-upstream`.

GitHub is served under `/github` (REST and `/github/graphql`), the ecosyste.ms repos service
under `/ecosystems/api/v1`; `/_control` adds faults and shows the requests received.
"""

from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.providers.fake_upstream import ecosystems, github
from app.providers.fake_upstream.recorded import RecordedAnswer, RecordedKey, load_recorded, replay
from app.providers.fake_upstream.scenario import DEMO_SCENARIO, FaultSpec, Scenario, load_scenario
from app.providers.fake_upstream.state import FakeState

CONTROL = "/_control"


class _Upstream(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path.startswith(CONTROL):
            return await call_next(request)
        state: FakeState = request.app.state.fake
        state.log(request)
        fault = await state.misbehave(request)
        if fault is not None:
            return fault
        recorded: dict[RecordedKey, RecordedAnswer] = request.app.state.recorded
        return replay(request, recorded) or await call_next(request)


async def _requests(request: Request) -> Response:
    state: FakeState = request.app.state.fake
    if request.method == "DELETE":
        state.requests.clear()
    return JSONResponse(state.requests)


async def _faults(request: Request) -> Response:
    state: FakeState = request.app.state.fake
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        try:
            specs = TypeAdapter(list[FaultSpec]).validate_json(await request.body())
        except ValidationError as error:
            return Response(error.json(include_url=False), 422, media_type="application/json")
        state.add_faults(specs)
    return JSONResponse([{**f.spec.model_dump(), "remaining": f.remaining} for f in state.faults])


async def _scenario(request: Request) -> Response:
    request.app.state.fake = FakeState(Scenario.model_validate(await request.json()))
    return JSONResponse({"organizations": len(request.app.state.fake.scenario.organizations)})


def create_fake_upstream(
    scenario: Scenario | None = None, *, fixtures_dir: Path | None = None
) -> Starlette:
    """The fake as an ASGI app; recorded fixtures (from `fixtures_dir`) win over the scenario."""
    routes = [
        Route(f"{CONTROL}/requests", _requests, methods=["GET", "DELETE"]),
        Route(f"{CONTROL}/faults", _faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{CONTROL}/scenario", _scenario, methods=["PUT"]),
        *github.routes,
        *ecosystems.routes,
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_Upstream)])
    app.state.fake = FakeState(scenario or Scenario())
    app.state.recorded = load_recorded(fixtures_dir) if fixtures_dir is not None else {}
    return app


__all__ = ["DEMO_SCENARIO", "FaultSpec", "Scenario", "create_fake_upstream", "load_scenario"]
