"""The ROME referential is imported once per test session (committed in the public schema of
the test database, about 8 s); tests that change it do so inside their own transaction."""
from __future__ import annotations

import time

import pytest
from django.db import connection


def rome_ensure() -> float:
    from ai.models import Occupation
    from ai.referential import rome_import

    connection.set_schema_to_public()
    if Occupation.objects.exists():
        return 0.0
    start = time.perf_counter()
    rome_import(force=True)
    return time.perf_counter() - start


@pytest.fixture(scope="session")
def _rome_session(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        rome_ensure()


@pytest.fixture
def rome(_rome_session, db, django_db_blocker):
    """The ROME referential, loaded (re-loaded if a transactional test flushed it)."""
    with django_db_blocker.unblock():
        rome_ensure()
    connection.set_schema_to_public()
