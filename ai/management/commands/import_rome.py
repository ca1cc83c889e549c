"""`manage.py import_rome`: load the ROME 4.0 referential shipped in ai/data (idempotent)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from ai.referential import is_loaded, rome_import
from config.errors import ApplicationError


class Command(BaseCommand):
    help = "Charge le référentiel ROME 4.0 (France Travail) dans le schéma public ; sans effet s'il est déjà à jour."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="dossier rome-v<version> contenant les CSV (par défaut : le plus récent livré)")
        parser.add_argument("--force", action="store_true", help="recharger même si la version est déjà chargée")
        parser.add_argument("--if-empty", action="store_true", help="ne rien faire si un référentiel est déjà chargé (make run)")

    def handle(self, *args, **options):
        directory = Path(options["path"]).resolve() if options["path"] else None
        try:
            with schema_context("public"):
                if options["if_empty"] and is_loaded():
                    return
                if options["if_empty"]:
                    self.stdout.write("Import du référentiel ROME 4.0 (premier démarrage, quelques secondes)…")
                report = rome_import(directory=directory, force=options["force"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(report.message)
        if report.changed and options["verbosity"] > 1:
            for name, count in report.counts.items():
                self.stdout.write(f"  {name}: {count}")
