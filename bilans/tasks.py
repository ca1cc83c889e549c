from __future__ import annotations

from datetime import timedelta

import dramatiq

from config.scheduler import periodic


@periodic(every=timedelta(minutes=15), legal_duty=True)
@dramatiq.actor(max_retries=0)
def expire_conventions() -> None:
    """CT-15: tripartite conventions unsigned 10 days after sending expire (silence = refusal)."""
    from bilans.services import conventions_expire

    conventions_expire()


@periodic(every=timedelta(hours=1), legal_duty=True)
@dramatiq.actor(max_retries=0)
def purge_ended_bilans() -> None:
    """CT-09 / RG-02: destroy the working documents of ended bilans (with the exceptions)."""
    from bilans.services import retention_purge

    retention_purge()


@periodic(every=timedelta(hours=1))
@dramatiq.actor(max_retries=0)
def send_due_surveys() -> None:
    """Delayed satisfaction questionnaires, 3 months after the end."""
    from bilans.services import surveys_send_due

    surveys_send_due()


@periodic(every=timedelta(hours=6))
@dramatiq.actor(max_retries=0)
def remind_follow_ups() -> None:
    """Six-month follow-up interviews coming up: remind the consultant and the beneficiary."""
    from bilans.services import follow_ups_remind

    follow_ups_remind()


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_third_party_access(access_id: str, token: str) -> None:
    """CT-07: the personal link of a third party the beneficiary agreed to share with."""
    from bilans.services import third_party_access_email_send

    third_party_access_email_send(access_id=access_id, token=token)
