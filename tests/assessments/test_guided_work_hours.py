"""Time spent answering questionnaires is guided personal work: it shows in the bilan's hours
(consultant and beneficiary pages) and counts towards the 24-hour cap (CT-02)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from bilans.assessments import selectors, services
from bilans.assessments.instruments import DEFINITIONS
from bilans.assessments.models import Assessment
from bilans.models import Session
from bilans.selectors import bilan_hours
from bilans.services import session_plan
from config.errors import Conflict

PARIS = ZoneInfo("Europe/Paris")


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def answer_values_for(cast, bilan, *, minutes: int, seconds: int = 0):
    """The beneficiary answers the (free) values questionnaire over ``minutes`` (+ ``seconds``)
    of counted time: saves every 15 minutes at most (the per-page cap), then submits."""
    user = cast.beneficiary_user
    assessment = services.assessment_assign(bilan=bilan, instrument_code="values", actor=cast.consultant)
    start = timezone.now()
    Assessment.objects.filter(pk=assessment.pk).update(page_served_at=start)
    answers = {item["id"]: 3 for item in DEFINITIONS["values"]["sections"][0]["items"]}
    answers["V_RANK"] = list(DEFINITIONS["values"]["dimensions"])
    elapsed = timedelta()
    remaining = timedelta(minutes=minutes, seconds=seconds)
    while remaining > timedelta():
        step = min(remaining, timedelta(minutes=15))
        elapsed += step
        remaining -= step
        services.assessment_save(assessment=assessment, actor=user, answers=answers, now=start + elapsed)
    return services.assessment_submit(assessment=assessment, actor=user, now=start + elapsed)


def test_questionnaire_time_counts_as_guided_work_on_the_bilan_pages(cast_a, bilan_a):
    """CT-02: 90 minutes spent on questionnaires show as 1 h 30 of guided personal work, for the
    consultant and the beneficiary, and in the API's hours summary."""
    with in_schema(cast_a):
        before = bilan_hours(bilan_a)
        result = answer_values_for(cast_a, bilan_a, minutes=90)
        assert result.guided_work_seconds == 90 * 60
        hours = bilan_hours(bilan_a)
        assert hours.questionnaire_minutes == 90
        assert hours.guided_work_minutes == before.guided_work_minutes + 90
        assert hours.remaining_minutes == before.remaining_minutes - 90
    page = cast_a.client(cast_a.consultant).get(f"/bilans/{bilan_a.pk}/").content.decode()
    assert "<dt>Travail personnel guidé</dt><dd>1 h 30 sur 6 h, dont 1 h 30 de questionnaires</dd>" in page
    mine = cast_a.client(cast_a.beneficiary_user).get("/mon-bilan/").content.decode()
    assert "dont 1 h 30 de travail personnel guidé (questionnaires compris : 1 h 30)" in mine


def test_questionnaire_time_is_rounded_to_the_nearest_minute_over_the_bilan(cast_a, bilan_a):
    with in_schema(cast_a):
        answer_values_for(cast_a, bilan_a, minutes=10, seconds=29)
        assert selectors.guided_work_minutes(bilan_a) == 10
        answer_values_for(cast_a, bilan_a, minutes=0, seconds=2)  # 10 min 31 s in all
        assert selectors.guided_work_minutes(bilan_a) == 11
        assert bilan_hours(bilan_a).questionnaire_minutes == 11


def test_a_session_beyond_24_hours_counting_questionnaire_time_is_refused(cast_a, bilan_a):
    """CT-02: the 24-hour cap counts the time spent on questionnaires as guided personal work;
    a session that would exceed it is refused and the message gives what remains."""
    consultant = cast_a.consultant
    with in_schema(cast_a):
        answer_values_for(cast_a, bilan_a, minutes=90)
        assert (bilan_a.planned_accompaniment_minutes, bilan_a.planned_guided_work_minutes) == (18 * 60, 6 * 60)
        for day in range(9):
            session_plan(actor=consultant, bilan=bilan_a, starts_at=datetime(2026, 11, 2 + day, 9, tzinfo=PARIS), duration_minutes=120)
        guided = {"kind": Session.Kind.GUIDED_WORK, "modality": Session.Modality.AUTONOMOUS}
        with pytest.raises(Conflict) as error:  # 18 h + 1 h 30 + 5 h > 24 h
            session_plan(actor=consultant, bilan=bilan_a, starts_at=datetime(2026, 11, 20, 9, tzinfo=PARIS), duration_minutes=5 * 60, **guided)
        assert error.value.code == "hours_cap_exceeded"
        assert "Il reste 4 h 30 disponibles" in error.value.message
        assert error.value.extra["remaining_minutes"] == 270
        session_plan(actor=consultant, bilan=bilan_a, starts_at=datetime(2026, 11, 20, 9, tzinfo=PARIS), duration_minutes=270, **guided)
        assert bilan_hours(bilan_a).remaining_minutes == 0
        with pytest.raises(Conflict) as error:
            session_plan(actor=consultant, bilan=bilan_a, starts_at=datetime(2026, 11, 21, 9, tzinfo=PARIS), duration_minutes=15, **guided)
        assert error.value.code == "hours_cap_exceeded" and "Il reste 0 min disponibles" in error.value.message


def test_questionnaire_time_uses_the_guided_work_budget_of_the_split(cast_a, bilan_a):
    """CT-02 with the 18 + 6 split: questionnaire time comes out of the guided-work budget."""
    with in_schema(cast_a):
        answer_values_for(cast_a, bilan_a, minutes=90)
        guided = {"kind": Session.Kind.GUIDED_WORK, "modality": Session.Modality.AUTONOMOUS}
        with pytest.raises(Conflict) as error:
            session_plan(actor=cast_a.consultant, bilan=bilan_a, starts_at=datetime(2026, 11, 20, 9, tzinfo=PARIS), duration_minutes=5 * 60, **guided)
        assert error.value.code == "hours_split_exceeded"
        assert "Il reste 4 h 30 de travail personnel guidé" in error.value.message


def test_a_split_below_the_questionnaire_time_already_spent_is_refused_with_the_figures(cast_a, bilan_a):
    """CT-02: the split of the 24 hours cannot give guided work less than the time the
    beneficiary already spent on questionnaires; the message says what is used."""
    from bilans.services import bilan_set_plan

    with in_schema(cast_a):
        answer_values_for(cast_a, bilan_a, minutes=90)
        with pytest.raises(Conflict) as refused:
            bilan_set_plan(actor=cast_a.consultant, bilan=bilan_a, accompaniment_minutes=20 * 60, guided_work_minutes=60)
        assert refused.value.code == "split_below_planned"
        assert "1 h 30 de travail personnel guidé, questionnaires compris" in refused.value.message
        bilan_a.refresh_from_db()
        assert bilan_a.planned_guided_work_minutes == 6 * 60
        bilan_set_plan(actor=cast_a.consultant, bilan=bilan_a, accompaniment_minutes=20 * 60, guided_work_minutes=2 * 60)
