"""A fictitious document (never saved) to preview a template."""
from __future__ import annotations

from types import SimpleNamespace

from django.utils import timezone

from ai.generation import BuiltinProvider, generate
from ai.generation.doctypes import TYPES
from bilans.documents.content import structured_to_html

SAMPLE_DATA = {
    "organisation": {"name": "Votre organisme"},
    "beneficiary": {"first_name": "Camille", "last_name": "Exemple", "job_title": "assistante de gestion", "employer": "Entreprise Exemple"},
    "consultant": {"name": "Dominique Conseil"},
    "bilan": {"hours_planned": 20, "started_on": "5 janvier 2026", "ended_on": "20 mars 2026"},
    "objectives": ["Identifier un métier compatible avec mes contraintes familiales", "Valoriser mon expérience en gestion"],
    "competences": ["Gestion administrative", "Relation client", "Tableurs et outils bureautiques"],
    "assessments": [{"name": "Intérêts professionnels (RIASEC)", "scores": [
        {"label": "Réaliste", "value": 3, "max": 10}, {"label": "Investigateur", "value": 6, "max": 10},
        {"label": "Artistique", "value": 4, "max": 10}, {"label": "Social", "value": 8, "max": 10},
        {"label": "Entreprenant", "value": 5, "max": 10}, {"label": "Conventionnel", "value": 9, "max": 10}]}],
    "career_options": [{"title": "Gestionnaire de paie", "code_rome": "M1501", "score": 84, "rationale": "Rigueur, goût des chiffres et relation avec les salariés."}],
}


class _Consultant(SimpleNamespace):
    def get_full_name(self):
        return self.name


def sample_document(doc_type: str):
    content = generate(doc_type, SAMPLE_DATA, provider=BuiltinProvider()).content
    beneficiary = SimpleNamespace(first_name="Camille", last_name="Exemple", full_name="Camille Exemple", consultant=None)
    consultant = _Consultant(name="Dominique Conseil", email="conseil@exemple.test")
    document = SimpleNamespace(
        doc_type=doc_type, title=f"{TYPES[doc_type].label} – Camille Exemple", charts=content.get("charts") or [],
        bilan=SimpleNamespace(beneficiary=beneficiary, consultant=consultant), validated_by_id=1, validated_by=consultant,
        validated_at=timezone.now(), generations=_NoGenerations(),
    )
    version = SimpleNamespace(number=1, content_html=structured_to_html(content))
    return document, version


class _NoGenerations:
    def filter(self, **kwargs):
        return self

    def values_list(self, *args, **kwargs):
        return self

    def first(self):
        return "builtin"
