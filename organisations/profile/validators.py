"""Checks of an organisation's legal identity, bank details and brand colour. Each function
returns a French message for a person (empty string: the value is valid)."""
from __future__ import annotations

import re

FRENCH_REGIONS = [
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire", "Corse", "Grand Est",
    "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur", "Guadeloupe", "Guyane", "Martinique", "La Réunion", "Mayotte",
]
LA_POSTE_SIREN = "356000000"
# Length of an IBAN per country (the most common in France's payments; others: 15 to 34).
IBAN_LENGTHS = {
    "FR": 27, "MC": 27, "BE": 16, "DE": 22, "ES": 24, "IT": 27, "LU": 20, "NL": 18, "PT": 25, "CH": 21, "GB": 22, "IE": 22, "AT": 20,
}
BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
POSTCODE_RE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5


def digits_only(value: str) -> str:
    """What a person types, without the spaces, dots and dashes they often add."""
    return re.sub(r"[\s.\-]", "", value or "")


def luhn_is_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def siren_error(value: str) -> str:
    if not re.fullmatch(r"\d{9}", value or ""):
        return "Le SIREN compte exactement 9 chiffres."
    if not luhn_is_valid(value):
        return "Ce SIREN n'existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres."
    return ""


def siret_error(value: str) -> str:
    """A SIRET: 14 digits, the SIREN (9 first) and the whole number each pass the Luhn check.
    La Poste's establishments (SIREN 356 000 000) other than its head office follow another rule:
    the sum of the digits is a multiple of 5."""
    if not re.fullmatch(r"\d{14}", value or ""):
        return "Le SIRET compte exactement 14 chiffres (SIREN à 9 chiffres + 5 chiffres de l'établissement)."
    if value.startswith(LA_POSTE_SIREN):
        valid = luhn_is_valid(value) or sum(int(c) for c in value) % 5 == 0
        return "" if valid else "Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres."
    if not luhn_is_valid(value[:9]):
        return "Les 9 premiers chiffres (le SIREN) ne forment pas un SIREN valide. Vérifiez les chiffres."
    if not luhn_is_valid(value):
        return "Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres."
    return ""


def activity_declaration_error(value: str) -> str:
    """The numéro de déclaration d'activité (NDA) given by the DREETS: 11 digits."""
    if not re.fullmatch(r"\d{11}", value or ""):
        return "Le numéro de déclaration d'activité compte exactement 11 chiffres (ex. 11 75 12345 75)."
    return ""


def postcode_error(value: str) -> str:
    if not POSTCODE_RE.match(value or ""):
        return "Le code postal compte 5 chiffres (ex. 75011, 97400)."
    return ""


def iban_normalise(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def iban_error(value: str) -> str:
    """ISO 13616: country, check digits, then the account; the number moved and read as digits
    (A=10 … Z=35) leaves 1 when divided by 97."""
    iban = iban_normalise(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return "L'IBAN commence par 2 lettres (le pays) et 2 chiffres, puis compte jusqu'à 30 lettres ou chiffres (ex. FR76 3000 6000 …)."
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected and len(iban) != expected:
        return f"Un IBAN de ce pays compte {expected} caractères ; celui-ci en compte {len(iban)}."
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    if int(number) % 97 != 1:
        return "Cet IBAN n'est pas valide : sa clé de contrôle ne correspond pas. Recopiez-le depuis votre RIB."
    return ""


def bic_error(value: str) -> str:
    if not BIC_RE.match((value or "").strip().upper()):
        return "Le BIC compte 8 ou 11 caractères : 4 lettres (banque), 2 lettres (pays), 2 lettres ou chiffres, et éventuellement 3 de plus."
    return ""


def iban_display(iban: str) -> str:
    iban = iban_normalise(iban)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --- colour contrast (WCAG 2.1) -----------------------------------------------------------------
def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def darkened_until_readable(colour: str) -> str:
    """The same hue, darkened step by step until white text on it reaches 4.5:1."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(0, 101):
        factor = 1 - step / 100
        candidate = "#{:02x}{:02x}{:02x}".format(int(r * factor), int(g * factor), int(b * factor))
        if contrast_with_white(candidate) >= MIN_CONTRAST:
            return candidate
    return "#000000"


def ratio_text(ratio: float) -> str:
    return f"{ratio:.1f}".replace(".", ",")


def brand_colour_error(value: str) -> str:
    if not COLOUR_RE.match(value or ""):
        return "La couleur s'écrit # suivi de 6 chiffres ou lettres de A à F (ex. #1F5FAE)."
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        return (
            f"Cette couleur est trop claire : un texte blanc posé dessus n'atteint qu'un contraste de {ratio_text(ratio)}:1, "
            f"il faut au moins 4,5:1 pour rester lisible. Essayez par exemple {darkened_until_readable(value).upper()}, la même teinte plus foncée."
        )
    return ""
