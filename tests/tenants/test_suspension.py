import pytest
from django_tenants.utils import schema_context

from bilans.models import Beneficiary
from organisations.accounts.models import AuditEvent, User
from tenants.models import Organisation
from tenants.services import organisation_reactivate, organisation_suspend
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_suspension_blocks_access_loses_nothing_and_reactivation_restores(cast_a):
    client = cast_a.client(cast_a.admin)
    assert client.get("/api/v1/beneficiaries/").status_code == 200
    staff = User.objects.create_superuser(email="ops@plateforme.test", password=PASSWORD)

    organisation_suspend(organisation=cast_a.organisation, actor=staff, reason="Impayé")

    page = client.get("/beneficiaires/")
    assert page.status_code == 403 and "Cet espace est suspendu" in page.content.decode()
    api = client.get("/api/v1/beneficiaries/")
    assert api.status_code == 403 and api.json()["code"] == "organisation_suspended"
    login = client_for(cast_a.organisation).post("/accounts/login/", {"login": cast_a.consultant.email, "password": PASSWORD})
    assert login.status_code == 403
    with schema_context(cast_a.organisation.schema_name):
        assert Beneficiary.objects.count() == 2 and User.objects.filter(email=cast_a.consultant.email).exists()
    assert AuditEvent.objects.filter(action="organisation.suspended", object_id=str(cast_a.organisation.pk), actor=staff).exists()

    organisation_reactivate(organisation=Organisation.objects.get(pk=cast_a.organisation.pk), actor=staff)
    assert client.get("/api/v1/beneficiaries/").json()["count"] == 2
    assert AuditEvent.objects.filter(action="organisation.active", object_id=str(cast_a.organisation.pk)).exists()
