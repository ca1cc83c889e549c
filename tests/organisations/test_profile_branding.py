"""Logo and brand colour: gated by plan as the pricing page says, contrast checked, applied to
the organisation's pages, e-mails and PDFs."""
from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from tests.organisations.profile_helpers import VALID_PROFILE, png_bytes, set_plan


def _pdf_streams(pdf: bytes) -> bytes:
    """The drawing instructions of every page (decoded)."""
    from pypdf import PdfReader

    return b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(pdf)).pages)


def _pdf_image_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_colour_too_light_for_white_text_is_refused_with_a_darker_suggestion(cast_a):
    set_plan(cast_a.organisation, "professional")
    response = cast_a.client(cast_a.admin).post("/organisation/image/", {"brand_colour": "#ffcc00"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Cette couleur est trop claire" in page and "4,5:1" in page and "#8E7200" in page
    cast_a.organisation.refresh_from_db()
    assert cast_a.organisation.brand_colour == ""


def test_the_brand_colour_colours_the_pages_the_emails_and_the_pdfs(cast_a):
    from bilans.billing.services import funder_create, quote_create, quote_issue
    from bilans.models import Bilan
    from organisations.profile.emails import organisation_mail_send

    set_plan(cast_a.organisation, "professional")
    client = cast_a.client(cast_a.admin)
    client.post("/organisation/profil/", VALID_PROFILE)
    response = client.post("/organisation/image/", {"brand_colour": "#8a2be2", "logo": _upload()})
    assert response.status_code == 302
    cast_a.organisation.refresh_from_db()
    assert cast_a.organisation.brand_colour == "#8a2be2"

    home = client.get("/").content.decode()
    assert 'style="--brand: #8a2be2"' in home
    logo_url = re.search(r'src="(/organisation/logo/[0-9a-f]+/)"', home).group(1)
    logo = cast_a.client().get(logo_url)  # e-mails and the public page show it to anyone
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png" and logo["X-Content-Type-Options"] == "nosniff"
    assert cast_a.client().get("/organisation/logo/000000000000/").status_code == 404

    with tenant_context(cast_a.organisation):
        mail.outbox.clear()
        organisation_mail_send(organisation=cast_a.organisation, subject="Essai", text="Bonjour,\nhttps://exemple.test/", to=["a@exemple.test"])
        html = mail.outbox[-1].alternatives[0][0]
        assert "background:#8a2be2" in html and logo_url in html and "Alpha Bilans" in html

        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
        funder = funder_create(actor=cast_a.admin, kind="employer", name="Martin", siren="552100554", address_line="3 place", postcode="69002", city="Lyon")
        quote = quote_issue(actor=cast_a.admin, quote=quote_create(actor=cast_a.admin, bilan=bilan, funder=funder, lines=[{"label": "Bilan", "unit_price_cents": 100000}]))
        streams = _pdf_streams(bytes(quote.pdf))
    # #8a2be2 as the PDF's fill/stroke colour (0.541 0.169 0.886) and the logo as an image
    assert re.search(rb"\.54\d* \.16\d* \.88\d* (rg|RG)", streams) or re.search(rb"0\.54\d* 0\.16\d* 0\.88\d* (rg|RG)", streams)
    assert _pdf_image_count(bytes(quote.pdf)) >= 1


def _upload(data: bytes | None = None, name: str = "logo.png", content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type=content_type)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg", "PNG ou JPEG"),
        (b"GIF89a" + b"\x00" * 40, "logo.png", "PNG ou JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (600 * 1024), "grand.png", "512 Ko"),
    ],
)
def test_only_small_png_or_jpeg_logos_are_accepted(cast_a, data, name, message):
    response = cast_a.client(cast_a.admin).post("/organisation/image/", {"logo": _upload(data, name)})
    assert response.status_code == 400 and message in response.content.decode()
    with tenant_context(cast_a.organisation):
        from bilans.documents.selectors import document_settings

        assert not document_settings().logo


def test_a_plan_without_branding_gets_a_clear_message_and_a_403_on_the_api(cast_a):
    """Branding is a capability of Professional and Enterprise (the pricing page lists it from the same data): the Starter trial keeps the default colour."""
    from config.errors import Forbidden
    from organisations.profile.services import organisation_branding_update

    set_plan(cast_a.organisation, "starter")
    client = cast_a.client(cast_a.admin)
    page = client.get("/organisation/image/").content.decode()
    assert "La personnalisation à vos couleurs est comprise dans la formule Professional" in page
    assert 'name="brand_colour"' not in page
    client.post("/organisation/image/", {"brand_colour": "#8a2be2"})
    cast_a.organisation.refresh_from_db()
    assert cast_a.organisation.brand_colour == ""

    api = client.patch("/api/v1/organisation/branding/", {"brand_colour": "#8a2be2"}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "branding_not_in_plan" and "Professional" in api.json()["detail"]
    with tenant_context(cast_a.organisation), pytest.raises(Forbidden):
        organisation_branding_update(actor=cast_a.admin, brand_colour="#8a2be2")


def test_a_colour_kept_after_a_downgrade_is_no_longer_applied(cast_a):
    set_plan(cast_a.organisation, "professional")
    client = cast_a.client(cast_a.admin)
    client.post("/organisation/image/", {"brand_colour": "#8a2be2"})
    assert "--brand: #8a2be2" in client.get("/").content.decode()
    set_plan(cast_a.organisation, "starter")
    assert "--brand: #8a2be2" not in client.get("/").content.decode()


def test_branding_api_applies_the_same_checks(cast_a):
    set_plan(cast_a.organisation, "professional")
    client = cast_a.client(cast_a.admin)
    refused = client.patch("/api/v1/organisation/branding/", {"brand_colour": "#ffcc00"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "brand_colour_unreadable"
    accepted = client.patch("/api/v1/organisation/branding/", {"brand_colour": "#8a2be2"}, content_type="application/json")
    assert accepted.status_code == 200 and accepted.json()["brand_colour"] == "#8a2be2"
    assert cast_a.client(cast_a.consultant).patch(
        "/api/v1/organisation/branding/", {"brand_colour": "#8a2be2"}, content_type="application/json"
    ).status_code == 403
