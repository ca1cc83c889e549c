"""The built-in provider: no network. It composes each document from the bilan's structured
data with the same output structure as an external model (validated against the same schema).

Input data (all keys optional except ``beneficiary``), as gathered by the documents app:
``organisation`` {name, activity_declaration, qualiopi}, ``beneficiary`` {first_name, last_name,
job_title, employer, situation}, ``consultant`` {name}, ``bilan`` {status_label, funding,
started_on, ended_on, hours_planned, forfait}, ``objectives`` [str], ``sessions`` [{date, title,
duration_minutes, phase, notes}], ``competences`` [str], ``interests`` [str],
``assessments`` [{name, scores: [{label, value, max}], summary}], ``career_options``
[{title, code_rome, score, rationale}], ``constraints`` [str], ``today``.
"""
from __future__ import annotations

from typing import Any

from ai.generation.doctypes import TYPES, DocumentType


def _name(data: dict) -> str:
    b = data.get("beneficiary") or {}
    return f"{b.get('first_name', '')} {b.get('last_name', '')}".strip() or "le bénéficiaire"


def _consultant(data: dict) -> str:
    return (data.get("consultant") or {}).get("name") or "votre consultant"


def _org(data: dict) -> str:
    return (data.get("organisation") or {}).get("name") or "l'organisme"


def _list(values, fallback: str) -> list[str]:
    values = [str(v) for v in (values or []) if str(v).strip()]
    return values or [fallback]


def _section(key: str, heading: str, paragraphs: list[str] | None = None, bullets: list[str] | None = None) -> dict:
    section = {"key": key, "heading": heading, "paragraphs": [p for p in (paragraphs or []) if p]}
    if bullets:
        section["bullets"] = bullets
    return section


def _charts(data: dict) -> list[dict]:
    charts = []
    for assessment in data.get("assessments") or []:
        scores = assessment.get("scores") or []
        if not scores:
            continue
        chart = {
            "title": str(assessment.get("name") or "Résultats")[:200],
            "labels": [str(s.get("label", ""))[:120] for s in scores][:30],
            "values": [float(s.get("value") or 0) for s in scores][:30],
        }
        maximum = max((float(s.get("max") or 0) for s in scores), default=0)
        if maximum:
            chart["max"] = maximum
        charts.append(chart)
    return charts[:10]


def _bilan(data: dict) -> dict:
    return data.get("bilan") or {}


def _hours(data: dict) -> str:
    hours = _bilan(data).get("hours_planned")
    return f"{hours} heures" if hours else "24 heures au plus"


def _period(data: dict) -> str:
    b = _bilan(data)
    if b.get("started_on") and b.get("ended_on"):
        return f"du {b['started_on']} au {b['ended_on']}"
    if b.get("started_on"):
        return f"à partir du {b['started_on']}"
    return "selon le calendrier convenu lors de l'entretien préliminaire"


def _competences(data: dict) -> list[str]:
    return _list(data.get("competences"), "Les compétences seront précisées au cours de la phase d'investigation.")


def _session_lines(data: dict) -> list[str]:
    lines = []
    for s in data.get("sessions") or []:
        minutes = int(s.get("duration_minutes") or 0)
        duration = f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"
        lines.append(f"{s.get('date', '')} – {s.get('title') or 'Entretien'} ({duration})".strip(" –"))
    return lines


def _options(data: dict) -> list[dict]:
    options = []
    for o in (data.get("career_options") or [])[:10]:
        option = {"title": str(o.get("title") or "Piste")[:200], "rationale": str(o.get("rationale") or "")[:2000]}
        if o.get("code_rome"):
            option["code_rome"] = str(o["code_rome"])[:10]
        if o.get("score") is not None:
            option["fit"] = max(0.0, min(100.0, float(o["score"])))
        options.append(option)
    return options


def compose(spec: DocumentType, data: dict[str, Any]) -> dict:
    name, consultant, org = _name(data), _consultant(data), _org(data)
    b = data.get("beneficiary") or {}
    job = b.get("job_title") or "son poste actuel"
    objectives = _list(data.get("objectives"), "Les objectifs seront définis ensemble lors de la phase préliminaire.")
    code = spec.code
    doc: dict[str, Any] = {"title": f"{spec.label} – {name}", "summary": "", "sections": []}
    sections = doc["sections"]

    if code == "information":
        doc["summary"] = f"Ce document vous présente le déroulement de votre bilan de compétences avec {org}."
        sections += [
            _section("phases", "Les trois phases du bilan", [
                "Votre bilan se déroule en trois phases prévues par l'article R6313-4 du Code du travail.",
            ], [
                "Phase préliminaire : analyser votre demande et vos besoins, définir ensemble les modalités.",
                "Phase d'investigation : construire votre projet professionnel et en vérifier la pertinence.",
                "Phase de conclusions : vous approprier les résultats, identifier les conditions et les étapes de votre projet.",
            ]),
            _section("confidentiality", "Confidentialité", [
                "Les résultats du bilan vous appartiennent. Ils ne sont communiqués à personne sans votre accord.",
                "Les documents élaborés pendant le bilan sont détruits à son terme, sauf exceptions prévues par la loi.",
            ]),
            _section("practical", "Modalités pratiques", [
                f"Durée prévue : {_hours(data)}, {_period(data)}.",
                f"Votre consultant : {consultant}.",
            ], _session_lines(data) or None),
        ]
    elif code == "consent":
        sections += [
            _section("purpose", "Objet du bilan", [
                f"Je soussigné(e) {name} demande à réaliser un bilan de compétences avec {org}.",
                "Ce bilan a pour objet d'analyser mes compétences professionnelles et personnelles, mes aptitudes et "
                "mes motivations afin de définir un projet professionnel.",
            ]),
            _section("rights", "Vos droits", [
                "Le bilan ne peut être réalisé qu'avec votre consentement. Le refus d'un salarié de réaliser un bilan "
                "ne constitue ni une faute ni un motif de licenciement.",
                "Les résultats détaillés et le document de synthèse vous sont remis ; ils ne peuvent être communiqués à "
                "un tiers qu'avec votre accord.",
            ]),
            _section("data", "Vos données personnelles", [
                "Vos données sont traitées pour la seule réalisation du bilan et conservées pour la durée prévue par la loi.",
                "Vous disposez d'un droit d'accès, de rectification et d'effacement.",
            ]),
        ]
    elif code in ("convention", "contract"):
        funding = _bilan(data).get("funding") or ("financement de l'employeur" if code == "convention" else "financement personnel")
        price = _bilan(data).get("price") or "selon le devis accepté"
        if code == "convention":
            sections += [
                _section("title", "Intitulé", ["Bilan de compétences (article L6313-1 du Code du travail)."]),
                _section("objective", "Objectif", ["Permettre au salarié d'analyser ses compétences, aptitudes et motivations et de définir un projet professionnel."], objectives),
                _section("content", "Contenu", ["Phase préliminaire, phase d'investigation et phase de conclusions."]),
                _section("means", "Moyens", [f"Entretiens individuels avec {consultant}, outils d'évaluation, documentation, plateforme en ligne."]),
                _section("duration", "Durée et période", [f"{_hours(data).capitalize()}, {_period(data)}."]),
                _section("conduct", "Modalités de déroulement et de suivi", ["Entretiens en présentiel ou à distance, feuilles d'émargement signées, entretien de suivi à six mois."]),
                _section("results", "Modalités de remise des résultats détaillés et du document de synthèse", [
                    "Les résultats détaillés et le document de synthèse sont remis au seul salarié ; ils ne sont communiqués à l'employeur qu'avec son accord écrit.",
                ]),
                _section("price", "Prix", [f"Prix de la prestation : {price} ({funding})."]),
                _section("payment", "Modalités de règlement", ["Règlement à réception de la facture, à l'issue de la prestation."]),
            ]
        else:
            sections += [
                _section("object", "Objet et nature de la prestation", ["Bilan de compétences en trois phases (article R6313-4 du Code du travail)."], objectives),
                _section("duration", "Durée et période", [f"{_hours(data).capitalize()}, {_period(data)}."]),
                _section("means", "Moyens pédagogiques et techniques", [f"Entretiens individuels avec {consultant}, outils d'évaluation, espace en ligne."]),
                _section("price", "Prix et modalités de paiement", [
                    f"Prix : {price}. Aucune somme ne peut être exigée avant l'expiration du délai de rétractation ; "
                    "un paiement d'au plus 30 % du prix peut alors être demandé, le solde étant échelonné.",
                ]),
                _section("withdrawal", "Délai de rétractation", [
                    "Vous disposez d'un délai de 10 jours à compter de la signature pour vous rétracter, par lettre recommandée avec avis de réception.",
                ]),
                _section("termination", "Interruption de la prestation", [
                    "En cas d'abandon pour un motif de force majeure dûment reconnu, seules les prestations effectivement dispensées sont dues.",
                ]),
            ]
    elif code == "schedule":
        lines = _session_lines(data) or [
            "Phase préliminaire : 1 à 2 entretiens (2 h à 4 h).",
            "Phase d'investigation : 3 à 5 entretiens et travail personnel guidé.",
            "Phase de conclusions : 1 à 2 entretiens (2 h à 4 h).",
            "Entretien de suivi : six mois après la fin du bilan.",
        ]
        sections.append(_section("calendar", "Calendrier", [f"Durée totale prévue : {_hours(data)}, {_period(data)}."], lines))
    elif code in ("questionnaire", "satisfaction_end", "satisfaction_follow_up"):
        if code == "questionnaire":
            questions = [
                {"question": f"Qu'attendez-vous de ce bilan au regard de cet objectif : « {o} » ?", "kind": "text"} for o in objectives[:5]
            ] + [
                {"question": f"Quelles tâches préférez-vous dans votre poste de {job} ?", "kind": "text"},
                {"question": "Quelles contraintes (mobilité, horaires, revenus) votre projet doit-il respecter ?", "kind": "text"},
                {"question": "À quel point vous sentez-vous prêt(e) à changer de métier ?", "kind": "scale", "choices": ["1", "2", "3", "4", "5"]},
            ]
            intro = "Ces questions préparent nos prochains entretiens. Répondez librement."
        elif code == "satisfaction_end":
            scale = ["Pas du tout satisfait", "Peu satisfait", "Satisfait", "Très satisfait"]
            questions = [
                {"question": q, "kind": "choice", "choices": scale}
                for q in ("Accueil et information avant le bilan", "Déroulement des entretiens", "Qualité de l'accompagnement de votre consultant",
                          "Outils et documents utilisés", "Atteinte de vos objectifs")
            ] + [{"question": "Recommanderiez-vous ce bilan ? Pourquoi ?", "kind": "text"}]
            intro = "Votre avis nous aide à améliorer nos bilans (indicateur 30 du référentiel Qualiopi)."
        else:
            questions = [
                {"question": "Où en est votre projet professionnel aujourd'hui ?", "kind": "choice",
                 "choices": ["Réalisé", "En cours", "Reporté", "Abandonné"]},
                {"question": "Le bilan vous a-t-il été utile pour avancer ?", "kind": "scale", "choices": ["1", "2", "3", "4", "5"]},
                {"question": "Quelles difficultés avez-vous rencontrées ?", "kind": "text"},
            ]
            intro = "Six mois après votre bilan, dites-nous où vous en êtes."
        doc["questions"] = questions
        sections.append(_section("introduction", "Introduction", [intro]))
    elif code == "career_path_analysis":
        sessions_notes = [s.get("notes") for s in data.get("sessions") or [] if s.get("notes")]
        sections += [
            _section("path", "Parcours", [f"{name} occupe actuellement le poste de {job}."] + sessions_notes[:3]),
            _section("competences", "Compétences mises en œuvre", [], _competences(data)),
            _section("drivers", "Motivations et constantes", [], _list(data.get("interests"), "À préciser lors des prochains entretiens.")),
        ]
    elif code == "results_interpretation":
        result_lines = []
        for a in data.get("assessments") or []:
            scores = ", ".join(f"{s.get('label')} : {s.get('value')}" + (f"/{s.get('max')}" if s.get("max") else "") for s in a.get("scores") or [])
            result_lines.append(f"{a.get('name')} — {scores}" if scores else str(a.get("name")))
        interpretations = [a.get("summary") for a in data.get("assessments") or [] if a.get("summary")]
        sections += [
            _section("results", "Résultats", ["Résultats des questionnaires et tests passés pendant le bilan."], result_lines or ["Aucun résultat enregistré pour le moment."]),
            _section("interpretation", "Lecture des résultats", interpretations or [
                "Ces résultats sont des repères à discuter avec votre consultant ; ils ne constituent pas un jugement.",
            ]),
        ]
    elif code == "career_options":
        doc["options"] = _options(data) or [
            {"title": f"Évolution dans le métier de {job}", "rationale": "Piste à approfondir à partir de vos compétences actuelles."}
        ]
        sections.append(_section("method", "Méthode", [
            "Ces pistes rapprochent vos compétences, vos intérêts et vos contraintes des fiches métiers du référentiel ROME.",
        ]))
    elif code == "synthesis":
        options = _options(data)
        project = options[0]["title"] if options else (data.get("project") or "le projet défini pendant le bilan")
        steps = _list(data.get("steps"), "") if data.get("steps") else [
            f"Valider le projet « {project} » par des enquêtes métier.",
            "Identifier la formation ou la certification nécessaire et son financement.",
            "Mettre à jour le CV et préparer les candidatures.",
        ]
        doc["steps"] = steps
        sections += [
            _section("circumstances", "Circonstances du bilan", [
                f"{name}, {job}, a réalisé un bilan de compétences avec {org}, accompagné(e) par {consultant}, {_period(data)}.",
            ], objectives),
            _section("competences", "Compétences et aptitudes identifiées", [], _competences(data)),
            _section("project", "Projet professionnel", [f"Le projet retenu : {project}."] + [o["rationale"] for o in options[:1] if o.get("rationale")],
                     [o["title"] for o in options[1:4]] or None),
            _section("conditions_means", "Conditions et moyens de réalisation", [
                "Les conditions de réussite et les moyens à mobiliser (formation, financement, réseau) sont détaillés ci-dessous.",
            ], _list(data.get("constraints"), "Aucune contrainte particulière n'a été signalée.")),
        ]
    elif code == "action_plan":
        actions = []
        for index, step in enumerate(_list(data.get("steps"), "") if data.get("steps") else [], start=1):
            actions.append({"action": step, "owner": name, "resources": f"Accompagnement de {consultant}", "deadline": f"Mois {index}", "indicator": "Étape réalisée et datée"})
        if not actions:
            target = (_options(data) or [{"title": "le projet retenu"}])[0]["title"]
            actions = [
                {"action": f"Réaliser trois enquêtes métier sur « {target} »", "owner": name, "resources": "Réseau professionnel, LinkedIn, annuaire des anciens",
                 "deadline": "Dans 1 mois", "indicator": "Trois comptes rendus d'enquête rédigés"},
                {"action": "Choisir une formation et en obtenir le financement", "owner": name, "resources": "Mon Compte Formation, conseiller en évolution professionnelle",
                 "deadline": "Dans 3 mois", "indicator": "Dossier de financement déposé"},
                {"action": "Mettre à jour le CV et envoyer dix candidatures ciblées", "owner": name, "resources": f"Relecture par {consultant}",
                 "deadline": "Dans 4 mois", "indicator": "Dix candidatures envoyées et suivies"},
            ]
        doc["actions"] = actions
        sections.append(_section("objective", "Objectif", [f"Ce plan organise la mise en œuvre du projet défini pendant le bilan de {name}."]))
    elif code == "follow_up_report":
        sections += [
            _section("progress", "Avancement du projet", [f"Entretien de suivi avec {name}, six mois après la fin du bilan."], _list(data.get("objectives"), "")[:5] if data.get("objectives") else None),
            _section("next", "Suites envisagées", ["Les prochaines étapes ont été revues ensemble."]),
        ]
    elif code == "certificate":
        sections.append(_section("attestation", "Attestation", [
            f"{org} atteste que {name} a suivi un bilan de compétences, {_period(data)}, d'une durée de {_hours(data)}.",
            "Les trois phases prévues par l'article R6313-4 du Code du travail ont été réalisées.",
        ]))
    else:  # pragma: no cover - every type is handled above
        sections.append(_section("content", spec.label, [spec.instructions]))

    charts = _charts(data)
    if charts and code in ("results_interpretation", "synthesis", "career_path_analysis"):
        doc["charts"] = charts
    if not doc["summary"]:
        doc.pop("summary")
    for section in sections:
        if not section["paragraphs"] and not section.get("bullets"):
            section["paragraphs"] = ["À compléter."]
    return doc


def all_codes() -> list[str]:
    return list(TYPES)
