"""The organisation's public page at its address (Qualiopi indicator 1) and its request form:
a prospect for the organisation, with consent, anti-spam and a rate limit per address."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from tests.organisations.profile_helpers import VALID_PROFILE, aged_form_token

PAGE = {
    "is_published": "on", "requests_open": "on", "presentation": "Cabinet lyonnais de bilans de compétences.",
    "objectives": "Faire le point.", "prerequisites": "Aucun.", "duration": "24 heures sur 8 semaines.",
    "access": "Premier entretien sous 15 jours.", "prices": "Bilan complet : 1 800 € net de taxe.",
    "funding": "CPF, employeur, OPCO, France Travail, personnel.", "methods": "Entretiens.", "evaluation": "Synthèse.",
    "accessibility": "Locaux accessibles.", "disability_contact_name": "Julie Roux", "disability_contact_email": "handicap@alpha.test",
    "disability_contact_phone": "01 02 03 04 05", "contact_email": "contact@alpha.test", "contact_phone": "01 23 45 67 89",
}


def request_data(**overrides):
    return {
        "first_name": "Inès", "last_name": "Moreau", "email": "ines.moreau@exemple.test", "phone": "06 12 34 56 78",
        "funding": "cpf", "message": "Disponible le mardi.", "consent": "on", "website": "", "shown": aged_form_token(), **overrides,
    }


@pytest.fixture
def published(cast_a):
    client = cast_a.client(cast_a.admin)
    client.post("/organisation/profil/", VALID_PROFILE)
    response = client.post("/organisation/page-publique/", PAGE)
    assert response.status_code == 302
    return cast_a


def test_unpublished_the_address_leads_visitors_to_the_login_page(cast_a):
    response = cast_a.client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_published_visitors_see_the_offer_accessibility_results_and_contacts(published):
    """Q-01 indicator 1 (public information: objectives, duration, access, prices, contacts,
    accessibility) and indicator 2 (link to the results); CT-18: the advertising mention."""
    page = published.client().get("/").content.decode()
    for text in ("Alpha Bilans", "24 heures sur 8 semaines.", "Premier entretien sous 15 jours.", "1 800 € net de taxe", "CPF, employeur",
                 "Julie Roux", "handicap@alpha.test", "contact@alpha.test", 'href="/resultats/"', "Demander un rendez-vous",
                 "Cet enregistrement ne vaut pas agrément de l", "11755555575", "AFNOR Certification", 'href="/accounts/login/"'):
        assert text in page, text
    assert published.client().get("/accounts/login/").status_code == 200  # login stays reachable
    assert "Bonjour" in published.client(published.admin).get("/").content.decode()  # members keep their home


def test_publishing_requires_what_indicator_1_asks(cast_a):
    response = cast_a.client(cast_a.admin).post("/organisation/page-publique/", {**PAGE, "prices": "", "contact_email": ""})
    page = response.content.decode()
    assert response.status_code == 400 and "Indiquez vos tarifs." in page and "Indiquez un e-mail de contact." in page
    assert "Cabinet lyonnais" in page  # what was typed stays
    assert cast_a.client().get("/").status_code == 302


def test_a_request_creates_a_prospect_records_consent_and_notifies_the_administrators(published):
    from bilans.models import Beneficiary
    from organisations.accounts.models import AuditEvent
    from organisations.models import ContactRequest, Notification

    response = published.client().post("/demande-de-rendez-vous/", request_data())
    assert response.status_code == 200 and "Votre demande est envoyée" in response.content.decode()
    with tenant_context(published.organisation):
        beneficiary = Beneficiary.objects.get(email="ines.moreau@exemple.test")
        assert beneficiary.first_name == "Inès" and beneficiary.phone == "06 12 34 56 78" and beneficiary.consultant is None
        request = ContactRequest.objects.get(beneficiary=beneficiary)
        assert request.consent_at is not None and "Alpha Bilans me recontacte" in request.consent_text and request.funding == "cpf"
        assert Notification.objects.filter(recipient=published.admin, kind="contact_request").exists()
        assert not Notification.objects.filter(recipient=published.consultant, kind="contact_request").exists()
        assert AuditEvent.objects.filter(action="contact_request.received").exists()
    listing = published.client(published.admin).get("/organisation/demandes/").content.decode()
    assert "Inès Moreau" in listing and f'/beneficiaires/{beneficiary.pk}/' in listing and "Mon compte personnel de formation" in listing


def test_a_request_from_a_known_address_does_not_duplicate_the_file(published):
    from bilans.models import Beneficiary
    from organisations.models import ContactRequest

    email = published.beneficiary.email
    response = published.client().post("/demande-de-rendez-vous/", request_data(email=email.upper()))
    assert response.status_code == 200
    with tenant_context(published.organisation):
        assert Beneficiary.objects.filter(email__iexact=email).count() == 1
        assert ContactRequest.objects.get().beneficiary_id == published.beneficiary.pk


def test_consent_is_required_and_typed_values_are_kept(published):
    from organisations.models import ContactRequest

    response = published.client().post("/demande-de-rendez-vous/", request_data(consent=""))
    page = response.content.decode()
    assert response.status_code == 400 and "Cochez cette case pour que nous puissions vous recontacter." in page
    assert 'value="ines.moreau@exemple.test"' in page and "Disponible le mardi." in page
    with tenant_context(published.organisation):
        assert not ContactRequest.objects.exists()


def test_a_filled_honeypot_or_a_form_sent_too_fast_creates_nothing(published):
    from organisations.models import ContactRequest

    bot = published.client().post("/demande-de-rendez-vous/", request_data(website="https://spam.example"))
    assert bot.status_code == 200  # bots are not told
    from django.core import signing

    from organisations.profile.views import FORM_SALT

    fast = published.client().post("/demande-de-rendez-vous/", request_data(shown=signing.TimestampSigner(salt=FORM_SALT).sign("shown")))
    assert fast.status_code == 400 and "n&#x27;a pas pu être vérifiée" in fast.content.decode()
    forged = published.client().post("/demande-de-rendez-vous/", request_data(shown="shown:abc:def"))
    assert forged.status_code == 400
    with tenant_context(published.organisation):
        assert not ContactRequest.objects.exists()


def test_requests_are_rate_limited_per_address(published):
    from organisations.models import ContactRequest

    client = published.client()
    for number in range(5):
        assert client.post("/demande-de-rendez-vous/", request_data(email=f"p{number}@exemple.test")).status_code == 200
    blocked = client.post("/demande-de-rendez-vous/", request_data(email="p9@exemple.test"))
    assert blocked.status_code == 429 and "Trop de demandes envoyées" in blocked.content.decode()
    other = published.client().post("/demande-de-rendez-vous/", request_data(email="autre@exemple.test"), REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 200
    with tenant_context(published.organisation):
        assert ContactRequest.objects.count() == 6


def test_the_organisation_can_switch_the_form_or_the_page_off(published):
    from organisations.models import ContactRequest

    admin = published.client(published.admin)
    admin.post("/organisation/page-publique/", {**PAGE, "requests_open": ""})
    page = published.client().get("/").content.decode()
    assert "24 heures sur 8 semaines." in page and "/demande-de-rendez-vous/" not in page
    assert published.client().post("/demande-de-rendez-vous/", request_data()).status_code == 403

    admin.post("/organisation/page-publique/", {**PAGE, "is_published": ""})
    response = published.client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    with tenant_context(published.organisation):
        assert not ContactRequest.objects.exists()
        from organisations.accounts.models import AuditEvent

        assert AuditEvent.objects.filter(action="organisation.public_page_updated").count() == 3


def test_the_administrator_marks_a_request_handled(published):
    from organisations.models import ContactRequest

    published.client().post("/demande-de-rendez-vous/", request_data())
    with tenant_context(published.organisation):
        request = ContactRequest.objects.get()
    assert published.client(published.consultant).post(f"/organisation/demandes/{request.pk}/traitee/").status_code == 403
    assert published.client(published.admin).post(f"/organisation/demandes/{request.pk}/traitee/").status_code == 302
    with tenant_context(published.organisation):
        request.refresh_from_db()
        assert request.status == "handled" and request.handled_by_id == published.admin.pk


def test_a_request_is_in_the_persons_data_export_and_goes_with_an_erasure(published):
    """RG-04: the request (message, consent) is part of what the organisation holds about the person."""
    from bilans.models import Beneficiary
    from bilans.rgpd.collect import related_querysets
    from bilans.rgpd.erasure import beneficiary_erase
    from organisations.models import ContactRequest

    published.client().post("/demande-de-rendez-vous/", request_data())
    with tenant_context(published.organisation):
        beneficiary = Beneficiary.objects.get(email="ines.moreau@exemple.test")
        assert ContactRequest in [model for _, model, _ in related_querysets(beneficiary)]
        beneficiary_erase(actor=published.admin, beneficiary=beneficiary)
        assert not ContactRequest.objects.exists()
