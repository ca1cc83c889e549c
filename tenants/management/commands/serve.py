"""`make run`: migrate every schema, seed demo data on an empty database, start a dramatiq
worker (a separate process with Redis, worker threads in this process without it) and the web
server on port 8000 (``--port N``: the server and every absolute link use port N)."""
import os
import signal
import subprocess
import sys
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.models import Organisation
from tenants.selectors import site_url
from tenants.services import template_schema_ensure


def site_url_use_port(port: str) -> None:
    """Absolute links (e-mails, console) point at the port this server listens on, unless
    SITE_URL was set in the environment (it then says where people reach the site, e.g. a proxy).
    The environment carries it to the dramatiq worker process."""
    if settings.SITE_URL_GIVEN:
        return
    site = urlsplit(settings.SITE_URL)
    settings.SITE_URL = f"{site.scheme}://{site.hostname}:{port}"
    os.environ["SITE_URL"] = settings.SITE_URL


def _stop_once(signum, frame):
    """Ctrl+C or kill: stop once. `make` passes the same signal on to this process, and a second
    one must not cut short the clean-up (atexit) that stops the embedded PostgreSQL."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(0)


class Command(BaseCommand):
    help = "Prépare la base et lance le serveur web et le worker de tâches."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-seed", action="store_true")

    def handle(self, *args, **options):
        port = str(options["port"])
        if not port.isdigit() or not 0 < int(port) < 65536:
            self.stderr.write(f"Port invalide : {port} (un nombre entre 1 et 65535).")
            sys.exit(2)
        site_url_use_port(port)
        # A stop request (kill, CI) ends like Ctrl+C: the worker and the embedded PostgreSQL stop too.
        signal.signal(signal.SIGTERM, _stop_once)
        signal.signal(signal.SIGINT, _stop_once)
        call_command("migrate_schemas", interactive=False, verbosity=0)
        template_schema_ensure()
        call_command("import_rome", if_empty=True)  # ROME 4.0 referential (ai/data), loaded on first start
        if settings.DEBUG and not options["no_seed"] and not Organisation.objects.filter(is_template=False).exists():
            call_command("seed_demo")
        worker = None
        if settings.REDIS_URL:
            worker = subprocess.Popen([sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2"])
            self.stdout.write("Worker dramatiq lancé (Redis).")
        else:
            from config.dramatiq import start_inprocess_worker

            start_inprocess_worker()
            self.stdout.write("Pas de REDIS_URL : les tâches sont traitées dans ce processus.")
        # The scheduler's first tick also enqueues the spare-schema refill (tenants.tasks).
        threading.Thread(target=call_command, args=("run_scheduler",), daemon=True, name="scheduler").start()
        self.stdout.write(
            f"\nPlateforme : {site_url()}   Organisme démo : {site_url(f'demo.{settings.PLATFORM_DOMAIN}')}\n"
        )
        try:
            call_command("runserver", f"0.0.0.0:{port}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
