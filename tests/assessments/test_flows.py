"""Questionnaires end to end: assignment, answering with save and resume, immutable results,
skills review (both views kept), 360° feedback anonymity threshold, matching and projects."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from bilans.assessments import scoring, selectors, services
from bilans.assessments.instruments import DEFINITIONS
from bilans.assessments.models import Assessment, FeedbackInvitation, Result
from config.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import client_for


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def full_riasec_answers():
    return {item["id"]: 5 if item["dimension"] in "IC" else 2 for item in scoring.iter_items(DEFINITIONS["riasec"])}


def test_consultant_assigns_and_beneficiary_answers_with_save_and_resume(rome, cast_a, bilan_a):
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(f"/bilans/{bilan_a.pk}/questionnaires/proposer/", {"instrument": "riasec"})
    assert response.status_code == 302
    with in_schema(cast_a):
        assessment = Assessment.objects.get(bilan=bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    assert "(RIASEC)" in me.get("/mes-questionnaires/").content.decode()
    page = me.get(f"/questionnaires/{assessment.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<progress value="0" max="48"' in html
    assert '<legend>Réparer un appareil ou un meuble</legend>' in html and 'for="R01-5"' in html
    # first page answered, then "save and come back later"
    first = {f"R{n:02d}": "4" for n in range(1, 9)}
    response = me.post(f"/questionnaires/{assessment.pk}/", {"section": "1", "action": "save", **first})
    assert response.status_code == 302 and response["Location"] == "/mes-questionnaires/"
    with in_schema(cast_a):
        assessment.refresh_from_db()
        assert assessment.answers["R01"] == 4 and assessment.status == "in_progress"
        answered, total = selectors.progress(assessment)
    assert (answered, total) == (8, 48)
    resumed = me.get(f"/questionnaires/{assessment.pk}/?page=1").content.decode()
    assert 'id="R01-4" name="R01" value="4" checked' in resumed
    # an invalid answer is refused with a French message, nothing is lost
    bad = me.post(f"/questionnaires/{assessment.pk}/", {"section": "2", "action": "next", "I01": "9"})
    assert bad.status_code == 400 and "Choisissez une des réponses proposées." in bad.content.decode()
    # submitting with missing answers sends back to the first incomplete page
    incomplete = me.post(f"/questionnaires/{assessment.pk}/", {"section": "6", "action": "submit"})
    assert incomplete["Location"].endswith("?page=2")
    with in_schema(cast_a):
        user = cast_a.beneficiary_user
        services.assessment_save(assessment=assessment, actor=user, answers=full_riasec_answers())
    done = me.post(f"/questionnaires/{assessment.pk}/", {"section": "6", "action": "submit"})
    assert done.status_code == 302 and done["Location"].startswith("/resultats/")
    with in_schema(cast_a):
        result = Result.objects.get(assessment=assessment)
        assert (result.instrument_code, result.instrument_version) == ("riasec", 1)
        assert result.scores["holland_code"] == "ICR"
    page = cast_a.client(cast_a.consultant).get(f"/resultats/{result.pk}/").content.decode()
    assert 'role="img"' in page and "<desc>" in page and "Votre code de Holland : <strong>ICR</strong>" in page
    assert "· IC</span>" in page and "Source : France Travail, ROME 4.0 (v460)" in page  # ROME métiers coded IC


def test_primo_diagnostic_choice_free_text_and_radar(cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="primo360", actor=cast_a.consultant)
        answers = {item["id"]: 4 for item in scoring.iter_items(DEFINITIONS["primo360"]) if item["scale"] == "maturite"}
        services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers=answers)
    me = cast_a.client(cast_a.beneficiary_user)
    last = me.get(f"/questionnaires/{assessment.pk}/?page=9").content.decode()
    assert "Dans l&#x27;année" in last and '<textarea id="freins"' in last
    assert '<progress value="24" max="25"' in last  # the optional free text is not counted
    done = me.post(f"/questionnaires/{assessment.pk}/", {"section": "9", "action": "submit", "horizon": "1y", "freins": "Le logement"})
    assert done.status_code == 302
    page = me.get(done["Location"]).content.decode()
    assert "Maturité du projet de mobilité par domaine de vie" in page and "<polygon" in page and "Logement" in page
    with in_schema(cast_a):
        result = Assessment.objects.get(pk=assessment.pk).result
        assert result.answers["freins"] == "Le logement" and result.scores["dimensions"]["job"]["score"] == 75.0


def test_big_five_result_makes_no_clinical_claim(cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="big_five", actor=cast_a.consultant)
        answers = {item["id"]: 4 for item in scoring.iter_items(DEFINITIONS["big_five"])}
        services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers=answers)
        result = services.assessment_submit(assessment=assessment, actor=cast_a.beneficiary_user)
    page = cast_a.client(cast_a.beneficiary_user).get(f"/resultats/{result.pk}/").content.decode()
    assert "ce n’est pas un outil de diagnostic" in page and "Stabilité émotionnelle" in page


def test_result_is_immutable_and_answers_are_frozen(cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)
        services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers=full_riasec_answers())
        result = services.assessment_submit(assessment=assessment, actor=cast_a.beneficiary_user)
        with pytest.raises(Conflict):
            services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers={"R01": 1})
        with pytest.raises(ValueError):
            result.save()
        with pytest.raises(DatabaseError), transaction.atomic():
            Result.objects.filter(pk=result.pk).update(scores={})
        with pytest.raises(DatabaseError), transaction.atomic():
            Result.objects.filter(pk=result.pk).delete()
        # a new assessment of the same instrument may be given afterwards
        again = services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)
        assert again.pk != assessment.pk
        with pytest.raises(Conflict):
            services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)


def test_time_spent_counts_as_guided_work_with_a_cap(cast_a, bilan_a):
    with in_schema(cast_a):
        user = cast_a.beneficiary_user
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="values", actor=cast_a.consultant)
        start = timezone.now()
        Assessment.objects.filter(pk=assessment.pk).update(page_served_at=start)
        services.assessment_save(assessment=assessment, actor=user, answers={"V01": 5}, now=start + timedelta(minutes=4))
        # a page left open for two hours counts 15 minutes at most
        services.assessment_save(assessment=assessment, actor=user, answers={"V02": 4}, now=start + timedelta(minutes=4, hours=2))
        assessment.refresh_from_db()
        assert assessment.time_spent_seconds == 4 * 60 + 15 * 60
        answers = {item["id"]: 3 for item in DEFINITIONS["values"]["sections"][0]["items"]}
        answers["V_RANK"] = list(DEFINITIONS["values"]["dimensions"])
        services.assessment_save(assessment=assessment, actor=user, answers=answers, now=start + timedelta(hours=3))
        result = services.assessment_submit(assessment=assessment, actor=user, now=start + timedelta(hours=3, minutes=1))
        assert result.guided_work_seconds == (4 + 15 + 15 + 1) * 60  # each gap capped at 15 min
        assert selectors.guided_work_seconds(bilan_a) == result.guided_work_seconds
    html = cast_a.client(cast_a.beneficiary_user).get(f"/resultats/{result.pk}/").content.decode()
    assert "Valeurs professionnelles (score sur 100)" in html and "<rect" in html


def test_permissions_on_questionnaires(cast_a, bilan_a):
    with in_schema(cast_a):
        with pytest.raises(Forbidden):
            services.assessment_assign(bilan=bilan_a, instrument_code="big_five", actor=cast_a.other_consultant)
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="big_five", actor=cast_a.consultant)
        with pytest.raises(Forbidden):  # only the beneficiary answers
            services.assessment_save(assessment=assessment, actor=cast_a.consultant, answers={"B01": 3})
    assert cast_a.client(cast_a.other_consultant).get(f"/bilans/{bilan_a.pk}/questionnaires/").status_code == 403
    assert cast_a.client(cast_a.consultant).get(f"/questionnaires/{assessment.pk}/").status_code == 403
    assert client_for(cast_a.organisation).get(f"/questionnaires/{assessment.pk}/").status_code == 302  # login
    api = cast_a.client(cast_a.other_consultant).get(f"/api/v1/bilans/{bilan_a.pk}/results/")
    assert api.status_code == 403 and api.json()["code"] == "bilan_not_assigned"
    assert cast_a.client(cast_a.consultant).get(f"/api/v1/bilans/{bilan_a.pk}/results/").json() == []
    created = cast_a.client(cast_a.consultant).post(f"/api/v1/bilans/{bilan_a.pk}/assessments/", {"instrument": "values"})
    assert created.status_code == 201 and created.json()["instrument_code"] == "values"
    again = cast_a.client(cast_a.consultant).post(f"/api/v1/bilans/{bilan_a.pk}/assessments/", {"instrument": "values"})
    assert again.status_code == 409 and again.json()["code"] == "assessment_already_open"
    refused = cast_a.client(cast_a.beneficiary_user).post(f"/api/v1/bilans/{bilan_a.pk}/assessments/", {"instrument": "riasec"})
    assert refused.status_code == 403
    listed = cast_a.client(cast_a.beneficiary_user).get(f"/api/v1/bilans/{bilan_a.pk}/assessments/").json()
    assert {a["instrument_code"] for a in listed} == {"big_five", "values"}


def _skills_result(cast, bilan, *, code="M1805", levels=None):
    from ai.selectors import occupation_skills

    user = cast.beneficiary_user
    assessment = services.assessment_assign(bilan=bilan, instrument_code="skills", actor=cast.consultant)
    services.skills_occupation_add(assessment=assessment, actor=user, code_rome=code, current=True)
    skills = [skill.code_ogr for skill, _ in occupation_skills(code)]
    levels = levels or {}
    ratings = {str(c): {"mastery": levels.get(c, "expert"), "appetite": "likes", "frequency": "often", "context": "work"} for c in skills}
    services.skills_ratings_save(assessment=assessment, actor=user, ratings=ratings)
    return services.assessment_submit(assessment=assessment, actor=user), skills


def test_skills_self_assessment_and_consultant_review_keep_both_views(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        result, skills = _skills_result(cast_a, bilan_a)
        assert result.scores["rated"] == len(skills) and result.scores["occupations"] == ["M1805"]
        with pytest.raises(InvalidInput):
            services.skills_ratings_save(
                assessment=services.assessment_assign(bilan=bilan_a, instrument_code="skills", actor=cast_a.consultant),
                actor=cast_a.beneficiary_user,
                ratings={str(skills[0]): {"mastery": "expert"}},  # no métier chosen yet
            )
    response = cast_a.client(cast_a.consultant).post(
        f"/resultats/{result.pk}/relecture/",
        {f"review_mastery__{skills[0]}": "beginner", f"review_appetite__{skills[0]}": "dislikes", f"review_comment__{skills[0]}": "À confirmer"},
    )
    assert response.status_code == 302
    with in_schema(cast_a):
        rows = {row["code"]: row for row in selectors.skills_rows(result)}
        assert rows[skills[0]]["self"]["mastery"] == "expert"
        assert rows[skills[0]]["review"].mastery == "beginner"
        validated = selectors.validated_skills(bilan_a)
        assert validated[skills[0]].mastery == "beginner" and validated[skills[1]].mastery == "expert"
        assert (validated[skills[0]].appetite, validated[skills[1]].appetite) == ("dislikes", "likes")
        with pytest.raises(Forbidden):
            services.skill_review_save(result=result, actor=cast_a.other_consultant, skill_code=skills[0], mastery="expert")
    page = cast_a.client(cast_a.beneficiary_user).get(f"/resultats/{result.pk}/").content.decode()
    assert "À confirmer" in page and "Source : France Travail, ROME 4.0 (v460)" in page


def test_360_feedback_threshold_single_use_links_and_anonymity(cast_a, bilan_a, rome):
    with in_schema(cast_a):
        competences = [{"code": 100, "label": "Coder"}, {"code": 200, "label": "Animer une équipe"}]
        with pytest.raises(InvalidInput):
            services.feedback_campaign_create(bilan=bilan_a, actor=cast_a.beneficiary_user, competences=competences, emails=["a@x.test", "b@x.test"])
        # invited by the consultant: approved and sent at once (the beneficiary's wait for approval)
        campaign, links = services.feedback_campaign_create(
            bilan=bilan_a, actor=cast_a.consultant, competences=competences,
            emails=["collegue1@exemple.test", "collegue2@exemple.test", "collegue3@exemple.test", "chef@exemple.test"],
        )
        assert FeedbackInvitation.objects.filter(campaign=campaign).count() == 4
        assert not FeedbackInvitation.objects.filter(token_hash=links[0][1]).exists()  # only hashes are stored
    anonymous = client_for(cast_a.organisation)
    form = anonymous.get(f"/retour-360/{links[0][1]}/")
    assert form.status_code == 200 and "Coder" in form.content.decode()
    assert anonymous.post(f"/retour-360/{links[0][1]}/", {"c100": "4", "c200": "2"}).status_code == 200
    assert anonymous.get(f"/retour-360/{links[0][1]}/").status_code == 409  # single use
    assert anonymous.post(f"/retour-360/{links[1][1]}/", {"c100": "2", "c200": "5"}).status_code == 200
    page = cast_a.client(cast_a.beneficiary_user).get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    assert "dès que 3 personnes auront répondu" in page and "Moyenne des notes" not in page
    with in_schema(cast_a):
        assert selectors.feedback_results(campaign)["published"] is False
    assert anonymous.post(f"/retour-360/{links[2][1]}/", {"c100": "3"}).status_code == 200
    with in_schema(cast_a):
        results = selectors.feedback_results(campaign)
    assert results["published"] is True and results["count"] == 3
    assert results["rows"][0]["mean"] == 3.0  # (4 + 2 + 3) / 3
    assert results["rows"][1]["mean"] is None  # rated by two people only: hidden
    assert anonymous.get("/retour-360/inconnu/").status_code == 404
    page = cast_a.client(cast_a.consultant).get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    assert "Regard des collègues, moyenne sur 5" in page and "Coder : 3 sur 5" in page and "Moyenne des notes" in page


def test_matching_page_shortlist_projects_and_comparison(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        _skills_result(cast_a, bilan_a)
        riasec = services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)
        services.assessment_save(assessment=riasec, actor=cast_a.beneficiary_user, answers=full_riasec_answers())
        services.assessment_submit(assessment=riasec, actor=cast_a.beneficiary_user)
    consultant = cast_a.client(cast_a.consultant)
    page = consultant.get(f"/bilans/{bilan_a.pk}/pistes/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("M1805") < html.index("M1802")  # the current métier with every competence comes first
    assert "Compétences : vous en avez" in html and "Source : France Travail, ROME 4.0 (v460)" in html
    non_executive = consultant.get(f"/bilans/{bilan_a.pk}/pistes/", {"cadre": "non", "transition": "num"}).content.decode()
    assert "/pistes/M1805/" not in non_executive and "/pistes/M1810/" in non_executive  # technicien: not executive, digital
    detail = consultant.get(f"/bilans/{bilan_a.pk}/pistes/M1855/").content.decode()
    assert "À acquérir" in detail
    api = consultant.get(f"/api/v1/bilans/{bilan_a.pk}/matching/", {"limit": 3}).json()
    assert api["results"][0]["code_rome"] == "M1805" and api["results"][0]["gap"]["missing"] == []
    for code, kind in (("M1805", "main"), ("M1855", "alternative"), ("M1802", "alternative")):
        assert consultant.post(f"/bilans/{bilan_a.pk}/projets/", {"action": "add", "code_rome": code, "kind": kind}).status_code == 302
    with in_schema(cast_a):
        options = list(selectors.career_options(bilan_a))
        assert [(o.code_rome, o.kind, o.scenario) for o in options] == [
            ("M1805", "main", "A"), ("M1855", "alternative", "B"), ("M1802", "alternative", "C")
        ]
        assert options[0].match["score"] > options[1].match["score"]
        with pytest.raises(Conflict):  # the forfait's number of projects
            services.career_option_add(bilan=bilan_a, actor=cast_a.consultant, code_rome="M1810")
        services.career_option_update(option=options[1], actor=cast_a.consultant, feasibility=5, advantages="Marché porteur")
    compare = consultant.get(
        f"/bilans/{bilan_a.pk}/projets/",
        {"comparer": [str(options[0].pk), str(options[1].pk)], "poids_competences": 1, "poids_riasec": 0, "poids_mobility": 0, "poids_feasibility": 0},
    ).content.decode()
    assert "Comparaison pondérée" in compare and "Marché porteur" in compare
    assert "<strong>100,0</strong>" in compare  # M1805: every competence held, weight on competences only
    mine = cast_a.client(cast_a.beneficiary_user).get("/mes-projets/").content.decode()
    assert "Scénario B : Développeur / Développeuse web" in mine and "Marché porteur" in mine and "Projet principal" in mine
    assert cast_a.client(cast_a.consultant).get("/mes-projets/").status_code == 403
    with in_schema(cast_a):
        analysis = services.career_analysis_run(bilan=bilan_a, actor=cast_a.consultant, constraints={})
        assert analysis.top[0]["code_rome"] == "M1805" and analysis.rome_version == 460
    connection.set_schema_to_public()


def test_beneficiary_invites_colleagues_by_email_with_single_use_links(rome, cast_a, bilan_a, worker, django_capture_on_commit_callbacks):
    from django.core import mail

    with in_schema(cast_a):
        result, skills = _skills_result(cast_a, bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    form = me.get(f"/bilans/{bilan_a.pk}/retours-360/").content.decode()
    assert f'name="competences" value="{skills[0]}"' in form
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = me.post(
            f"/bilans/{bilan_a.pk}/retours-360/",
            {"competences": [str(skills[0]), str(skills[1])], "emails": "a@exemple.test\nb@exemple.test, c@exemple.test"},
        )
    assert response.status_code == 302
    worker.broker.join("default")
    worker.join()
    invited = {"a@exemple.test", "b@exemple.test", "c@exemple.test"}
    assert not [m for m in mail.outbox if invited & set(m.to)]  # nothing before the consultant's approval
    with in_schema(cast_a):
        pending = list(FeedbackInvitation.objects.filter(campaign__bilan=bilan_a).values_list("pk", flat=True))
    consultant = cast_a.client(cast_a.consultant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for pk in pending:
            assert consultant.post(f"/retours-360/invitations/{pk}/decision/", {"decision": "approve"}).status_code == 302
    worker.broker.join("default")
    worker.join()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@exemple.test", "b@exemple.test", "c@exemple.test"]
    body = mail.outbox[0].body
    assert "http://alpha.localhost:8000/retour-360/" in body and "anonymes" in body
    link = body.split("http://alpha.localhost:8000", 1)[1].split()[0]
    anonymous = client_for(cast_a.organisation)
    assert anonymous.get(link).status_code == 200
    too_few = me.post(f"/bilans/{bilan_a.pk}/retours-360/", {"competences": [str(skills[0])], "emails": "x@exemple.test"})
    assert too_few.status_code == 400 and "au moins 3 personnes" in too_few.content.decode()


def test_skills_pages_pick_metiers_and_rate_competences(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="skills", actor=cast_a.consultant)
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/questionnaires/{assessment.pk}/"
    first = me.get(url).content.decode()
    assert 'hx-get="/metiers/suggestions/?mode=choix&amp;field=code_rome"' in first
    added = me.post(url, {"action": "add_occupation", "code_rome": "D1102", "current": "1"})
    assert added.status_code == 302 and added["Location"] == f"{url}?etape=metiers"
    page = me.get(added["Location"]).content.decode()
    assert "Boulanger / Boulangère" in page and "Métier actuel" in page
    with in_schema(cast_a):
        from ai.selectors import occupation_skills

        codes = [skill.code_ogr for skill, _ in occupation_skills("D1102")]
    first_skill = me.get(url).content.decode()  # one competence per screen, large radio buttons
    assert f"Compétence 1 sur {len(codes)}" in first_skill
    assert f'<input type="radio" name="mastery__{codes[0]}" value="advanced">' in first_skill
    saved = me.post(url, {"action": "save", f"mastery__{codes[0]}": "advanced", f"appetite__{codes[0]}": "likes", f"mastery__{codes[1]}": ""})
    assert saved.status_code == 302
    assert '<progress value="1" max="%d"' % len(codes) in me.get(url).content.decode()
    bad = me.post(url, {"action": "save", f"mastery__{codes[0]}": "génie"})
    assert bad.status_code == 400 and "Choisissez une des réponses proposées." in bad.content.decode()
    done = me.post(url, {"action": "submit", f"mastery__{codes[1]}": "expert"})
    assert done.status_code == 302 and done["Location"].startswith("/resultats/")
    with in_schema(cast_a):
        result = Assessment.objects.get(pk=assessment.pk).result
    assert result.answers["ratings"] == {str(codes[0]): {"mastery": "advanced", "appetite": "likes"}, str(codes[1]): {"mastery": "expert"}}
    assert result.answers["occupations"] == [{"code": "D1102", "label": "Boulanger / Boulangère", "current": True}]
