"""First deploy (and safe to re-run): migrate every schema, create the template schema new
organisations are cloned from, and optionally the first platform staff account."""
import getpass

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from organisations.accounts.models import User
from tenants.services import spare_pool_refill, template_schema_ensure


class Command(BaseCommand):
    help = "Prépare la plateforme : migrations de tous les schémas, schéma modèle, premier compte de l'équipe plateforme."

    def add_arguments(self, parser):
        parser.add_argument("--staff-email", help="Crée ce compte de l'équipe plateforme s'il n'existe pas (mot de passe demandé).")

    def handle(self, *args, **options):
        call_command("migrate_schemas", interactive=False, verbosity=0)
        template = template_schema_ensure()
        spares = spare_pool_refill()
        self.stdout.write(f"Schémas migrés ; schéma modèle : {template.schema_name} ; {spares} schéma(s) de réserve créé(s).")
        email = options.get("staff_email")
        if email and not User.objects.filter(email__iexact=email).exists():
            password = getpass.getpass("Mot de passe du compte plateforme : ")
            if len(password) < 12:
                raise CommandError("Choisissez un mot de passe d'au moins 12 caractères.")
            User.objects.create_superuser(email=email, password=password)
            self.stdout.write(f"Compte plateforme {email} créé (la double authentification sera demandée à la connexion).")
