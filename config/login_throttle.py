"""Failed-login limits, per client address AND per account, designed so that nobody can lock
other people out (issue 13, point 2).

- An address with too many failures (any account) is refused, whatever it types.
- An account with too many failures is refused only to addresses that have themselves failed
  within the window: the attacker's addresses are shut out, while the account's owner, typing
  the right password from an address that has not failed, still gets in.

Counters live in the default cache, whose keys are already prefixed with the organisation's
schema (django_tenants.cache.make_key): one organisation's attack never touches another's.
The address is the real client's (config.client_ip, TRUSTED_PROXY_COUNT), never the proxy's.
"""
from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache


def _address(ip: str) -> str:
    """IPv6 clients get a whole /64: rotating addresses inside it would otherwise reset the count."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return ip


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _window() -> int:
    return int(settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _recent(key: str) -> list[float]:
    horizon = time.time() - _window()
    return [t for t in cache.get(key, []) if t > horizon]


def _add(key: str) -> None:
    stamps = _recent(key)
    stamps.append(time.time())
    cache.set(key, stamps[-1000:], timeout=_window())


def failures_from_address(ip: str) -> int:
    return len(_recent(_key("ip", _address(ip))))


def failures_on_account(login: str) -> int:
    return len(_recent(_key("account", login)))


def is_refused(*, ip: str, login: str) -> bool:
    """True when this attempt must be refused before its password is even checked."""
    from_address = failures_from_address(ip)
    if from_address >= settings.LOGIN_FAILURES_PER_IP:
        return True
    return bool(login) and from_address > 0 and failures_on_account(login) >= settings.LOGIN_FAILURES_PER_ACCOUNT


def record_failure(*, ip: str, login: str) -> None:
    _add(_key("ip", _address(ip)))
    if login:
        _add(_key("account", login))


def clear_account(login: str) -> None:
    """After a password reset by e-mail (itself rate-limited), the account starts afresh."""
    cache.delete(_key("account", login))
