from django import template

register = template.Library()


def _split_cents(cents) -> tuple[str, str, int] | None:
    """Sign, units grouped by thousands (narrow no-break space) and cents; None if not a number."""
    try:
        cents = int(cents)
    except (TypeError, ValueError):
        return None
    units, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else ""), f"{units:,}".replace(",", "\u202f"), rest


@register.filter
def euros(cents) -> str:
    """1234567 → "12 345,67 €"."""
    parts = _split_cents(cents)
    if parts is None:
        return ""
    sign, grouped, rest = parts
    return f"{sign}{grouped},{rest:02d}\u00a0€"


@register.filter
def euro_amount(cents) -> str:
    """4900 → "49", 5990 → "59,90" (no currency sign: for prices written "… € HT")."""
    parts = _split_cents(cents)
    if parts is None:
        return ""
    sign, grouped, rest = parts
    return f"{sign}{grouped}" + (f",{rest:02d}" if rest else "")
