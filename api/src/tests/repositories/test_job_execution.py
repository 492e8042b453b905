"""Job ledger statements keep working once PostgreSQL switches them to a generic plan."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.job_execution import JobExecutionRepository

# asyncpg prepares each statement once per connection; PostgreSQL considers a generic plan
# from the sixth execution on, and a generic plan cannot infer a partial index from parameters.
REPEATS = 20


async def test_create_or_get_active_survives_generic_plans(session: AsyncSession) -> None:
    repository = JobExecutionRepository(session)
    for number in range(REPEATS):
        execution, created = await repository.create_or_get_active(
            "ingest_organization", f"generic-plan-{number}", None, {}
        )
        assert created
        assert execution.subject == f"generic-plan-{number}"
    for _ in range(REPEATS):
        again, created = await repository.create_or_get_active(
            "ingest_organization", "generic-plan-0", None, {}
        )
        assert not created
        assert again.subject == "generic-plan-0"
