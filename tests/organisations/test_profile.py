"""The organisation's profile (legal identity, bank details): checks a person understands, and a
complete profile is what lets the organisation issue quotes and invoices (CT-18, EI-02, EI-03)."""
from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from organisations.profile import validators
from tests.organisations.profile_helpers import VALID_PROFILE


def _blank_identity(organisation):
    organisation.siret = organisation.activity_declaration_number = organisation.activity_declaration_region = ""
    organisation.qualiopi_certificate_number = ""
    organisation.save()


# --- validators ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "siret, valid",
    [
        ("73282932000074", True),
        ("44306184100047", True),
        ("73282932000075", False),  # last digit changed: Luhn fails
        ("12345678900021", False),  # the SIREN part fails Luhn
        ("7328293200007", False),  # 13 digits
        ("7328293200007A", False),
        ("35600000000048", True),  # La Poste's head office (Luhn)
        ("35600000049837", True),  # another La Poste establishment: digit sum multiple of 5
        ("35600000049838", False),
    ],
)
def test_siret_is_checked_with_luhn(siret, valid):
    assert (validators.siret_error(siret) == "") is valid


def test_siren_is_checked_with_luhn():
    assert validators.siren_error("732829320") == ""
    assert "clé de contrôle" in validators.siren_error("732829321")
    assert "9 chiffres" in validators.siren_error("73282932")


@pytest.mark.parametrize(
    "iban, valid",
    [
        ("FR7630006000011234567890189", True),
        ("fr76 3000 6000 0112 3456 7890 189", True),
        ("DE89370400440532013000", True),
        ("FR7630006000011234567890188", False),  # mod 97 fails
        ("FR763000600001123456789018", False),  # too short for France
        ("7630006000011234567890189", False),
    ],
)
def test_iban_is_checked_with_mod_97(iban, valid):
    assert (validators.iban_error(iban) == "") is valid


def test_bic_nda_and_postcode_formats():
    assert validators.bic_error("AGRIFRPP") == "" and validators.bic_error("AGRIFRPP882") == ""
    assert validators.bic_error("AGR1FRPP") and validators.bic_error("AGRIFR")
    assert validators.activity_declaration_error("11755555575") == ""
    assert "11 chiffres" in validators.activity_declaration_error("1175555557")
    assert validators.postcode_error("75011") == "" and validators.postcode_error("97400") == ""
    for wrong in ("7501", "00100", "750111", "99000", "75 011"):
        assert "5 chiffres" in validators.postcode_error(wrong)


# --- the profile page --------------------------------------------------------------------------------
def test_a_complete_profile_lets_the_organisation_issue_a_quote_and_an_invoice(cast_a):
    """CT-18 / EI-02 / EI-03: without a profile, billing_identity_incomplete; once the administrator
    fills the profile page, the quote and the invoice are issued with the declaration and the VAT mention."""
    from bilans.billing.services import funder_create, invoice_create, invoice_issue, quote_create, quote_issue
    from bilans.models import Bilan
    from config.errors import InvalidInput

    _blank_identity(cast_a.organisation)
    with tenant_context(cast_a.organisation):
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
        funder = funder_create(actor=cast_a.admin, kind="employer", name="Boulangerie Martin", siren="552100554", address_line="3 place du Marché", postcode="69002", city="Lyon")
        quote = quote_create(actor=cast_a.admin, bilan=bilan, funder=funder, lines=[{"label": "Bilan de compétences", "unit_price_cents": 180000}])
        with pytest.raises(InvalidInput) as error:
            quote_issue(actor=cast_a.admin, quote=quote)
        assert error.value.code == "billing_identity_incomplete"

    response = cast_a.client(cast_a.admin).post("/organisation/profil/", VALID_PROFILE)
    assert response.status_code == 302

    cast_a.organisation.refresh_from_db()
    assert cast_a.organisation.siret == "73282932000074" and cast_a.organisation.activity_declaration_number == "11755555575"
    assert cast_a.organisation.qualiopi_certifier == "AFNOR Certification" and cast_a.organisation.legal_representative == "Claire Martin"
    with tenant_context(cast_a.organisation):
        issued = quote_issue(actor=cast_a.admin, quote=quote)
        assert issued.number.startswith("DE-") or issued.number
        invoice = invoice_issue(
            actor=cast_a.admin,
            invoice=invoice_create(actor=cast_a.admin, bilan=bilan, funder=funder, lines=[{"label": "Bilan de compétences", "unit_price_cents": 180000}]),
        )
        texts = [m["text"] for m in invoice.mentions]
        assert any("11755555575" in t and "Île-de-France" in t for t in texts)
        assert "Exonération de TVA – art. 261-4-4° a du CGI" in texts
        assert invoice.seller["iban"] == "FR7630006000011234567890189" and invoice.seller["postcode"] == "75011"
        from organisations.accounts.models import AuditEvent

        assert AuditEvent.objects.filter(action="organisation.profile_updated", actor=cast_a.admin).exists()


def test_wrong_values_are_explained_in_french_and_kept_in_the_form(cast_a):
    _blank_identity(cast_a.organisation)
    data = {**VALID_PROFILE, "siret": "73282932000075", "iban": "FR7630006000011234567890188", "postcode": "750", "activity_declaration_number": "123"}
    response = cast_a.client(cast_a.admin).post("/organisation/profil/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ce SIRET n&#x27;existe pas" in page and "Cet IBAN n&#x27;est pas valide" in page
    assert "Le code postal compte 5 chiffres" in page and "compte exactement 11 chiffres" in page
    assert 'value="73282932000075"' in page and 'value="Claire Martin"' in page  # nothing typed is lost
    cast_a.organisation.refresh_from_db()
    assert cast_a.organisation.siret == "" and cast_a.organisation.legal_representative == ""  # nothing saved


def test_iban_without_bic_and_a_future_certificate_date_are_refused(cast_a):
    data = {**VALID_PROFILE, "bic": "", "qualiopi_certified_on": "2099-01-01"}
    page = cast_a.client(cast_a.admin).post("/organisation/profil/", data).content.decode()
    assert "Renseignez l&#x27;IBAN et le BIC ensemble" in page
    assert "ne peut pas être dans le futur" in page


@pytest.mark.parametrize("path", ["/organisation/profil/", "/organisation/image/", "/organisation/page-publique/", "/organisation/demandes/"])
def test_only_administrators_reach_the_profile_pages(cast_a, path):
    for user in (cast_a.consultant, cast_a.beneficiary_user):
        assert cast_a.client(user).get(path).status_code == 403
        assert cast_a.client(user).post(path, VALID_PROFILE).status_code == 403
    assert cast_a.client(cast_a.admin).get(path).status_code == 200


def test_the_service_refuses_a_consultant(cast_a):
    from config.errors import Forbidden
    from organisations.profile.services import organisation_profile_update

    with tenant_context(cast_a.organisation), pytest.raises(Forbidden):
        organisation_profile_update(actor=cast_a.consultant, siret="73282932000074")


# --- checklist ---------------------------------------------------------------------------------------
def test_the_dashboard_checklist_lists_what_is_missing_then_disappears(cast_a):
    _blank_identity(cast_a.organisation)
    client = cast_a.client(cast_a.admin)
    home = client.get("/").content.decode()
    assert "Avant d'émettre vos devis et factures" in home
    assert 'href="/organisation/profil/#identite"' in home and 'href="/organisation/profil/#banque"' in home
    assert "À faire" in home

    client.post("/organisation/profil/", VALID_PROFILE)
    assert "Avant d'émettre vos devis et factures" not in client.get("/").content.decode()
    assert "Avant d'émettre" not in cast_a.client(cast_a.consultant).get("/").content.decode()


def test_the_checklist_asks_for_a_first_consultant(cast_a):
    from django_tenants.utils import tenant_context as in_org

    from organisations.accounts.models import User

    client = cast_a.client(cast_a.admin)
    client.post("/organisation/profil/", VALID_PROFILE)
    with in_org(cast_a.organisation):
        User.objects.filter(role="consultant").update(is_active=False)
    home = client.get("/").content.decode()
    assert "Premier consultant" in home and 'href="/organisation/membres/"' in home


def test_the_profile_api_says_what_is_missing_and_applies_the_same_checks(cast_a):
    _blank_identity(cast_a.organisation)
    client = cast_a.client(cast_a.admin)
    before = client.get("/api/v1/organisation/profile/").json()
    assert before["invoicing_ready"] is False and "le SIRET (et donc le SIREN)" in before["missing"]
    refused = client.patch("/api/v1/organisation/profile/", {"siret": "73282932000075", "iban": "FR00"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "profile_invalid"
    assert set(refused.json()["errors"]) == {"siret", "iban"}
    data = {k: v for k, v in VALID_PROFILE.items() if k != "vat_exempt"} | {"vat_exempt": True}
    after = client.patch("/api/v1/organisation/profile/", data, content_type="application/json").json()
    assert after["invoicing_ready"] is True and after["siret"] == "73282932000074" and after["iban"] == "FR7630006000011234567890189"
    assert cast_a.client(cast_a.consultant).get("/api/v1/organisation/profile/").status_code == 403
