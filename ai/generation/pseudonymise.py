"""Pseudonymisation before anything leaves for an external endpoint.

Known identifying values (names, e-mail addresses, phone numbers, postal addresses, employer
names) are replaced by placeholders such as ``[PERSONNE_1]``; e-mail addresses and French phone
numbers that appear anywhere in free text are caught by patterns as well. The mapping stays in
memory, on our side, and :meth:`Pseudonymiser.restore` puts the real values back into the answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# French numbers: 0X XX XX XX XX or +33 X XX XX XX XX, with spaces, dots or dashes.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+33\s?|0033\s?|0)[1-9](?:[\s.\-]?\d{2}){4}(?!\d)")
PLACEHOLDER_RE = re.compile(r"\[(PERSONNE|EMAIL|TELEPHONE|ADRESSE|EMPLOYEUR)_(\d+)\]")

KINDS = {
    "names": "PERSONNE",
    "emails": "EMAIL",
    "phones": "TELEPHONE",
    "addresses": "ADRESSE",
    "employers": "EMPLOYEUR",
}


POSTCODE_CITY_RE = re.compile(r"\b(\d{5})\s+([^\d,\n][^,\n]*)$")


def address_parts(address: str) -> list[str]:
    """The pieces of a postal address that identify someone on their own too: each line or
    comma-separated part (the street, "69003 Lyon"), the postcode and the city."""
    parts = [part.strip() for part in re.split(r"[,\n]", address) if len(part.strip()) >= 4]
    for part in list(parts):
        match = POSTCODE_CITY_RE.search(part)
        if match:
            parts += [match.group(1), match.group(2).strip()]
    return [part for part in parts if part.lower() != address.strip().lower()]


def _normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


@dataclass
class Pseudonymiser:
    """``Pseudonymiser.from_entities({"names": [...], "emails": [...], ...})``."""

    forward: dict[str, str] = field(default_factory=dict)  # real value (lower-cased) → placeholder
    backward: dict[str, str] = field(default_factory=dict)  # placeholder → real value
    counters: dict[str, int] = field(default_factory=dict)
    _patterns: list[tuple[re.Pattern, str]] = field(default_factory=list)

    @classmethod
    def from_entities(cls, entities: dict[str, list[str]] | None) -> Pseudonymiser:
        p = cls()
        entities = entities or {}
        for key, kind in KINDS.items():
            for value in entities.get(key) or []:
                value = (value or "").strip()
                if len(value) >= 2:
                    p._register(kind, value)
                    if key == "addresses":
                        for part in address_parts(value):
                            p._register(kind, part)
        p._compile()
        return p

    def _register(self, kind: str, value: str) -> str:
        key = _normalise_phone(value) if kind == "TELEPHONE" else value.lower()
        if key in self.forward:
            return self.forward[key]
        self.counters[kind] = self.counters.get(kind, 0) + 1
        placeholder = f"[{kind}_{self.counters[kind]}]"
        self.forward[key] = placeholder
        self.backward[placeholder] = value
        return placeholder

    def _compile(self) -> None:
        # Longest values first so that "Marie Dupont" wins over "Marie".
        literal = [(k, v) for k, v in self.forward.items() if not v.startswith("[TELEPHONE_")]
        literal.sort(key=lambda item: -len(item[0]))
        self._patterns = [
            (re.compile(r"(?<!\w)" + re.escape(k).replace(r"\ ", r"\s+") + r"(?!\w)", re.IGNORECASE), v) for k, v in literal
        ]

    # --- forward -------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        for pattern, placeholder in self._patterns:
            value = pattern.sub(placeholder, value)
        value = EMAIL_RE.sub(lambda m: self._register("EMAIL", m.group(0)), value)
        value = PHONE_RE.sub(lambda m: self._register("TELEPHONE", m.group(0)), value)
        return value

    def apply(self, data: Any) -> Any:
        """A copy of ``data`` (dicts, lists, strings) with every identifying value replaced."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {k: self.apply(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.apply(v) for v in data]
        return data

    # --- backward ------------------------------------------------------------------------------
    def restore_text(self, value: str) -> str:
        return PLACEHOLDER_RE.sub(lambda m: self.backward.get(m.group(0), m.group(0)), value)

    def restore(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.restore_text(data)
        if isinstance(data, dict):
            return {k: self.restore(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.restore(v) for v in data]
        return data
