"""The current request's client address, so services can stamp audit events without every
caller threading it through."""
from __future__ import annotations

from contextvars import ContextVar

from config.client_ip import client_ip  # noqa: F401  (the one function: see config/client_ip.py)

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
