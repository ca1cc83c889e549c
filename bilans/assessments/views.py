"""Pages of the questionnaires, results, 360° feedback, career matching and projects."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from ai.matching import MASTERY_LABELS, RIASEC_NAMES, compare, load_referential, match_occupation, rank
from bilans.assessments import billing, charts, scoring, selectors, services
from bilans.assessments.instruments import DEFINITIONS
from bilans.assessments.instruments.skills import APPETITE, CONTEXT, FREQUENCY, MASTERY, POTENTIAL
from bilans.assessments.models import Assessment, CareerOption
from config.errors import ApplicationError, InvalidInput
from organisations.accounts.models import Role
from organisations.permissions import (
    can_manage_assessments,
    ensure_can_manage_assessments,
    has_role,
    role_required,
)

staff = role_required(Role.ADMIN, Role.CONSULTANT)
members = role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
beneficiary_only = role_required(Role.BENEFICIARY)

SECTION_ACTIONS = ("previous", "next", "save", "submit")


# --- consultant side: follow-up per bilan -----------------------------------------------------------
@staff
def follow_up_index(request):
    bilans = selectors.bilans_for_assessments(user=request.user)
    return render(request, "assessments/follow_up_index.html", {"bilans": bilans})


@members
def bilan_assessments(request, bilan_id):
    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    if has_role(request.user, Role.BENEFICIARY):
        return redirect("assessments:mine")
    assessments = list(selectors.bilan_assessments(bilan))
    rows = [{"assessment": a, "progress": selectors.progress(a)} for a in assessments]
    features = billing.forfait_features(bilan)
    return render(
        request,
        "assessments/bilan_assessments.html",
        {
            "bilan": bilan,
            "rows": rows,
            "catalogue": [
                {**instrument, "included": not instrument["action_code"] or instrument["action_code"] in features}
                for instrument in selectors.instrument_catalogue()
            ],
            "can_manage": can_manage_assessments(request.user, bilan),
            "guided_work_minutes": round(selectors.guided_work_seconds(bilan) / 60),
            "campaigns": [(c, selectors.feedback_results(c)) for c in selectors.feedback_campaigns(bilan)],
            "destruction": selectors.content_destruction(bilan),
        },
    )


@staff
@require_POST
def assessment_assign(request, bilan_id):
    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    code = request.POST.get("instrument", "")
    try:
        assessment = services.assessment_assign(bilan=bilan, instrument_code=code, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"« {assessment.instrument.title} » est proposé à {bilan.beneficiary.full_name}.")
    return redirect("assessments:bilan", bilan_id=bilan.pk)


# --- beneficiary side: answering ----------------------------------------------------------------------
@beneficiary_only
def my_assessments(request):
    assessments = list(selectors.my_assessments(user=request.user))
    rows = [{"assessment": a, "progress": selectors.progress(a)} for a in assessments]
    bilans = {a.bilan_id: a.bilan for a in assessments if a.destroyed_at is None}
    return render(request, "assessments/my_assessments.html", {"rows": rows, "bilans": bilans.values()})


@beneficiary_only
def my_projects(request):
    """The beneficiary's professional projects, as shortlisted with the consultant (read-only)."""
    options = selectors.my_career_options(user=request.user)
    return render(
        request,
        "assessments/my_projects.html",
        {"options": options, "destructions": selectors.my_content_destructions(user=request.user)},
    )


def _sections(definition: dict) -> list[dict]:
    return definition.get("sections", [])


def _item_views(definition: dict, section: dict, answers: dict, errors: dict) -> list[dict]:
    views = []
    for item in section["items"]:
        scale = definition["scales"][item["scale"]]
        view = {"item": item, "scale": scale, "value": answers.get(item["id"]), "error": errors.get(item["id"])}
        if scale["type"] == "likert":
            view["choices"] = [(scale["min"] + i, label) for i, label in enumerate(scale["labels"])]
        elif scale["type"] == "choice":
            view["choices"] = [(o["value"], o["label"]) for o in scale["options"]]
        elif scale["type"] == "ranking":
            current = answers.get(item["id"]) or []
            view["options"] = [
                {"value": o["value"], "label": o["label"], "rank": current.index(o["value"]) + 1 if o["value"] in current else None}
                for o in item["options"]
            ]
            view["ranks"] = list(range(1, len(item["options"]) + 1))
        views.append(view)
    return views


def _posted_answers(definition: dict, section: dict, post) -> tuple[dict, dict]:
    answers, errors = {}, {}
    for item in section["items"]:
        scale = definition["scales"][item["scale"]]
        if scale["type"] == "ranking":
            ranks = {}
            for option in item["options"]:
                ranks[option["value"]] = post.get(f"{item['id']}__{option['value']}", "")
            if not any(ranks.values()):
                continue
            try:
                ordered = sorted(ranks, key=lambda value: int(ranks[value]))
                if sorted(int(r) for r in ranks.values()) != list(range(1, len(ranks) + 1)):
                    raise ValueError
            except ValueError:
                errors[item["id"]] = f"Donnez un rang différent à chaque proposition, de 1 à {len(ranks)}."
                continue
            answers[item["id"]] = ordered
        else:
            value = post.get(item["id"], "")
            if value != "" or scale["type"] == "text":
                answers[item["id"]] = value
    for item_id, value in list(answers.items()):
        item = next(i for i in section["items"] if i["id"] == item_id)
        try:
            scoring.validate_answer(definition, item, value)
        except ApplicationError as error:
            errors[item_id] = error.message
            answers.pop(item_id)
    return answers, errors


@beneficiary_only
def assessment_answer(request, pk):
    assessment = selectors.assessment_for_answer(user=request.user, assessment_id=pk)
    if assessment.status == Assessment.Status.SUBMITTED:
        return redirect("assessments:result", pk=assessment.result.pk)
    if assessment.destroyed_at is not None:  # CT-09: the bilan ended before it was finished
        return render(request, "assessments/destroyed.html", {"assessment": assessment})
    definition = assessment.instrument.definition
    if definition["scoring"]["method"] == "skills":
        return _skills_answer(request, assessment)
    sections = _sections(definition)
    # without a page asked for, resume where the beneficiary left: the first page not finished
    page = request.POST.get("section") or request.GET.get("page") or selectors.resume_page(assessment)
    try:
        index = max(0, min(len(sections) - 1, int(page) - 1))
    except ValueError:
        index = 0
    section = sections[index]
    errors: dict = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        answers, errors = _posted_answers(definition, section, request.POST)
        assessment = services.assessment_save(assessment=assessment, actor=request.user, answers=answers)
        if errors:
            status = 422 if request.htmx else 400
        elif action == "submit":
            try:
                result = services.assessment_submit(assessment=assessment, actor=request.user)
            except ApplicationError as error:
                missing = set(error.extra.get("missing", []))
                first = next((i for i, s in enumerate(sections) if any(item["id"] in missing for item in s["items"])), index)
                suffix = " Complétez-les avant de terminer." if error.code == "answers_missing" else ""
                messages.error(request, f"{error.message}{suffix}")
                return redirect(f"/questionnaires/{assessment.pk}/?page={first + 1}")
            messages.success(request, "Merci ! Vos réponses sont enregistrées et votre résultat est prêt.")
            return redirect("assessments:result", pk=result.pk)
        elif action == "save":
            messages.success(request, "Vos réponses sont enregistrées. Vous pourrez reprendre plus tard là où vous en êtes.")
            return redirect("assessments:mine")
        else:
            target = index + (1 if action == "next" else -1)
            target = max(0, min(len(sections) - 1, target))
            return redirect(f"/questionnaires/{assessment.pk}/?page={target + 1}")
    else:
        services.assessment_page_served(assessment=assessment, actor=request.user)
    answered, total = selectors.progress(assessment)
    context = {
        "assessment": assessment,
        "definition": definition,
        "section": section,
        "index": index,
        "page_number": index + 1,
        "page_count": len(sections),
        "items": _item_views(definition, section, {**assessment.answers, **(request.POST.dict() if errors else {})}, errors),
        "answered": answered,
        "total": total,
        "errors": errors,
        "is_last": index == len(sections) - 1,
    }
    return render(request, "assessments/answer.html", context, status=status)


SKILL_QUESTIONS = [  # (field, question asked on the one-competence screen, choices)
    ("mastery", "Votre niveau de maîtrise", MASTERY),
    ("frequency", "À quelle fréquence l'utilisez-vous ?", FREQUENCY),
    ("context", "Où l'avez-vous acquise ?", CONTEXT),
    ("appetite", "Aimez-vous l'exercer ?", APPETITE),
    ("potential", "Pouvez-vous encore progresser ?", POTENTIAL),
]
SKILL_ACTIONS = ("next", "previous", "skip", "later")


def _skills_url(assessment, *, position: int | None = None, step: str = "") -> str:
    if step:
        return f"/questionnaires/{assessment.pk}/?etape={step}"
    return f"/questionnaires/{assessment.pk}/?competence={position}"


def _skills_answer(request, assessment):
    """The skills self-assessment, for a phone: the métiers first, then one competence per screen
    (large radio buttons, saved at each step, plain form posts), then a review and the submission.
    Without a step asked for, it resumes at the first competence not rated yet."""
    definition = assessment.instrument.definition
    error = None
    posted: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "add_occupation":
                services.skills_occupation_add(
                    assessment=assessment, actor=request.user, code_rome=request.POST.get("code_rome", ""), current=bool(request.POST.get("current"))
                )
                return redirect(_skills_url(assessment, step="metiers"))
            if action == "remove_occupation":
                services.skills_occupation_remove(assessment=assessment, actor=request.user, code_rome=request.POST.get("code_rome", ""))
                return redirect(_skills_url(assessment, step="metiers"))
            ratings = {}
            for key in request.POST:
                if key.startswith("mastery__"):
                    code = key.split("__", 1)[1]
                    ratings[code] = {name: request.POST.get(f"{name}__{code}", "") for name in definition["fields"]}
            posted = ratings
            if action in SKILL_ACTIONS:
                return _skills_step(request, assessment, action, ratings)
            services.skills_ratings_save(assessment=assessment, actor=request.user, ratings=ratings)
            if action == "submit":
                result = services.assessment_submit(assessment=assessment, actor=request.user)
                messages.success(request, "Merci ! Votre autoévaluation est transmise à votre consultant.")
                return redirect("assessments:result", pk=result.pk)
            messages.success(request, "Vos réponses sont enregistrées. Vous pourrez reprendre plus tard.")
            return redirect("assessments:answer", pk=assessment.pk)
        except ApplicationError as exc:
            error = "Évaluez au moins une compétence avant de terminer." if exc.code == "answers_missing" else exc.message
        assessment.refresh_from_db()
    else:
        services.assessment_page_served(assessment=assessment, actor=request.user)
    sequence = selectors.skills_sequence(assessment)
    answered, total = selectors.progress(assessment)
    context = {"assessment": assessment, "answered": answered, "total": total, "error": error, "sequence": sequence}
    status = 400 if error else 200
    step = request.GET.get("etape", "")
    try:
        position = int(request.POST.get("position") or request.GET.get("competence") or 0)
    except ValueError:
        position = 0
    if not sequence or step == "metiers":
        return render(request, "assessments/answer_skills.html", {**context, "step": "metiers", "groups": _skill_groups(sequence)}, status=status)
    if step != "recapitulatif" and not 1 <= position <= len(sequence):
        position = selectors.skills_resume_position(sequence) or 0
    if step == "recapitulatif" or not position:
        labels = dict(MASTERY)
        rows = [{"position": i, **row, "mastery_label": labels.get(row["rating"].get("mastery"), "")} for i, row in enumerate(sequence, start=1)]
        return render(request, "assessments/answer_skills.html", {**context, "step": "recapitulatif", "rows": rows}, status=status)
    row = sequence[position - 1]
    code = str(row["skill"].code_ogr)
    values = {name: value for name, value in (posted.get(code) or row["rating"]).items() if value}
    questions = [
        {"name": name, "question": question, "choices": choices, "value": values.get(name, ""), "required": definition["fields"][name]["required"]}
        for name, question, choices in SKILL_QUESTIONS
    ]
    return render(
        request,
        "assessments/answer_skills.html",
        {**context, "step": "competence", "row": row, "position": position, "code": code, "questions": questions, "is_last": position == len(sequence)},
        status=status,
    )


def _skill_groups(sequence: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for row in sequence:
        groups.setdefault(row["occupation"]["code"], {"occupation": row["occupation"], "count": 0})["count"] += 1
    return list(groups.values())


def _skills_step(request, assessment, action: str, ratings: dict):
    """One competence screen posted: save it when a level of mastery is given, then move on."""
    try:
        position = int(request.POST.get("position", "0"))
    except ValueError:
        position = 0
    chosen = {code: rating for code, rating in ratings.items() if rating.get("mastery")}
    if action == "next" and not chosen:
        raise InvalidInput("Choisissez votre niveau de maîtrise, ou passez cette compétence si vous ne savez pas.", code="rating_required")
    if chosen and action != "skip":
        services.skills_ratings_save(assessment=assessment, actor=request.user, ratings=chosen)
    if action == "later":
        messages.success(request, "Vos réponses sont enregistrées. Vous reprendrez à la première compétence non évaluée.")
        return redirect("assessments:mine")
    total = len(selectors.skills_sequence(assessment))
    target = position - 1 if action == "previous" else position + 1
    if target < 1:
        return redirect(_skills_url(assessment, step="metiers"))
    if target > total:
        return redirect(_skills_url(assessment, step="recapitulatif"))
    return redirect(_skills_url(assessment, position=target))


# --- results ------------------------------------------------------------------------------------------
@members
def result_detail(request, pk):
    result = selectors.result_for(user=request.user, result_id=pk)
    definition = DEFINITIONS.get(result.instrument_code, {})
    context = {
        "result": result,
        "definition": definition,
        "can_manage": can_manage_assessments(request.user, result.bilan),
        "guided_minutes": round(result.guided_work_seconds / 60),
    }
    if result.destroyed_at is not None:  # CT-09: only the facts are kept (taken, when, time spent)
        return render(request, "assessments/result.html", context)
    if result.kind == "skills":
        context["rows"] = selectors.skills_rows(result)
    else:
        labels = definition.get("dimensions", {})
        context["chart"] = mark_safe(charts.result_chart(result))  # built from escaped strings
        context["table"] = [
            {"code": code, "label": labels.get(code, code), **data} for code, data in result.scores.get("dimensions", {}).items()
        ]
        if result.kind == "values":
            context["table"].sort(key=lambda row: row.get("rank") or 99)
        if result.kind == "riasec":
            from ai.selectors import occupations_by_riasec, rome_credit

            context["holland_names"] = [(letter, RIASEC_NAMES[letter]) for letter in result.scores.get("holland_code", "")]
            context["riasec_occupations"] = occupations_by_riasec(result.scores.get("holland_code", ""))
            context["credit"] = rome_credit()
    return render(request, "assessments/result.html", context)


@staff
@require_POST
def skill_review(request, pk):
    result = selectors.result_for(user=request.user, result_id=pk)
    ensure_can_manage_assessments(request.user, result.bilan)
    fields = (*services.REVIEW_FIELDS, "comment")
    reviews = {
        int(code): {name: request.POST.get(f"review_{name}__{code}", "") for name in fields}
        for code in result.answers.get("ratings", {})
    }
    try:
        saved = len(services.skill_reviews_save(result=result, actor=request.user, reviews=reviews))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Relecture enregistrée ({saved} compétence{'s' if saved > 1 else ''}).")
    return redirect("assessments:result", pk=result.pk)


# --- 360° feedback --------------------------------------------------------------------------------------
@members
def feedback_campaign_new(request, bilan_id):
    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    skills_result = selectors.latest_result(bilan, "skills")
    choices = selectors.skills_rows(skills_result) if skills_result else []
    can_approve = can_manage_assessments(request.user, bilan)
    error = None
    if request.method == "POST":
        chosen = set(request.POST.getlist("competences"))
        competences = [{"code": row["code"], "label": row["label"]} for row in choices if str(row["code"]) in chosen]
        emails = [line for line in request.POST.get("emails", "").replace(",", "\n").splitlines() if line.strip()]
        try:
            _campaign, sent = services.feedback_campaign_create(bilan=bilan, actor=request.user, competences=competences, emails=emails)
        except ApplicationError as error_:
            error = error_.message
        else:
            if sent:
                messages.success(request, f"Invitations envoyées à {len(sent)} personnes.")
            else:
                messages.success(
                    request,
                    "Votre demande est transmise à votre consultant : les invitations partiront dès qu’il les aura validées.",
                )
            return redirect("assessments:feedback", bilan_id=bilan.pk)
    campaigns = []
    for campaign in selectors.feedback_campaigns(bilan):
        results = selectors.feedback_results(campaign)
        if results["published"]:
            points = [(row["label"][:40], row["mean"]) for row in results["rows"]]
            results["chart"] = mark_safe(charts.radar(points, title="Regard des collègues, moyenne sur 5", maximum=5))
        campaigns.append((campaign, results, selectors.feedback_invitations_overview(campaign)))
    return render(
        request,
        "assessments/feedback_campaigns.html",
        {
            "bilan": bilan,
            "choices": choices,
            "campaigns": campaigns,
            "error": error,
            "threshold": scoring.FEEDBACK_THRESHOLD,
            "can_approve": can_approve,
            "destruction": selectors.content_destruction(bilan),
        },
        status=400 if error else 200,
    )


@members
@require_POST
def feedback_invitation_decide(request, pk):
    """The bilan's consultant approves (the link is emailed) or refuses (optional reason) one
    invitation the beneficiary made."""
    invitation = selectors.feedback_invitation_for(user=request.user, invitation_id=pk)
    bilan = invitation.campaign.bilan
    ensure_can_manage_assessments(request.user, bilan)  # 403 page for anyone but the consultant
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        raise InvalidInput("Choisissez de valider ou de refuser l’invitation.", code="invalid_decision")
    try:
        if decision == "approve":
            services.feedback_invitation_approve(invitation=invitation, actor=request.user)
            messages.success(request, f"Invitation de {invitation.email} validée : le lien lui est envoyé.")
        else:
            services.feedback_invitation_reject(invitation=invitation, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, f"Invitation de {invitation.email} refusée : aucun lien ne lui sera envoyé.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("assessments:feedback", bilan_id=bilan.pk)


def feedback_answer(request, token):
    """Public page (no account): one invited person rates the selected competences once."""
    try:
        invitation = services.feedback_invitation_for_token(token)
    except ApplicationError as error:
        return render(request, "assessments/feedback_closed.html", {"message": error.message}, status=error.status)
    campaign = invitation.campaign
    error = None
    if request.method == "POST":
        ratings = {str(c["code"]): request.POST.get(f"c{c['code']}", "") for c in campaign.competences}
        try:
            services.feedback_response_submit(token=token, ratings=ratings)
        except ApplicationError as error_:
            error = error_.message
        else:
            return render(request, "assessments/feedback_closed.html", {"message": "Merci, votre réponse anonyme est enregistrée.", "thanks": True})
    scale = [(1, "Insuffisant"), (2, "À développer"), (3, "Satisfaisant"), (4, "Bon"), (5, "Excellent")]
    return render(
        request,
        "assessments/feedback_answer.html",
        {"campaign": campaign, "first_name": campaign.bilan.beneficiary.first_name, "scale": scale, "error": error},
        status=400 if error else 200,
    )


# --- career matching and projects -------------------------------------------------------------------------
def _constraints(request) -> dict:
    executive = {"oui": True, "non": False}.get(request.GET.get("cadre", ""))
    return {
        "executive": executive,
        "sectors_wanted": [s for s in request.GET.getlist("secteur") if s],
        "sectors_excluded": [s for s in request.GET.getlist("exclure") if s],
        "transitions": [t for t in request.GET.getlist("transition") if t in ("eco", "num", "demo")],
    }


def _top_values(summary: dict) -> list[str]:
    """Labels of the two work values ranked first (the ones echoed in the reasons)."""
    labels = DEFINITIONS["values"]["dimensions"]
    return [labels.get(code, code) for code in summary.get("values", [])[:2]]


@staff
def matching(request, bilan_id):
    from ai.models import Sector

    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    ensure_can_manage_assessments(request.user, bilan)
    constraints = _constraints(request)
    profile, summary = selectors.matching_profile(bilan=bilan, constraints=constraints)
    destruction = selectors.content_destruction(bilan)
    if destruction is not None and not (profile.skills or profile.riasec or profile.current_occupations):
        matches = []  # CT-09: nothing left to rank on
    else:
        matches = rank(profile, load_referential(), limit=30)
    shortlisted = set(selectors.career_options(bilan).values_list("code_rome", flat=True))
    return render(
        request,
        "assessments/matching.html",
        {
            "bilan": bilan,
            "matches": matches,
            "summary": summary,
            "constraints": constraints,
            "sectors": Sector.objects.filter(parent__isnull=True).order_by("label"),
            "shortlisted": shortlisted,
            "analyses": bilan.career_analyses.all()[:5],
            "riasec_names": RIASEC_NAMES,
            "skills_result": selectors.latest_result(bilan, "skills"),
            "top_values": _top_values(summary),
            "destruction": destruction,
        },
    )


@staff
def matching_detail(request, bilan_id, code):
    from ai.selectors import occupation_get, skills_by_codes

    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    ensure_can_manage_assessments(request.user, bilan)
    occupation = occupation_get(code)
    referential = load_referential()
    profile, summary = selectors.matching_profile(bilan=bilan, constraints={})
    match = match_occupation(profile, referential.occupations[occupation.code_rome], referential)
    skills = skills_by_codes(match.gap.held + match.gap.partial + match.gap.missing)
    ratings = profile.skills

    def rows(codes):
        return [
            {"label": skills[c].label if c in skills else c, "mastery": MASTERY_LABELS.get(ratings[c].mastery) if c in ratings else ""}
            for c in codes
        ]

    return render(
        request,
        "assessments/matching_detail.html",
        {
            "bilan": bilan,
            "occupation": occupation,
            "match": match,
            "held": rows(match.gap.held),
            "partial": rows(match.gap.partial),
            "missing": rows(match.gap.missing),
            "shortlisted": selectors.career_options(bilan).filter(code_rome=occupation.code_rome).exists(),
            "top_values": _top_values(summary),
            "destruction": selectors.content_destruction(bilan),
        },
    )


@staff
@require_POST
def matching_analysis(request, bilan_id):
    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    try:
        services.career_analysis_run(bilan=bilan, actor=request.user, constraints=_constraints(request))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Analyse complète enregistrée dans le bilan.")
    return redirect("assessments:matching", bilan_id=bilan.pk)


@staff
def projects(request, bilan_id):
    bilan = selectors.bilan_for(user=request.user, bilan_id=bilan_id)
    ensure_can_manage_assessments(request.user, bilan)
    if request.method == "POST":
        action = request.POST.get("action", "")
        # an unknown or malformed project identifier answers 400/404 (French page), never a 500
        option = None if action == "add" else selectors.career_option_for(bilan=bilan, option_id=request.POST.get("option"))
        try:
            if action == "add":
                option = services.career_option_add(
                    bilan=bilan, actor=request.user, code_rome=request.POST.get("code_rome", ""), kind=request.POST.get("kind", "alternative")
                )
                messages.success(request, f"« {option.label} » ajouté aux projets professionnels.")
            else:
                if action == "remove":
                    services.career_option_remove(option=option, actor=request.user)
                    messages.success(request, f"« {option.label} » retiré des projets.")
                else:
                    services.career_option_update(
                        option=option,
                        actor=request.user,
                        kind=request.POST.get("kind") or None,
                        advantages=request.POST.get("advantages"),
                        risks=request.POST.get("risks"),
                        feasibility=request.POST.get("feasibility"),
                    )
                    messages.success(request, f"« {option.label} » mis à jour.")
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("assessments:projects", bilan_id=bilan.pk)
    options = list(selectors.career_options(bilan))
    comparison = _comparison(request, options)
    return render(
        request,
        "assessments/projects.html",
        {
            "bilan": bilan,
            "options": options,
            "comparison": comparison,
            "max_projects": services.max_projects(bilan),
            "kinds": CareerOption.Kind.choices,
            "destruction": selectors.content_destruction(bilan),
        },
    )


CRITERIA = [
    ("competences", "Compétences déjà acquises"),
    ("riasec", "Intérêts (RIASEC)"),
    ("mobility", "Proximité avec le métier actuel"),
    ("feasibility", "Faisabilité (appréciation du consultant)"),
]


def _comparison(request, options):
    chosen = [o for o in options if str(o.pk) in request.GET.getlist("comparer")][:3]
    if len(chosen) < 2:
        return None
    weights = {}
    for name, _label in CRITERIA:
        try:
            weights[name] = max(0.0, min(10.0, float(request.GET.get(f"poids_{name}", 1))))
        except ValueError:
            weights[name] = 1.0
    criteria_values = []
    for option in chosen:
        breakdown = option.match.get("breakdown", {})
        criteria_values.append(
            {
                "competences": breakdown.get("competences") or 0,
                "riasec": breakdown.get("riasec") or 0,
                "mobility": breakdown.get("mobility") or 0,
                "feasibility": (option.feasibility - 1) * 25 if option.feasibility else 0,
            }
        )
    totals = compare(criteria_values, weights)
    rows = [
        {"name": name, "label": label, "weight": weights[name], "values": [values[name] for values in criteria_values]}
        for name, label in CRITERIA
    ]
    return {"options": chosen, "rows": rows, "totals": totals, "weights": weights}
