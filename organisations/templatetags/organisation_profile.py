from django import template

from organisations.permissions import can_manage_organisation
from organisations.profile import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def setup_checklist(context):
    """The setup checklist for an administrator, or None when nothing required is missing."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not can_manage_organisation(user):
        return None
    items = selectors.setup_checklist()
    if not selectors.setup_pending(items):
        return None
    return {"items": items, "done": sum(1 for i in items if i.done), "total": len(items)}


@register.simple_tag
def organisation_logo_url():
    return selectors.logo_path()
