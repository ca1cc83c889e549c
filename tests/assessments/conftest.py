import pytest
from django_tenants.utils import schema_context

from tests.ai.conftest import _rome_session, rome  # noqa: F401  (shared fixtures)
from tests.plans.helpers import bilan_with_forfait


@pytest.fixture
def bilan_a(cast_a):
    """A bilan of cast_a's beneficiary led by cast_a's consultant, with a funded Premium forfait
    (every instrument, the complete analysis and multiple projects)."""
    from bilans.models import Bilan

    with schema_context(cast_a.organisation.schema_name):
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    return bilan
