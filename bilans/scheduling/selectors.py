from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from bilans import clock
from bilans.scheduling.models import Appointment, AvailabilityException, AvailabilityRule
from bilans.scheduling.services import MAX_SCHEDULING_HORIZON, scheduling_settings
from config.errors import InvalidInput
from organisations.accounts.models import Role
from organisations.permissions import appointments_visible_to


def appointment_list(*, user, upcoming_only: bool = False, now: datetime | None = None) -> QuerySet[Appointment]:
    qs = appointments_visible_to(user).select_related("beneficiary", "consultant", "session")
    if upcoming_only:
        qs = qs.filter(status=Appointment.Status.BOOKED, ends_at__gte=clock.now(now))
    return qs.order_by("starts_at")


def appointments_for_feed(user) -> QuerySet[Appointment]:
    since = timezone.now() - timedelta(days=60)
    if user.role == Role.CONSULTANT:
        qs = Appointment.objects.filter(consultant=user)
    elif user.role == Role.BENEFICIARY:
        qs = Appointment.objects.filter(beneficiary__user=user)
    else:
        qs = Appointment.objects.filter(consultant=user)
    return qs.filter(starts_at__gte=since).select_related("beneficiary").order_by("starts_at")


def free_slots(*, consultant, start: date, days: int = 14, duration_minutes: int | None = None, for_beneficiary: bool = True, now: datetime | None = None) -> list[datetime]:
    """Bookable start times from the weekly rules and exceptions, minus booked appointments
    and the notice rules (for a beneficiary)."""
    moment = clock.now(now)
    if not isinstance(days, int) or not 0 < days <= 62 or abs(start - timezone.localdate(moment)) > MAX_SCHEDULING_HORIZON:
        raise InvalidInput("Cette semaine est trop éloignée : choisissez une date dans les cinq ans.", code="invalid_week")
    rules_row = scheduling_settings()
    duration = timedelta(minutes=duration_minutes or rules_row.default_duration_minutes)
    tz = timezone.get_current_timezone()
    window_start = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    window_end = window_start + timedelta(days=days)
    rules = list(AvailabilityRule.objects.filter(consultant=consultant))
    exceptions = list(AvailabilityException.objects.filter(consultant=consultant, starts_at__lt=window_end, ends_at__gt=window_start))
    busy = list(
        Appointment.objects.filter(consultant=consultant, status=Appointment.Status.BOOKED, starts_at__lt=window_end, ends_at__gt=window_start).values_list("starts_at", "ends_at")
    )
    busy += [(e.starts_at, e.ends_at) for e in exceptions if e.kind == AvailabilityException.Kind.UNAVAILABLE]
    windows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for rule in rules:
            if rule.weekday == day.weekday():
                windows.append((datetime.combine(day, rule.start_time, tzinfo=tz), datetime.combine(day, rule.end_time, tzinfo=tz)))
    windows += [(e.starts_at, e.ends_at) for e in exceptions if e.kind == AvailabilityException.Kind.AVAILABLE]
    earliest = moment + timedelta(hours=rules_row.min_booking_notice_hours) if for_beneficiary else moment
    latest = moment + timedelta(days=rules_row.max_booking_days_ahead) if for_beneficiary else window_end
    slots = set()
    for begin, end in windows:
        cursor = begin
        while cursor + duration <= end:
            stop = cursor + duration
            if cursor >= earliest and cursor <= latest and not any(b < stop and e > cursor for b, e in busy):
                slots.add(cursor)
            cursor = stop
    return sorted(slots)
