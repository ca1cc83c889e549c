"""Gunicorn's logs with link tokens masked (issue 13, point 1).

Referenced by platform/gunicorn.conf.py (``logger_class``). Every text value an access log line
can show (request line, path, query string, Referer, headers) goes through the same masking as
Django's own logs (config.logging_filters.mask_tokens), and so does the error log ("Error
handling request /partage/..."): a share, 360°, signature, invitation, calendar or
password-reset link never reaches journald in clear.
"""
from __future__ import annotations

from gunicorn.glogging import Logger

from config.logging_filters import MaskLinkTokens, mask_tokens


class MaskedTokensLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        if not any(isinstance(f, MaskLinkTokens) for f in self.error_log.filters):
            self.error_log.addFilter(MaskLinkTokens())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}
