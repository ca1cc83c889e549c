"""config.settings with the host → organisation routing cache disabled, for the routing benchmark's
"no cache" variant (every organisation request then looks its Domain row up in PostgreSQL).
Starts with ``_``: run_all.py does not run it."""
from config.settings import *
from config.settings import CACHES

CACHES = {**CACHES, "routing": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
