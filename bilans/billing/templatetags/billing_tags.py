from django import template

from bilans.billing.mentions import money

register = template.Library()


@register.filter
def euros(cents) -> str:
    """Cents as « 1 234,56 € »."""
    try:
        return money(int(cents))
    except (TypeError, ValueError):
        return "—"
