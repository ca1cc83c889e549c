"""Shared data of the organisation profile tests."""
from __future__ import annotations

import io
import time

from django.core import signing

VALID_PROFILE = {
    "siret": "732 829 320 00074",
    "legal_form": "SAS",
    "share_capital": "10 000 €",
    "vat_number": "",
    "legal_representative": "Claire Martin",
    "legal_representative_title": "Présidente",
    "address_line": "12 rue des Lilas",
    "postcode": "75011",
    "city": "Paris",
    "activity_declaration_number": "11 75 55555 75",
    "activity_declaration_region": "Île-de-France",
    "vat_exempt": "on",
    "vat_exemption_mention": "Exonération de TVA – art. 261-4-4° a du CGI",
    "qualiopi_certificate_number": "QUALI-2026-0042",
    "qualiopi_certified_on": "2025-03-14",
    "qualiopi_certifier": "AFNOR Certification",
    "qualiopi_expires_on": "2028-03-13",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
}


def set_plan(organisation, code: str) -> None:
    from plans.models import Plan

    organisation.plan = Plan.objects.get(code=code)
    organisation.save()


def png_bytes(colour=(138, 43, 226), size=(40, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def aged_form_token(seconds: int = 30) -> str:
    """The anti-spam timestamp of a request form shown ``seconds`` ago."""
    from organisations.profile.views import FORM_SALT

    return signing.Signer(salt=FORM_SALT).sign(f"shown:{signing.b62_encode(int(time.time()) - seconds)}")
