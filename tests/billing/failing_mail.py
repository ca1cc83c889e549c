"""An e-mail backend whose SMTP server refuses every message (tests only)."""
from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"compta@martin.test": (550, b"Mailbox unavailable")})
