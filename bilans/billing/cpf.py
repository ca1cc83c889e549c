"""CPF rules as dated data (CPF-03 to CPF-06) and French working days.

- CPF-05 participation forfaitaire: 100 € from 2 May 2024, 102,23 € in 2025, 103,20 € in 2026
  (arrêté of 30/12/2025); not due for jobseekers, employer top-up, C2P or AT-MP reconversion.
- CPF-04: at most 1 600 € of CPF rights per bilan; the rest is paid by someone else.
- CPF-06: EDOF entry and exit are declared within 3 working days (jours ouvrés).
"""
from __future__ import annotations

from datetime import date, timedelta

# (first day it applies, amount in cents), in date order.
PARTICIPATION_FORFAITAIRE = (
    (date(2024, 5, 2), 10000),
    (date(2025, 1, 1), 10223),
    (date(2026, 1, 1), 10320),
)
CPF_CAP_CENTS = 160000
EDOF_DEADLINE_WORKING_DAYS = 3
EXEMPT_REASONS = ("jobseeker", "employer_top_up", "c2p", "atmp")


def participation_forfaitaire_cents(*, on: date, exemption: str = "") -> int:
    """The participation due by the holder for a CPF purchase confirmed on ``on`` (0 before
    2 May 2024 or when exempt)."""
    if exemption in EXEMPT_REASONS:
        return 0
    amount = 0
    for start, cents in PARTICIPATION_FORFAITAIRE:
        if on >= start:
            amount = cents
    return amount


def cpf_split(*, price_cents: int, rights_cents: int) -> tuple[int, int]:
    """(paid with CPF rights, rest to be paid by someone else): CPF-04 caps the CPF part at 1 600 €."""
    cpf = max(0, min(price_cents, rights_cents, CPF_CAP_CENTS))
    return cpf, price_cents - cpf


def easter(year: int) -> date:
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int) -> set[date]:
    e = easter(year)
    return {
        date(year, 1, 1), e + timedelta(days=1), date(year, 5, 1), date(year, 5, 8), e + timedelta(days=39),
        e + timedelta(days=50), date(year, 7, 14), date(year, 8, 15), date(year, 11, 1), date(year, 11, 11), date(year, 12, 25),
    }


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of the event does not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
