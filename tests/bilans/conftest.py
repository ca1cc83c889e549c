"""Fixtures of the bilans tests: a bilan of cast_a's beneficiary, a clock, helpers."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

PARIS = ZoneInfo("Europe/Paris")


def at(*args) -> datetime:
    """An aware Paris datetime: at(2026, 11, 23, 10) = Monday 23 November 2026 10:00."""
    return datetime(*args, tzinfo=PARIS)


class Clock:
    """A controllable clock passed as ``now=`` to the services."""

    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock(at(2026, 11, 2, 9))


@pytest.fixture
def in_a(cast_a):
    """Run the body inside organisation alpha (a real tenant on the connection)."""
    with tenant_context(cast_a.organisation):
        yield cast_a


@pytest.fixture
def bilan(in_a):
    from bilans.services import bilan_create

    return bilan_create(actor=in_a.consultant, beneficiary=in_a.beneficiary)


def start_bilan(cast, bilan, now=None):
    """Information + consent + preliminary phase (for tests of later phases)."""
    from bilans.services import bilan_transition, consent_record, information_document_deliver

    information_document_deliver(actor=cast.consultant, bilan=bilan, now=now)
    consent_record(actor=cast.beneficiary_user, bilan=bilan, method="online", now=now)
    return bilan_transition(actor=cast.consultant, bilan=bilan, to_status="preliminary", now=now)
