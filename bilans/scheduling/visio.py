"""Video meeting links behind one adapter, so that Zoom or Teams can be added later.

``visio_provider()`` returns the configured provider (VISIO_PROVIDER, default ``jitsi``);
a provider has a ``name`` and ``create_room(*, appointment_id) -> str`` (the join URL)."""
from __future__ import annotations

import secrets

from django.conf import settings


class JitsiProvider:
    """Jitsi Meet: a room exists as soon as someone joins its URL, so an unguessable name is
    the only secret (160 random bits)."""

    name = "jitsi"

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def create_room(self, *, appointment_id=None) -> str:
        return f"{self.base_url}/bilan-{secrets.token_urlsafe(20)}"


PROVIDERS = {"jitsi": JitsiProvider}


def visio_provider():
    try:
        klass = PROVIDERS[settings.VISIO_PROVIDER]
    except KeyError:
        raise RuntimeError(f"Unknown VISIO_PROVIDER {settings.VISIO_PROVIDER!r}") from None
    return klass(settings.VISIO_BASE_URL)
