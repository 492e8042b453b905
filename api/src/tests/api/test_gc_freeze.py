"""A started server freezes what start-up built out of the cyclic garbage collector."""

import gc

from app.core.config import Settings
from tests.clients import app_client


async def test_start_up_objects_are_frozen_out_of_full_collections(settings: Settings) -> None:
    served = settings.model_copy(update={"environment": "development"})
    gc.unfreeze()
    try:
        async with app_client(served) as (_, client):
            frozen = gc.get_freeze_count()
            assert (await client.get("/health/live")).status_code == 200
    finally:
        gc.unfreeze()

    # The application, its routes and everything imported to build them.
    assert frozen > 100_000


async def test_a_test_environment_freezes_nothing(settings: Settings) -> None:
    gc.unfreeze()
    async with app_client(settings):
        frozen = gc.get_freeze_count()

    assert frozen == 0
