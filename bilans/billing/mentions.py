"""What a quote, an invoice or a credit note must say, frozen at issue time.

- the organisation's identity and SIREN (seller block);
- the client's SIREN when it is a company (EI-02);
- the déclaration d'activité sentence (CT-18, R6351-6) on quotes, invoices and credit notes;
- the VAT exemption of continuing vocational training when the organisation holds the
  attestation (EI-03, CGI 261-4-4° a);
- the operation category « Prestation de services » (EI-02);
- payment terms and late-payment penalties (Code de commerce L441-9, L441-10, D441-5).
"""
from __future__ import annotations

from datetime import date

from bilans.billing.facturx_xml import VAT_EXEMPTION_REASON

OPERATION_CATEGORY = "Catégorie de l'opération : Prestation de services"
RECOVERY_INDEMNITY = "indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de commerce)"


def money(cents: int) -> str:
    """1 234,56 €"""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0€"


def seller_snapshot(organisation, settings) -> dict:
    return {
        "name": organisation.name,
        "siren": organisation.siren,
        "siret": organisation.siret,
        "legal_form": settings.legal_form,
        "share_capital": settings.share_capital,
        "address_line": settings.address_line,
        "postcode": settings.postcode,
        "city": settings.city,
        "country": "FR",
        "vat_number": settings.vat_number,
        "vat_exempt": organisation.vat_exempt,
        "iban": settings.iban.replace(" ", ""),
        "bic": settings.bic,
        "activity_declaration_number": organisation.activity_declaration_number,
        "activity_declaration_region": organisation.activity_declaration_region,
        "qualiopi_certificate_number": organisation.qualiopi_certificate_number,
        "payment_terms": payment_terms_text(settings.payment_terms_days),
    }


def buyer_snapshot(funder, *, on_behalf_of=None, reference: str = "") -> dict:
    data = {
        "kind": funder.kind,
        "name": funder.name,
        "siren": funder.siren,
        "address_line": funder.address_line,
        "postcode": funder.postcode,
        "city": funder.city,
        "country": "FR",
        "email": funder.email,
        "account_code": funder.account_code,
        "is_company": funder.is_company,
        "reference": reference,
    }
    if on_behalf_of is not None:
        data["on_behalf_of"] = {"name": on_behalf_of.name, "siren": on_behalf_of.siren}
    return data


def payment_terms_text(days: int) -> str:
    if days == 0:
        return "Paiement à réception de la facture. Pas d'escompte pour paiement anticipé."
    return f"Paiement à {days} jours à compter de la date d'émission. Pas d'escompte pour paiement anticipé."


def declaration_sentence(organisation) -> str:
    """CT-18 (R6351-6)."""
    number = organisation.activity_declaration_number or "(numéro à renseigner)"
    region = organisation.activity_declaration_region or "(région à renseigner)"
    return f"Déclaration d'activité enregistrée sous le numéro {number} auprès du préfet de région de {region}."


def document_mentions(*, document, organisation, settings, due_on: date | None, cpf_file=None, credited=None) -> list[dict]:
    """The list of mentions of a document, each with its UNTDID 4451 subject code."""
    mentions = [{"code": "REG", "text": declaration_sentence(organisation)}]
    if organisation.vat_exempt:
        mentions.append({"code": "REG", "text": getattr(organisation, "vat_exemption_mention", "") or VAT_EXEMPTION_REASON})
    mentions.append({"code": "AAI", "text": OPERATION_CATEGORY})
    if document.kind == "quote":
        if document.valid_until:
            mentions.append({"code": "AAI", "text": f"Devis valable jusqu'au {document.valid_until:%d/%m/%Y}."})
    else:
        terms = payment_terms_text(settings.payment_terms_days)
        if due_on:
            terms += f" Date d'échéance : {due_on:%d/%m/%Y}."
        mentions.append({"code": "AAB", "text": terms})
        mentions.append(
            {
                "code": "PMD",
                "text": f"En cas de retard de paiement : pénalités au taux de {settings.late_penalty_rate}, exigibles de plein droit"
                f" dès le lendemain de l'échéance, et, pour un client professionnel, {RECOVERY_INDEMNITY}.",
            }
        )
    if document.subrogation and document.on_behalf_of_id:
        company = document.on_behalf_of
        siren = f" (SIREN {company.siren})" if company.siren else ""
        mentions.append(
            {"code": "AAI", "text": f"Paiement par subrogation : {document.funder.name} règle pour le compte de {company.name}{siren}."}
        )
    if cpf_file is not None and document.funder.kind == "cpf":
        edof = f" – dossier EDOF n° {cpf_file.edof_number}" if cpf_file.edof_number else ""
        mentions.append({"code": "AAI", "text": f"Action financée par le compte personnel de formation{edof}."})
    if credited is not None:
        reason = f" Motif : {document.reason}." if document.reason else ""
        mentions.append(
            {"code": "AAI", "text": f"Avoir sur la facture n° {credited.number} du {credited.issued_on:%d/%m/%Y}.{reason}"}
        )
    return mentions
