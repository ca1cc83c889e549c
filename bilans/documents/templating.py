"""Organisation templates with safe variables.

A template is sanitised HTML (no script, no Django template language) in which ``{{ name }}``
placeholders are replaced by values from a fixed list. Text values are escaped; only
``contenu``, ``graphiques`` and ``signatures`` insert HTML, which the platform produced and
sanitised itself. An unknown variable is refused when the template is saved.
"""
from __future__ import annotations

import re

from django.utils.html import escape

VARIABLE_RE = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")

VARIABLES: dict[str, str] = {
    "organisme.nom": "Nom de l'organisme",
    "organisme.declaration_activite": "Mention de la déclaration d'activité (article R6351-6)",
    "organisme.qualiopi": "Numéro du certificat Qualiopi",
    "beneficiaire.prenom": "Prénom du bénéficiaire",
    "beneficiaire.nom": "Nom du bénéficiaire",
    "beneficiaire.nom_complet": "Prénom et nom du bénéficiaire",
    "consultant.nom": "Consultant du bilan",
    "employeur.nom": "Employeur (convention tripartite)",
    "document.titre": "Titre du document",
    "document.type": "Type de document",
    "document.version": "Numéro de version",
    "document.date_validation": "Date de validation",
    "date.jour": "Date du jour",
    "contenu": "Corps du document validé (HTML)",
    "graphiques": "Graphiques des évaluations (SVG)",
    "signatures": "Cadres de signature (documents à signer)",
    "mention_ia": "Mention « rédigé avec l'assistance de l'IA et validé par … »",
}
HTML_VARIABLES = {"contenu", "graphiques", "signatures"}

GENERIC = """<h1>{{ document.titre }}</h1>
<p class="meta">Bénéficiaire : {{ beneficiaire.nom_complet }} · Consultant : {{ consultant.nom }} · {{ date.jour }}</p>
{{ contenu }}
{{ graphiques }}
{{ signatures }}
<p class="mention-ia">{{ mention_ia }}</p>"""

DEFAULTS: dict[str, str] = {
    "convention": """<h1>{{ document.titre }}</h1>
<p class="meta">Convention de bilan de compétences (articles L6313-4 et R6313-8 du Code du travail)</p>
<h2>Entre les soussignés</h2>
<p>L'organisme prestataire : {{ organisme.nom }}, {{ organisme.declaration_activite }}</p>
<p>Le salarié bénéficiaire : {{ beneficiaire.nom_complet }}</p>
<p>L'employeur : {{ employeur.nom }}</p>
{{ contenu }}
<p>Le salarié dispose d'un délai de dix jours à compter de la transmission de la convention pour la signer ; l'absence de réponse vaut refus.</p>
{{ signatures }}
<p class="mention-ia">{{ mention_ia }}</p>""",
    "contract": """<h1>{{ document.titre }}</h1>
<p class="meta">Contrat conclu en application des articles L6353-3 à L6353-7 du Code du travail</p>
<p>Entre {{ organisme.nom }} ({{ organisme.declaration_activite }}) et {{ beneficiaire.nom_complet }}.</p>
{{ contenu }}
{{ signatures }}
<p class="mention-ia">{{ mention_ia }}</p>""",
    "certificate": """<h1>{{ document.titre }}</h1>
{{ contenu }}
<p>Fait pour servir et valoir ce que de droit, le {{ date.jour }}.</p>
<p><strong>{{ consultant.nom }}</strong>, pour {{ organisme.nom }}</p>
{{ signatures }}
<p class="mention-ia">{{ mention_ia }}</p>""",
    "synthesis": """<h1>{{ document.titre }}</h1>
<p class="meta">Document de synthèse remis à {{ beneficiaire.nom_complet }} · Consultant : {{ consultant.nom }} · {{ date.jour }}</p>
<p class="confidential">Document confidentiel : il appartient au bénéficiaire et ne peut être communiqué à un tiers qu'avec son accord.</p>
{{ contenu }}
{{ graphiques }}
{{ signatures }}
<p class="mention-ia">{{ mention_ia }}</p>""",
}


def default_template(doc_type: str) -> str:
    return DEFAULTS.get(doc_type, GENERIC)


def unknown_variables(html: str) -> list[str]:
    return sorted({name for name in VARIABLE_RE.findall(html or "") if name not in VARIABLES})


def render(html: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name, "")
        return str(value) if name in HTML_VARIABLES else escape(value)

    return VARIABLE_RE.sub(replace, html or "")
