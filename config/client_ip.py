"""The address of the person behind a request, the one function every caller uses (audit log,
signature proof trail, login rate limits).

``X-Forwarded-For`` is a list each proxy *appends* to; only the entries written by our own proxies
can be trusted, anything to their left may have been typed by the client. With
``TRUSTED_PROXY_COUNT = n`` the client is the n-th entry from the right (the address the outermost
of our proxies saw). With 0 (no proxy: a laptop, tests) the header is ignored and the socket's
address is used.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    # "[2001:db8::1]:443" or "203.0.113.7:5050" from some proxies: drop the port.
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    # Fewer entries than proxies: every entry was written by one of ours, the leftmost is the client.
    entry = forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]
    return _valid_ip(entry) or remote
