"""A controllable clock: services take ``now=None`` and call :func:`now` with it, so tests and
periodic jobs can pass an explicit time without mocking anything."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now(value: datetime | None = None) -> datetime:
    if value is None:
        return timezone.now()
    if timezone.is_naive(value):
        raise ValueError("aware datetime expected")
    return value


def format_minutes(minutes: int | None) -> str:
    """90 → "1 h 30", 120 → "2 h", 45 → "45 min" (ui.md)."""
    minutes = int(minutes or 0)
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def format_cents(cents: int | None) -> str:
    """123456 → "1 234,56 €" (narrow no-break spaces as thousands separator)."""
    cents = int(cents or 0)
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", "\u202f")
    return f"{'-' if cents < 0 else ''}{grouped},{rest:02d}\u00a0€"
