from django.conf import settings
from django_tenants.utils import get_public_schema_name


def platform(request):
    tenant = getattr(request, "tenant", None)
    on_organisation = tenant is not None and tenant.schema_name != get_public_schema_name()
    return {
        "organisation": tenant if on_organisation else None,
        "layout_template": "layouts/organisation.html" if on_organisation else "layouts/public.html",
        "platform_name": settings.PLATFORM_NAME,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "unread_notifications": _unread(request) if on_organisation else 0,
    }


def _unread(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from organisations.selectors import notification_unread_count

    return notification_unread_count(recipient=user)
