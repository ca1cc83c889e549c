"""Logging filters: secret link tokens never reach the logs."""
from __future__ import annotations

import logging
import re

# Paths whose segment after the prefix is a bearer token (a link sent by e-mail): sharing, 360°
# feedback, employer signature, invitation, login hand-off, calendar feed, password reset, e-mail
# confirmation. The same list is masked by gunicorn (config/gunicorn_logging.py) and nginx
# (platform/nginx/bilans.conf, map $bilans_masked_request): keep the three in step.
TOKEN_PATH = re.compile(
    r"(/(?:partage|retour-360|signature|invitations|connexion/relais|calendrier"
    r"|accounts/password/reset/key|accounts/confirm-email)/)[^/\s?]+"
)


def mask_tokens(text: str) -> str:
    return TOKEN_PATH.sub(r"\1[jeton]", text)


class MaskLinkTokens(logging.Filter):
    """Django logs the path of every 4xx/5xx response (``django.request``): a refused use of a
    still valid link would otherwise write its token in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_tokens(a) if isinstance(a, str) else a for a in record.args)
        return True
