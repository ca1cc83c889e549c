"""CT-12 (R6313-5): an organisation cannot run the bilan of its own employee, through HTTP."""
from html import unescape

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from bilans.models import Beneficiary, Bilan, siren_is_valid
from organisations.accounts.models import User
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

ORG_SIRET = "55210055400013"  # SIREN 552100554 (valid Luhn key)
ORG_SIREN = ORG_SIRET[:9]
OTHER_SIREN = "732829320"


def _set_organisation_siret(organisation, siret: str) -> None:
    connection.set_schema_to_public()
    Organisation.objects.filter(pk=organisation.pk).update(siret=siret)


def _profile(siren: str, **extra) -> dict:
    return {"situation": "employee", "employer_name": "Alpha Bilans", "employer_siren": siren, **extra}


def _bilans_of(cast, beneficiary) -> int:
    with tenant_context(cast.organisation):
        return Bilan.objects.filter(beneficiary=beneficiary).count()


def test_siren_luhn_check():
    """CT-12: the employer SIREN is 9 digits with a valid Luhn key."""
    assert siren_is_valid(ORG_SIREN) and siren_is_valid(OTHER_SIREN)
    assert not siren_is_valid("552100555") and not siren_is_valid("55210055") and not siren_is_valid("55210055a")


def test_employer_siren_is_validated_on_the_file(cast_a):
    """CT-12: an invalid employer SIREN is refused with a French error next to the field; a valid
    one (spaces allowed) is stored and shown."""
    consultant = cast_a.client(cast_a.consultant)
    url = f"/beneficiaires/{cast_a.beneficiary.pk}/"
    response = consultant.post(url + "profil/", _profile("552100555"))
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "Le SIREN compte 9 chiffres et sa clé de contrôle doit être valide." in html and "id_employer_siren_error" in html
    with tenant_context(cast_a.organisation):
        assert Beneficiary.objects.get(pk=cast_a.beneficiary.pk).employer_siren == ""
    assert consultant.post(url + "profil/", _profile("552 100 554")).status_code == 302
    with tenant_context(cast_a.organisation):
        assert Beneficiary.objects.get(pk=cast_a.beneficiary.pk).employer_siren == ORG_SIREN
    assert ORG_SIREN in consultant.get(url).content.decode()
    assert consultant.post(url + "profil/", {"employer_siren": "x" * 500}).status_code == 400  # never a 500


def test_opening_a_bilan_for_an_employee_of_the_organisation_is_refused(cast_a):
    """CT-12 (R6313-5): the beneficiary's employer SIREN is the organisation's own SIREN → opening
    the bilan is refused with the reason shown as the form's error; another employer is fine."""
    _set_organisation_siret(cast_a.organisation, ORG_SIRET)
    consultant = cast_a.client(cast_a.consultant)
    url = f"/beneficiaires/{cast_a.beneficiary.pk}/"
    assert consultant.post(url + "profil/", _profile(ORG_SIREN)).status_code == 302
    response = consultant.post(url + "ouvrir-un-bilan/")
    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert 'role="alert"' in html
    assert "ne peut pas être réalisé par l'employeur du bénéficiaire (article R6313-5)" in html
    assert "le SIREN de son employeur est celui de votre organisme" in html
    assert _bilans_of(cast_a, cast_a.beneficiary) == 0
    # Another employer: allowed.
    assert consultant.post(url + "profil/", _profile(OTHER_SIREN)).status_code == 302
    response = consultant.post(url + "ouvrir-un-bilan/")
    assert response.status_code == 302 and _bilans_of(cast_a, cast_a.beneficiary) == 1


def test_starting_a_bilan_is_refused_once_the_employer_is_the_organisation(cast_a):
    """CT-12 (R6313-5): the employer SIREN entered after opening blocks the start of the
    preliminary phase; the reason is shown on the bilan page and the bilan stays a prospect."""
    _set_organisation_siret(cast_a.organisation, ORG_SIRET)
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(f"/beneficiaires/{cast_a.beneficiary.pk}/ouvrir-un-bilan/")
    assert response.status_code == 302
    bilan_url = response["Location"]
    consultant.post(bilan_url + "information/")
    consultant.post(bilan_url + "consentement/", {"method": "signed_paper"})
    assert consultant.post(f"/beneficiaires/{cast_a.beneficiary.pk}/profil/", _profile(ORG_SIREN)).status_code == 302
    html = unescape(consultant.get(bilan_url).content.decode())
    assert "le SIREN de son employeur est celui de votre organisme" in html  # the blocker of the next step
    response = consultant.post(bilan_url + "etape/", {"to_status": "preliminary"}, follow=True)
    assert "ne peut pas être réalisé par l'employeur du bénéficiaire (article R6313-5)" in unescape(response.content.decode())
    with tenant_context(cast_a.organisation):
        assert Bilan.objects.get(beneficiary=cast_a.beneficiary).status == "prospect"


def test_a_staff_member_cannot_be_the_beneficiary_of_the_organisation(cast_a):
    """CT-12 (R6313-5): a beneficiary whose e-mail is an active consultant's or administrator's of
    the organisation cannot have a bilan there; once that account is deactivated, it can."""
    admin = cast_a.client(cast_a.admin)
    response = admin.post("/beneficiaires/nouveau/", {
        "first_name": "Collègue", "last_name": "Interne", "email": cast_a.other_consultant.email.upper(), "consultant": cast_a.consultant.pk,
    })
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        beneficiary = Beneficiary.objects.get(email__iexact=cast_a.other_consultant.email)
    response = admin.post(f"/beneficiaires/{beneficiary.pk}/ouvrir-un-bilan/")
    assert response.status_code == 409
    html = unescape(response.content.decode())
    assert "article R6313-5" in html and "son adresse e-mail est celle d'un membre actif de votre équipe" in html
    assert _bilans_of(cast_a, beneficiary) == 0
    with tenant_context(cast_a.organisation):
        User.objects.filter(pk=cast_a.other_consultant.pk).update(is_active=False)
    assert admin.post(f"/beneficiaires/{beneficiary.pk}/ouvrir-un-bilan/").status_code == 302
    assert _bilans_of(cast_a, beneficiary) == 1


def test_api_opening_is_refused_with_the_stable_code(cast_a):
    """CT-12 (R6313-5): the same service check answers the API with 409 and code own_employer."""
    _set_organisation_siret(cast_a.organisation, ORG_SIRET)
    consultant = cast_a.client(cast_a.consultant)
    assert consultant.post(f"/beneficiaires/{cast_a.beneficiary.pk}/profil/", _profile(ORG_SIREN)).status_code == 302
    response = consultant.post("/api/v1/bilans/", {"beneficiary_id": str(cast_a.beneficiary.pk)}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "own_employer" and "R6313-5" in response.json()["detail"]
    assert _bilans_of(cast_a, cast_a.beneficiary) == 0


def test_a_running_bilan_can_only_be_abandoned_once_the_employer_is_the_organisation(cast_a):
    """CT-12 (R6313-5): an employer SIREN entered while the bilan runs blocks every next step
    except the abandonment."""
    from tests.documents.factories import bilan_for

    _set_organisation_siret(cast_a.organisation, ORG_SIRET)
    bilan = bilan_for(cast_a, status="investigation")
    consultant = cast_a.client(cast_a.consultant)
    assert consultant.post(f"/beneficiaires/{bilan.beneficiary_id}/profil/", _profile(ORG_SIREN)).status_code == 302
    response = consultant.post(f"/bilans/{bilan.pk}/etape/", {"to_status": "conclusions"}, follow=True)
    assert "ne peut pas être réalisé par l'employeur du bénéficiaire (article R6313-5)" in unescape(response.content.decode())
    with tenant_context(cast_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).status == "investigation"
    consultant.post(f"/bilans/{bilan.pk}/etape/", {"to_status": "abandoned", "reason": "Bilan réalisé par l'employeur (R6313-5)"})
    with tenant_context(cast_a.organisation):
        assert Bilan.objects.get(pk=bilan.pk).status == "abandoned"
