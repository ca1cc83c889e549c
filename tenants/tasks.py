from datetime import timedelta

import dramatiq

from config.scheduler import periodic
from tenants.services import spare_pool_refill


@periodic(every=timedelta(minutes=10), per_organisation=False)
@dramatiq.actor(max_retries=3, time_limit=30 * 60 * 1000)
def refill_spare_schemas() -> None:
    spare_pool_refill()
