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


@register.simple_tag(takes_context=True)
def credit_label(context, code) -> str:
    """French label of a barème action or forfait code: ``{% credit_label entry.action_code %}``
    (the labels are read once per rendering)."""
    from plans.labels import action_label, action_labels

    cache = context.render_context
    if "plans_action_labels" not in cache:
        cache["plans_action_labels"] = action_labels()
    return action_label(str(code or ""), cache["plans_action_labels"])



@register.filter
def nombre(value) -> str:
    """1500 → "1 500" (French grouping with a narrow no-break space)."""
    try:
        return f"{int(value):,}".replace(",", "\u202f")
    except (TypeError, ValueError):
        return ""
