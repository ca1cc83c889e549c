"""`make run`: migrate every schema, seed demo data on an empty database, start a dramatiq
worker (a separate process with Redis, worker threads in this process without it) and the web
server on port 8000."""
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.models import Organisation
from tenants.services import template_schema_ensure


class Command(BaseCommand):
    help = "Prépare la base et lance le serveur web et le worker de tâches."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-seed", action="store_true")

    def handle(self, *args, **options):
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
        import threading

        # The scheduler's first tick also enqueues the spare-schema refill (tenants.tasks).
        threading.Thread(target=call_command, args=("run_scheduler",), daemon=True, name="scheduler").start()
        self.stdout.write(
            f"\nPlateforme : http://{settings.PLATFORM_DOMAIN}:{options['port']}/   "
            f"Organisme démo : http://demo.{settings.PLATFORM_DOMAIN}:{options['port']}/\n"
        )
        try:
            call_command("runserver", f"0.0.0.0:{options['port']}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
