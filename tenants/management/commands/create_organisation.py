from django.core.management.base import BaseCommand, CommandError

from config.errors import ApplicationError
from tenants.models import Organisation
from tenants.selectors import organisation_url
from tenants.services import organisation_create


class Command(BaseCommand):
    help = "Crée une organisation (schéma, domaine, premier administrateur)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="Sans mot de passe, l'administrateur n'en a pas tant qu'il ne l'a pas défini.")
        parser.add_argument("--kind", choices=Organisation.Kind.values, default=Organisation.Kind.TRAINING_ORGANISATION)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        try:
            created = organisation_create(
                name=options["name"],
                slug=options["slug"],
                kind=options["kind"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                admin_first_name=options["first_name"],
                admin_last_name=options["last_name"],
            )
        except ApplicationError as error:
            raise CommandError(f"{error.message} ({error.code})") from None
        self.stdout.write(self.style.SUCCESS(f"Organisation créée : {organisation_url(created.organisation)}"))
