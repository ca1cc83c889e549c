"""From a document version to branded HTML (preview) and PDF (worker)."""
from __future__ import annotations

import base64

from django.utils import formats, timezone
from django.utils.html import escape

from ai.generation.doctypes import TYPES
from bilans.documents import templating
from bilans.documents.charts import bar_chart_svg, chart_text
from bilans.documents.content import sanitise_body, sanitise_template
from bilans.documents.pdf import html_to_pdf, layout_html
from bilans.documents.selectors import activity_declaration_sentence, current_organisation, document_settings, template_html

DEFAULT_COLOUR = "#1f5fae"
PROVIDER_LABELS = {"builtin": "moteur de rédaction intégré à la plateforme", "openai": "modèle de langage externe, données pseudonymisées"}


def branding() -> dict:
    organisation = current_organisation()
    settings_row = document_settings()
    logo = ""
    if settings_row.logo:
        logo = f"data:{settings_row.logo_content_type or 'image/png'};base64,{base64.b64encode(bytes(settings_row.logo)).decode()}"
    qualiopi = getattr(organisation, "qualiopi_certificate_number", "") or ""
    return {
        "name": getattr(organisation, "name", "") or "",
        "colour": getattr(organisation, "brand_colour_in_use", "") or DEFAULT_COLOUR,
        "logo": logo,
        "declaration": activity_declaration_sentence(organisation),
        "qualiopi": f"Certificat Qualiopi n° {qualiopi} (catégorie : bilans de compétences)" if qualiopi else "",
        "footer_text": settings_row.footer_text,
    }


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value) if hasattr(value, "hour") else value, "j F Y") if value else ""


def ai_mention(document, provider: str = "") -> str:
    provider = provider or (document.generations.filter(succeeded=True).values_list("provider", flat=True).first() or "builtin")
    label = PROVIDER_LABELS.get(provider, provider)
    if document.validated_by_id and document.validated_at:
        return (
            f"Document rédigé avec l'assistance de l'intelligence artificielle ({label}), "
            f"relu et validé par {document.validated_by.get_full_name() or document.validated_by.email} le {_date(document.validated_at)}."
        )
    return f"Brouillon rédigé avec l'assistance de l'intelligence artificielle ({label}) : non validé, ne pas diffuser."


def charts_html(charts: list[dict], colour: str) -> str:
    if not charts:
        return ""
    parts = ['<div class="charts"><h2>Graphiques</h2>']
    for chart in charts:
        svg = bar_chart_svg(chart, colour=colour)
        if not svg:
            continue
        data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        parts.append(
            f'<div class="chart"><img src="{data_uri}" alt="{escape(chart_text(chart))}" width="480"/>'
            f'<p class="chart-text">{escape(chart_text(chart))}</p></div>'
        )
    parts.append("</div>")
    return "".join(parts)


PARTY_LABELS = {"beneficiary": "Le bénéficiaire", "employer": "Pour l'employeur", "organisation": "Pour l'organisme"}


def signatures_html(document) -> str:
    """One signature box per party that signs this type of document (a tripartite convention:
    the beneficiary, the employer and the organisation)."""
    from bilans.documents.services import signature_parties

    spec = TYPES.get(document.doc_type)
    if not spec or not spec.signable:
        return ""
    parties = signature_parties(document.doc_type)
    if "organisation" not in parties:
        parties = (*parties, "organisation")
    cells = "".join(
        f"<td>{PARTY_LABELS[party]}<br>(signature électronique, voir la feuille de preuve)</td>" for party in parties
    )
    return f'<table class="signatures"><tr>{cells}</tr></table>'


def employer_name(bilan) -> str:
    """The employer party of a tripartite convention: the one named on the bilan's convention,
    else the beneficiary's employer; a blank line to fill in when unknown."""
    conventions = getattr(bilan, "conventions", None)  # the template preview uses a sample bilan
    convention = conventions.filter(kind="tripartite").exclude(employer_name="").order_by("-created_at").first() if conventions else None
    name = convention.employer_name if convention else getattr(bilan.beneficiary, "employer_name", "")
    return name or "………………………………………………"


def values_for(document, version, brand: dict) -> dict[str, str]:
    beneficiary = document.bilan.beneficiary
    consultant = document.bilan.consultant or beneficiary.consultant
    return {
        "organisme.nom": brand["name"],
        "organisme.declaration_activite": brand["declaration"],
        "organisme.qualiopi": brand["qualiopi"],
        "beneficiaire.prenom": beneficiary.first_name,
        "beneficiaire.nom": beneficiary.last_name,
        "beneficiaire.nom_complet": beneficiary.full_name,
        "consultant.nom": consultant.get_full_name() if consultant else "",
        "employeur.nom": employer_name(document.bilan),
        "document.titre": document.title,
        "document.type": TYPES[document.doc_type].label if document.doc_type in TYPES else document.doc_type,
        "document.version": str(version.number) if version else "",
        "document.date_validation": _date(document.validated_at),
        "date.jour": _date(timezone.localdate()),
        # sanitised again: a version saved before a sanitiser rule existed must still lay out
        "contenu": sanitise_body(version.content_html) if version else "",
        "graphiques": charts_html(document.charts, brand["colour"]),
        "signatures": signatures_html(document),
        "mention_ia": ai_mention(document),
    }


def body_html(document, version, *, template: str | None = None, brand: dict | None = None) -> str:
    brand = brand or branding()
    template = sanitise_template(template if template is not None else template_html(document.doc_type))
    values = values_for(document, version, brand)
    html = templating.render(template, values)
    if "mention_ia" not in templating.VARIABLE_RE.findall(template):
        html += f'<p class="mention-ia">{escape(values["mention_ia"])}</p>'  # the mention is never optional
    return html


def full_html(document, version, *, template: str | None = None) -> str:
    brand = branding()
    return layout_html(body_html=body_html(document, version, template=template, brand=brand), branding=brand, title=document.title)


def render_pdf(document, version) -> tuple[bytes, int, int]:
    return html_to_pdf(full_html(document, version))


def proof_sheet_pdf(context: dict) -> bytes:
    from django.template.loader import render_to_string

    html = render_to_string("documents/pdf/proof.html", {**context, "branding": branding()})
    return html_to_pdf(html)[0]
