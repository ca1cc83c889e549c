"""Document types: for each one its label, prompt (and version), output JSON schema and tariff.

Every type shares one output structure, so that the built-in provider, an external model and
the document templates speak the same language:

``{"title", "summary", "sections": [{"key", "heading", "paragraphs": [..], "bullets": [..]}],
"charts": [{"title", "labels", "values", "unit"}]}`` plus, for some types, ``actions`` (SMART
action plan), ``questions`` (questionnaires), ``options`` (career options) or ``steps``
(synthèse). Types may require section keys (the synthèse's four parts, the CT-14 clauses of a
convention, the CT-17 mentions of a contract).
"""
from __future__ import annotations

from dataclasses import dataclass, field

SECTION = {
    "type": "object",
    "required": ["key", "heading", "paragraphs"],
    "properties": {
        "key": {"type": "string", "minLength": 1, "maxLength": 60},
        "heading": {"type": "string", "minLength": 1, "maxLength": 200},
        "paragraphs": {"type": "array", "items": {"type": "string", "maxLength": 6000}},
        "bullets": {"type": "array", "items": {"type": "string", "maxLength": 1000}},
    },
    "additionalProperties": False,
}
CHART = {
    "type": "object",
    "required": ["title", "labels", "values"],
    "properties": {
        "title": {"type": "string", "maxLength": 200},
        "labels": {"type": "array", "items": {"type": "string", "maxLength": 120}, "minItems": 1, "maxItems": 30},
        "values": {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 30},
        "unit": {"type": "string", "maxLength": 20},
        "max": {"type": "number"},
    },
    "additionalProperties": False,
}
ACTION = {
    "type": "object",
    "required": ["action", "owner", "resources", "deadline", "indicator"],
    "properties": {
        "action": {"type": "string", "minLength": 3, "maxLength": 500},
        "owner": {"type": "string", "minLength": 1, "maxLength": 200},
        "resources": {"type": "string", "minLength": 1, "maxLength": 500},
        "deadline": {"type": "string", "minLength": 4, "maxLength": 40},
        "indicator": {"type": "string", "minLength": 3, "maxLength": 500},
    },
    "additionalProperties": False,
}
QUESTION = {
    "type": "object",
    "required": ["question", "kind"],
    "properties": {
        "question": {"type": "string", "minLength": 3, "maxLength": 500},
        "kind": {"enum": ["text", "scale", "choice"]},
        "choices": {"type": "array", "items": {"type": "string", "maxLength": 200}},
    },
    "additionalProperties": False,
}
OPTION = {
    "type": "object",
    "required": ["title", "rationale"],
    "properties": {
        "title": {"type": "string", "minLength": 2, "maxLength": 200},
        "code_rome": {"type": "string", "maxLength": 10},
        "rationale": {"type": "string", "maxLength": 2000},
        "fit": {"type": "number", "minimum": 0, "maximum": 100},
        "next_steps": {"type": "array", "items": {"type": "string", "maxLength": 500}},
    },
    "additionalProperties": False,
}

COMMON_RULES = (
    "Tu rédiges en français, au vouvoiement, dans un style professionnel, clair et bienveillant. "
    "Tu t'appuies uniquement sur les données fournies : n'invente ni fait, ni chiffre, ni diplôme. "
    "Les valeurs entre crochets comme [PERSONNE_1] ou [EMPLOYEUR_1] sont des pseudonymes : recopie-les "
    "telles quelles là où tu en as besoin. Réponds uniquement par un objet JSON conforme au schéma fourni, "
    "sans texte autour."
)


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str
    tariff_code: str
    instructions: str
    prompt_version: str = "1"
    required_sections: tuple[tuple[str, str], ...] = ()  # (key, heading)
    extra: dict = field(default_factory=dict)  # extra required top-level properties → schema
    signable: bool = False
    phase: str = "preliminary"  # phase of the bilan where the document is usually due

    @property
    def schema(self) -> dict:
        properties = {
            "title": {"type": "string", "minLength": 3, "maxLength": 200},
            "summary": {"type": "string", "maxLength": 3000},
            "sections": {"type": "array", "items": SECTION, "minItems": 1, "maxItems": 40},
            "charts": {"type": "array", "items": CHART, "maxItems": 10},
            **self.extra,
        }
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["title", "sections", *self.extra.keys()],
            "properties": properties,
            "additionalProperties": False,
        }
        if self.required_sections:
            schema["properties"]["sections"] = {
                **properties["sections"],
                "allOf": [
                    {"contains": {"type": "object", "properties": {"key": {"const": key}}, "required": ["key"]}}
                    for key, _ in self.required_sections
                ],
            }
        return schema

    @property
    def system_prompt(self) -> str:
        parts = [f"Tu es l'assistant de rédaction d'un consultant en bilan de compétences. Document : {self.label}.", self.instructions]
        if self.required_sections:
            parts.append(
                "Sections obligatoires (champ key) : " + ", ".join(f"{key} ({heading})" for key, heading in self.required_sections) + "."
            )
        parts.append(COMMON_RULES)
        return "\n".join(parts)


def _questions(min_items: int = 3) -> dict:
    return {"questions": {"type": "array", "items": QUESTION, "minItems": min_items, "maxItems": 60}}


TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in [
        DocumentType(
            "information",
            "Document d'information",
            "document_simple",
            "Présente au bénéficiaire le déroulement du bilan (les trois phases, la confidentialité, la durée, "
            "les modalités, les contacts, l'accessibilité).",
            required_sections=(("phases", "Les trois phases du bilan"), ("confidentiality", "Confidentialité"), ("practical", "Modalités pratiques")),
        ),
        DocumentType(
            "consent",
            "Consentement éclairé",
            "document_simple",
            "Recueille le consentement libre et éclairé du bénéficiaire avant la phase préliminaire : objet du bilan, "
            "confidentialité des résultats, droit de refus sans conséquence, protection des données.",
            required_sections=(("purpose", "Objet du bilan"), ("rights", "Vos droits"), ("data", "Vos données personnelles")),
            signable=True,
        ),
        DocumentType(
            "convention",
            "Convention tripartite",
            "document_simple",
            "Convention écrite entre l'employeur, le salarié et le prestataire (article R6313-8 du Code du travail).",
            required_sections=(
                ("title", "Intitulé"), ("objective", "Objectif"), ("content", "Contenu"), ("means", "Moyens"),
                ("duration", "Durée et période"), ("conduct", "Modalités de déroulement et de suivi"),
                ("results", "Modalités de remise des résultats détaillés et du document de synthèse"),
                ("price", "Prix"), ("payment", "Modalités de règlement"),
            ),
            signable=True,
        ),
        DocumentType(
            "contract",
            "Contrat de prestation (financement personnel)",
            "document_simple",
            "Contrat entre une personne qui finance elle-même son bilan et le prestataire (articles L6353-3 à "
            "L6353-7 du Code du travail) : délai de rétractation de 10 jours, aucun paiement avant son expiration.",
            required_sections=(
                ("object", "Objet et nature de la prestation"), ("duration", "Durée et période"),
                ("means", "Moyens pédagogiques et techniques"), ("price", "Prix et modalités de paiement"),
                ("withdrawal", "Délai de rétractation"), ("termination", "Interruption de la prestation"),
            ),
            signable=True,
        ),
        DocumentType(
            "schedule",
            "Calendrier prévisionnel",
            "document_simple",
            "Calendrier prévisionnel des entretiens et du travail personnel, par phase, dans la limite de 24 heures.",
            required_sections=(("calendar", "Calendrier"),),
        ),
        DocumentType(
            "questionnaire",
            "Questionnaire personnalisé",
            "document_questionnaire",
            "Questionnaire adapté à la situation du bénéficiaire ; chaque question a un lien direct et nécessaire avec le bilan.",
            extra=_questions(),
            phase="investigation",
        ),
        DocumentType(
            "career_path_analysis",
            "Analyse du parcours professionnel",
            "ai_career_path_analysis",
            "Analyse le parcours (expériences, formations, transitions) et en dégage compétences, constantes et motivations.",
            required_sections=(("path", "Parcours"), ("competences", "Compétences mises en œuvre"), ("drivers", "Motivations et constantes")),
            phase="investigation",
        ),
        DocumentType(
            "results_interpretation",
            "Interprétation des résultats",
            "document_simple",
            "Interprète les résultats des questionnaires et tests passés, avec prudence et sans jugement.",
            required_sections=(("results", "Résultats"), ("interpretation", "Lecture des résultats")),
            phase="investigation",
        ),
        DocumentType(
            "career_options",
            "Pistes professionnelles",
            "ai_career_suggestions",
            "Propose des pistes professionnelles argumentées à partir des compétences, intérêts et contraintes.",
            extra={"options": {"type": "array", "items": OPTION, "minItems": 1, "maxItems": 10}},
            phase="investigation",
        ),
        DocumentType(
            "synthesis",
            "Document de synthèse",
            "document_synthesis",
            "Document de synthèse remis au bénéficiaire à la fin du bilan : circonstances du bilan, compétences et "
            "aptitudes identifiées, projet professionnel et ses principales étapes, conditions et moyens de sa réalisation.",
            required_sections=(
                ("circumstances", "Circonstances du bilan"),
                ("competences", "Compétences et aptitudes identifiées"),
                ("project", "Projet professionnel"),
                ("conditions_means", "Conditions et moyens de réalisation"),
            ),
            extra={"steps": {"type": "array", "items": {"type": "string", "maxLength": 500}, "minItems": 1, "maxItems": 20}},
            signable=True,
            phase="conclusions",
        ),
        DocumentType(
            "action_plan",
            "Plan d'action SMART",
            "document_action_plan",
            "Plan d'action SMART : chaque action est spécifique, mesurable, atteignable, réaliste et datée, avec un "
            "responsable, des ressources, une échéance et un indicateur.",
            extra={"actions": {"type": "array", "items": ACTION, "minItems": 1, "maxItems": 30}},
            signable=True,
            phase="conclusions",
        ),
        DocumentType(
            "follow_up_report",
            "Compte rendu de l'entretien de suivi à 6 mois",
            "document_simple",
            "Compte rendu de l'entretien de suivi six mois après la fin du bilan : avancement du projet, difficultés, suites.",
            required_sections=(("progress", "Avancement du projet"), ("next", "Suites envisagées")),
            phase="follow_up",
        ),
        DocumentType(
            "certificate",
            "Attestation de fin de bilan",
            "document_simple",
            "Attestation de réalisation du bilan de compétences : identité, dates, durée, prestataire.",
            required_sections=(("attestation", "Attestation"),),
            signable=True,
            phase="conclusions",
        ),
        DocumentType(
            "satisfaction_end",
            "Questionnaire de satisfaction de fin de bilan",
            "document_questionnaire",
            "Questionnaire de satisfaction à chaud (indicateur 30 de Qualiopi) : accueil, déroulement, consultant, résultats.",
            extra=_questions(),
            phase="conclusions",
        ),
        DocumentType(
            "satisfaction_follow_up",
            "Questionnaire de satisfaction à 6 mois",
            "document_questionnaire",
            "Questionnaire de satisfaction à froid, six mois après le bilan : utilité, mise en œuvre du projet.",
            extra=_questions(),
            phase="follow_up",
        ),
    ]
}

CHOICES = [(code, spec.label) for code, spec in TYPES.items()]


def get(code: str) -> DocumentType:
    from ai.generation.errors import GenerationError

    try:
        return TYPES[code]
    except KeyError:
        raise GenerationError("Type de document inconnu.", code="ai_unknown_type") from None
