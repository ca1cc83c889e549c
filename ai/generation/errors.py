"""Errors of the generation library. Callers turn them into a failed job with a French reason."""
from __future__ import annotations


class GenerationError(Exception):
    """A generation that did not produce a valid document.

    ``code`` is stable (``ai_timeout``, ``ai_rate_limited``, ``ai_unavailable``,
    ``ai_invalid_output``, ``ai_not_configured``, ``ai_unknown_type``); ``message`` is French and
    safe to show to a consultant (never contains the prompt or the answer). ``stats`` carries what
    was measured before the failure (provider, model, tokens, duration, attempts) so that the
    failure can be recorded like a success."""

    def __init__(self, message: str, *, code: str, stats: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.stats = stats or {}
