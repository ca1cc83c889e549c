"""SMS behind one adapter. The default backend only logs (no provider is configured in
development); a real provider is one class with ``send(*, to, text)`` named in SMS_BACKEND."""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("bilans.sms")


class LoggingSmsBackend:
    sent: list[tuple[str, str]] = []  # the last messages, for development and tests

    def send(self, *, to: str, text: str) -> None:
        masked = "•" * max(len(to) - 4, 0) + to[-4:]
        logger.info("SMS to %s: %s", masked, text)
        LoggingSmsBackend.sent.append((to, text))
        del LoggingSmsBackend.sent[:-100]


def sms_send(*, to: str, text: str) -> bool:
    """Send a short text (never a beneficiary's content). Returns False when there is no number."""
    to = (to or "").strip()
    if not to:
        return False
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(to=to, text=text[:320])
    return True
