"""Reassigning a beneficiary to another consultant: their upcoming booked appointments follow
when the new consultant is free at that time; otherwise they stay with the former consultant
and the new consultant and the administrators are told to move them. Audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.scheduling.models import Appointment, AvailabilityException
from bilans.scheduling.services import appointment_book, appointment_cancel
from organisations.accounts.models import AuditEvent
from organisations.models import Notification

pytestmark = pytest.mark.django_db


def _day(offset_days: int, hour: int):
    """A local time ``offset_days`` from today at ``hour``:00 (any weekday: staff bookings are
    not limited to the published availability)."""
    moment = timezone.localtime() + timedelta(days=offset_days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def booked(cast_a):
    """The beneficiary's bilan and appointments with the former consultant, and what keeps the
    new consultant busy: another appointment overlapping one of them, and an absence."""
    from bilans.services import bilan_create

    former, new = cast_a.consultant, cast_a.other_consultant
    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=former, beneficiary=cast_a.beneficiary)
        free = appointment_book(actor=former, beneficiary=cast_a.beneficiary, starts_at=_day(20, 10), modality="video")
        clash = appointment_book(actor=former, beneficiary=cast_a.beneficiary, starts_at=_day(21, 14), modality="phone")
        away = appointment_book(actor=former, beneficiary=cast_a.beneficiary, starts_at=_day(22, 9), modality="in_person")
        cancelled = appointment_book(actor=former, beneficiary=cast_a.beneficiary, starts_at=_day(23, 11), modality="phone")
        appointment_cancel(actor=former, appointment=cancelled)
        past = Appointment.objects.create(
            consultant=former, beneficiary=cast_a.beneficiary, bilan=bilan, starts_at=_day(-3, 10), ends_at=_day(-3, 11), modality="phone"
        )
        # the new consultant: another person's appointment overlapping "clash", an absence over "away"
        appointment_book(actor=cast_a.admin, beneficiary=cast_a.other_beneficiary, consultant=new, starts_at=_day(21, 14) + timedelta(minutes=30), modality="phone")
        AvailabilityException.objects.create(consultant=new, kind="unavailable", starts_at=_day(22, 8), ends_at=_day(22, 18))
    return {"bilan": bilan, "free": free, "clash": clash, "away": away, "cancelled": cancelled, "past": past}


def test_upcoming_appointments_follow_the_new_consultant_when_free(cast_a, booked):
    """The free one moves (same time, new iCalendar sequence); the one overlapping another
    appointment of the new consultant and the one during their absence stay with the former
    consultant, and the new consultant and the administrators are asked to move them; past and
    cancelled appointments are left alone. Every outcome is audited."""
    former, new = cast_a.consultant, cast_a.other_consultant
    with tenant_context(cast_a.organisation):
        sequence_before = Appointment.objects.get(pk=booked["free"].pk).sequence
    response = cast_a.client(cast_a.admin).post(f"/beneficiaires/{cast_a.beneficiary.pk}/attribuer/", {"consultant": new.pk})
    assert response.status_code == 302

    with tenant_context(cast_a.organisation):
        rows = {name: Appointment.objects.get(pk=a.pk) for name, a in booked.items() if name != "bilan"}
        assert rows["free"].consultant_id == new.pk and rows["free"].sequence == sequence_before + 1
        assert rows["free"].status == "booked" and rows["free"].starts_at == booked["free"].starts_at
        # not free: kept with the former consultant
        assert rows["clash"].consultant_id == former.pk and rows["away"].consultant_id == former.pk
        # neither the past nor the cancelled appointment moves
        assert rows["past"].consultant_id == former.pk and rows["cancelled"].consultant_id == former.pk

        moved = AuditEvent.objects.get(action="appointment.consultant_changed")
        assert moved.object_id == str(booked["free"].pk) and moved.actor_id == cast_a.admin.pk
        assert moved.details["consultant_id"] == new.pk and moved.details["previous_consultant_id"] == former.pk
        assert moved.details["bilan_id"] == str(booked["bilan"].pk)
        blocked = set(AuditEvent.objects.filter(action="appointment.reassignment_blocked").values_list("object_id", flat=True))
        assert blocked == {str(booked["clash"].pk), str(booked["away"].pk)}
        assigned = AuditEvent.objects.get(action="beneficiary.consultant_assigned", object_id=str(cast_a.beneficiary.pk), details__consultant_id=new.pk)
        assert assigned.details["appointments_moved"] == 1 and assigned.details["appointments_kept"] == 2

        # who is told what (French)
        to_move = Notification.objects.filter(title__contains="à déplacer")
        assert set(to_move.values_list("recipient_id", flat=True)) >= {new.pk, cast_a.admin.pk}
        assert to_move.filter(recipient=new).count() == 2
        assert "n'est pas disponible" in to_move.first().body and "reste pour l'instant avec" in to_move.first().body
        assert Notification.objects.filter(recipient=cast_a.beneficiary_user, title__contains="aura lieu avec").count() == 1
        assert Notification.objects.filter(recipient=new, title__startswith="Rendez-vous repris").count() == 1
        assert Notification.objects.filter(recipient=former, title__contains="confié à").count() == 1

    # the new consultant sees and can manage them (the kept ones too, to move them)
    page = cast_a.client(new).get("/rendez-vous/")
    assert page.status_code == 200


def test_no_double_booking_after_reassignment(cast_a, booked):
    """The moved appointment is the new consultant's: PostgreSQL's exclusion constraint now
    refuses another booking of theirs at that time."""
    from config.errors import Conflict

    new = cast_a.other_consultant
    assert cast_a.client(cast_a.admin).post(f"/beneficiaires/{cast_a.beneficiary.pk}/attribuer/", {"consultant": new.pk}).status_code == 302
    with tenant_context(cast_a.organisation), pytest.raises(Conflict) as refusal:
        appointment_book(actor=cast_a.admin, beneficiary=cast_a.other_beneficiary, consultant=new, starts_at=_day(20, 10), modality="phone")
    assert refusal.value.code == "slot_taken"


def test_reassigning_to_the_same_consultant_moves_nothing(cast_a, booked):
    """Assigning the file to the consultant who already holds it changes no appointment."""
    former = cast_a.consultant
    assert cast_a.client(cast_a.admin).post(f"/beneficiaires/{cast_a.beneficiary.pk}/attribuer/", {"consultant": former.pk}).status_code == 302
    with tenant_context(cast_a.organisation):
        assert not AuditEvent.objects.filter(action__in=["appointment.consultant_changed", "appointment.reassignment_blocked"]).exists()
        assert set(Appointment.objects.filter(beneficiary=cast_a.beneficiary).values_list("consultant_id", flat=True)) == {former.pk}
