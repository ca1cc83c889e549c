import logging
import time

from django.core.management.base import BaseCommand

from config.scheduler import REGISTRY, tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Met en file les tâches périodiques dues, chaque minute (ou une seule fois avec --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args, **options):
        import django_dramatiq.apps  # noqa: F401  (actors are discovered at app loading)

        while True:
            due = tick()
            if due:
                logger.info("Periodic jobs enqueued: %s", ", ".join(due))
            if options["once"]:
                self.stdout.write(f"{len(due)} tâche(s) mise(s) en file sur {len(REGISTRY)}.")
                return
            time.sleep(options["interval"])
