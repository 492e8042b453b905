"""Ingestion requests and the jobs that carry them out.

A request answers 202 with the job (and a Location to poll); when a job of the same kind for
the same subject is already pending or running, it answers 200 with that job instead.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.api.auth import CurrentCaller, RequireIngest
from app.api.deps import JobServiceDep, SettingsDep
from app.api.params import EcosystemName, Login, PackageName, RepositoryName, RepositoryOwner
from app.schemas.common import problem_response
from app.schemas.job import JobRead, JobStatus, JobType
from app.schemas.pagination import Page
from app.services.jobs import (
    JobRequest,
    organization_job,
    package_job,
    parse_job_id,
    repository_job,
)
from app.services.paging import page_limit

router = APIRouter(tags=["ingestion"], dependencies=[RequireIngest])

_ACCEPTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "A job for the same subject is already pending or running"},
    202: {"description": "The job is queued; poll its URL (also in Location)"},
    422: problem_response("Invalid login, repository or package"),
    503: problem_response("The job queue is unavailable"),
}


async def _request(
    service: JobServiceDep, caller: CurrentCaller, request: JobRequest, response: Response
) -> JobRead:
    job, created = await service.enqueue(request, requested_by=caller.key_prefix)
    response.status_code = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
    response.headers["Location"] = job.url
    return job


@router.post(
    "/ingest/organizations/{login}",
    response_model=JobRead,
    status_code=202,
    summary="Crawl an organization: its repositories, manifests and dependencies",
    responses=_ACCEPTED,
)
async def ingest_organization(
    login: Login, service: JobServiceDep, caller: CurrentCaller, response: Response
) -> JobRead:
    return await _request(service, caller, organization_job(login), response)


@router.post(
    "/ingest/repositories/{owner}/{name}",
    response_model=JobRead,
    status_code=202,
    summary="Scan one repository's manifests",
    responses=_ACCEPTED,
)
async def ingest_repository(
    owner: RepositoryOwner,
    name: RepositoryName,
    service: JobServiceDep,
    caller: CurrentCaller,
    response: Response,
) -> JobRead:
    return await _request(service, caller, repository_job(f"{owner}/{name}"), response)


@router.post(
    "/ingest/packages/{ecosystem}/{name:path}",
    response_model=JobRead,
    status_code=202,
    summary="Discover the repositories and organizations that depend on a package",
    responses=_ACCEPTED,
)
async def ingest_package(
    ecosystem: EcosystemName,
    name: PackageName,
    service: JobServiceDep,
    caller: CurrentCaller,
    response: Response,
) -> JobRead:
    return await _request(service, caller, package_job(ecosystem, name), response)


@router.get(
    "/jobs/{job_id}",
    response_model=JobRead,
    summary="One job: status, attempts, progress and errors",
    responses={404: problem_response("No such job")},
)
async def get_job(job_id: str, service: JobServiceDep) -> JobRead:
    return await service.get(parse_job_id(job_id))


@router.get(
    "/jobs",
    response_model=Page[JobRead],
    summary="Jobs, newest first",
    responses={400: problem_response("Malformed cursor"), 422: problem_response("Bad filter")},
)
async def list_jobs(
    service: JobServiceDep,
    settings: SettingsDep,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    job_type: Annotated[JobType | None, Query(alias="type")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[JobRead]:
    """No `total`: the ledger grows without bound, and paging needs none."""
    return await service.list_jobs(
        status=status_filter,
        job_type=job_type,
        cursor=cursor,
        limit=page_limit(settings, limit),
    )
