"""Signup creates a schema and grants trial credits, so it is guarded without a CAPTCHA:
- a proof of work: the form carries a signed, single-use challenge; the browser finds a number
  whose SHA-256 with the challenge starts with ``SIGNUP_POW_BITS`` zero bits (a fraction of a
  second for a person, a real cost for a script creating thousands of spaces);
- a limit of ``SIGNUP_RATE_PER_HOUR`` signups per client address and per hour."""
from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from config.errors import InvalidInput, TooManyRequests
from organisations.accounts.context import client_ip

SALT = "signup-proof-of-work"
CHALLENGE_MAX_AGE = 3600


def pow_challenge_new() -> str:
    return signing.dumps({"n": secrets.token_hex(8), "b": settings.SIGNUP_POW_BITS}, salt=SALT, compress=True)


def _leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def pow_solve(challenge: str) -> int:
    """What the browser does (used by tests and scripts of our own)."""
    bits = signing.loads(challenge, salt=SALT)["b"]
    counter = 0
    while _leading_zero_bits(hashlib.sha256(f"{challenge}:{counter}".encode()).digest()) < bits:
        counter += 1
    return counter


def pow_ensure_solved(*, challenge: str, solution: str) -> None:
    message = "La vérification anti-robot n'a pas abouti : rechargez la page puis validez à nouveau (JavaScript doit être activé)."
    try:
        data = signing.loads(challenge or "", salt=SALT, max_age=CHALLENGE_MAX_AGE)
        counter = int(solution)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidInput(message, code="signup_challenge_failed") from None
    digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
    if counter < 0 or _leading_zero_bits(digest) < data["b"]:
        raise InvalidInput(message, code="signup_challenge_failed")
    if not cache.add(f"signup-pow:{data['n']}", 1, CHALLENGE_MAX_AGE):
        raise InvalidInput("Ce formulaire a déjà été envoyé : rechargez la page.", code="signup_challenge_reused")


def signup_rate_ensure(request) -> None:
    """Counts an attempt for the client address; refuses past the hourly limit."""
    key = f"signup-rate:{client_ip(request) or 'inconnue'}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    if count > settings.SIGNUP_RATE_PER_HOUR:
        raise TooManyRequests(
            "Trop de créations d'espace depuis votre connexion : réessayez dans une heure ou écrivez-nous.", code="too_many_signups"
        )
