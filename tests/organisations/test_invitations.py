import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from organisations.accounts.models import AuditEvent, User
from organisations.models import Invitation
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db(transaction=True)


def _invite(cast, email, role, worker):
    client = cast.client(cast.admin)
    response = client.post("/organisation/membres/", {"email": email, "role": role, "first_name": "Nina", "last_name": "Roux"})
    assert response.status_code == 302
    drain(worker)
    message = next(m for m in mail.outbox if email in m.to)
    return re.search(r"/invitations/([\w-]+)/", message.body).group(1), message


def drain(worker):
    worker.broker.join("default")
    worker.join()


@pytest.fixture
def cast(org_a):
    from tests.conftest import make_cast

    return make_cast(org_a)


def test_invitation_acceptance_creates_the_account(cast, worker):
    token, message = _invite(cast, "nina.roux@exemple.test", "consultant", worker)
    assert cast.organisation.name in message.subject
    assert f"http://{cast.organisation.slug}.localhost:8000/invitations/" in message.body
    client = client_for(cast.organisation)
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200 and "nina.roux@exemple.test" in page.content.decode()
    response = client.post(
        f"/invitations/{token}/", {"first_name": "Nina", "last_name": "Roux", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me/").json()["role"] == "consultant"
    with schema_context(cast.organisation.schema_name):
        assert User.objects.get(email="nina.roux@exemple.test").role == "consultant"
        assert AuditEvent.objects.filter(action="invitation.accepted").exists()
    # single use
    again = client_for(cast.organisation).get(f"/invitations/{token}/")
    assert again.status_code == 409 and "déjà été utilisée" in again.content.decode()


def test_expired_invitation_is_refused(cast, worker):
    token, _ = _invite(cast, "tardif@exemple.test", "consultant", worker)
    with schema_context(cast.organisation.schema_name):
        Invitation.objects.filter(email="tardif@exemple.test").update(
            created_at=timezone.now() - timedelta(days=8), expires_at=timezone.now() - timedelta(days=1)
        )
    client = client_for(cast.organisation)
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 409 and "a expiré" in response.content.decode()
    post = client.post(f"/invitations/{token}/", {"first_name": "A", "last_name": "B", "password": PASSWORD, "password_confirm": PASSWORD})
    assert post.status_code == 409
    with schema_context(cast.organisation.schema_name):
        assert not User.objects.filter(email="tardif@exemple.test").exists()


def test_unknown_token_is_refused(cast):
    response = client_for(cast.organisation).get("/invitations/inexistant/")
    assert response.status_code == 404


def test_beneficiary_invitation_links_the_file(cast, worker):
    client = cast.client(cast.consultant)
    response = client.post(
        "/beneficiaires/nouveau/", {"first_name": "Hugo", "last_name": "Blanc", "email": "hugo.blanc@exemple.test", "invite": "on"}
    )
    assert response.status_code == 302
    drain(worker)
    token = re.search(r"/invitations/([\w-]+)/", next(m for m in mail.outbox if "hugo.blanc@exemple.test" in m.to).body).group(1)
    beneficiary_client = client_for(cast.organisation)
    beneficiary_client.post(f"/invitations/{token}/", {"first_name": "Hugo", "last_name": "Blanc", "password": PASSWORD, "password_confirm": PASSWORD})
    assert "hugo.blanc@exemple.test" in beneficiary_client.get("/mon-dossier/").content.decode()
    assert beneficiary_client.get("/beneficiaires/").status_code == 403


def test_consultant_cannot_invite_team_members(cast):
    response = cast.client(cast.consultant).post("/organisation/membres/", {"email": "x@y.test", "role": "admin"})
    assert response.status_code == 403
