"""Instrument definitions: versioned data (a change of wording or scoring = a new version)."""
from . import big_five, primo360, riasec, skills, values

DEFINITIONS = {d.DEFINITION["code"]: d.DEFINITION for d in (riasec, big_five, values, skills, primo360)}
ORDER = ["riasec", "big_five", "values", "skills", "primo360"]
