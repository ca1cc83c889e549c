from django import template

from bilans.clock import format_cents, format_minutes

register = template.Library()


@register.filter
def duree(minutes):
    """{{ 90|duree }} → "1 h 30"."""
    return format_minutes(minutes)


@register.filter
def euros(cents):
    """{{ 123456|euros }} → "1 234,56 €"."""
    return format_cents(cents)


STATUS_TONES = {
    "prospect": "neutral", "preliminary": "info", "investigation": "info", "conclusions": "info",
    "finished": "success", "follow_up_done": "success", "closed": "neutral", "abandoned": "danger",
}


@register.filter
def status_tone(status):
    return STATUS_TONES.get(status, "neutral")
