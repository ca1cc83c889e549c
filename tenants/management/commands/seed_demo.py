"""Demonstration data, idempotent. Demo passwords are printed and refused outside DEBUG."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import schema_context

from bilans.models import Beneficiary
from bilans.services import beneficiary_assign_consultant, beneficiary_create, beneficiary_link_account
from organisations.accounts.models import Role, User
from organisations.accounts.services import user_create
from tenants.models import Organisation
from tenants.selectors import organisation_url, site_url
from tenants.services import organisation_create

DEMO_PASSWORD = "Demo-bilans-2026"
STAFF_EMAIL = "staff@plateforme.demo"

CONSULTANTS = [("Claire", "Martin", "claire.martin@demo.fr"), ("Julien", "Bernard", "julien.bernard@demo.fr")]
BENEFICIARIES = [
    ("Sophie", "Leroy", "sophie.leroy@exemple.fr", 0),
    ("Karim", "Haddad", "karim.haddad@exemple.fr", 0),
    ("Émilie", "Rousseau", "emilie.rousseau@exemple.fr", 0),
    ("Thomas", "Petit", "thomas.petit@exemple.fr", 1),
    ("Nadia", "Benali", "nadia.benali@exemple.fr", 1),
]


class Command(BaseCommand):
    help = "Crée les données de démonstration (idempotent, uniquement avec DEBUG)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Ne rien faire si une organisation existe déjà.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo n'est disponible qu'en développement (DEBUG=true).")
        if options["if_empty"] and Organisation.objects.filter(is_template=False).exists():
            self.stdout.write("Des organisations existent déjà : données de démonstration non créées.")
            return
        self._staff()
        demo = self._organisation("demo", "Centre Démo Bilans", Organisation.Kind.TRAINING_ORGANISATION, "admin@demo.fr", "Alice", "Durand")
        with schema_context(demo.schema_name), transaction.atomic():
            admin = User.objects.get(email="admin@demo.fr")
            consultants = [self._member(email, Role.CONSULTANT, first, last, admin) for first, last, email in CONSULTANTS]
            for first, last, email, index in BENEFICIARIES:
                beneficiary = Beneficiary.objects.filter(email=email).first() or beneficiary_create(
                    actor=admin, first_name=first, last_name=last, email=email
                )
                if beneficiary.consultant_id is None:
                    beneficiary_assign_consultant(beneficiary=beneficiary, consultant=consultants[index], actor=admin)
                if beneficiary.user_id is None:
                    account = self._member(email, Role.BENEFICIARY, first, last, admin)
                    beneficiary_link_account(beneficiary=beneficiary, user=account)
        independent = self._organisation(
            "marie-lambert-conseil", "Marie Lambert Conseil", Organisation.Kind.INDEPENDENT_CONSULTANT, "marie@lambert-conseil.fr", "Marie", "Lambert"
        )
        self._print_summary(demo, independent)

    def _staff(self):
        if not User.objects.filter(email=STAFF_EMAIL).exists():
            User.objects.create_superuser(email=STAFF_EMAIL, password=DEMO_PASSWORD, first_name="Équipe", last_name="Plateforme")

    def _organisation(self, slug, name, kind, email, first, last):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            organisation = organisation_create(
                name=name, slug=slug, kind=kind, admin_email=email, admin_password=DEMO_PASSWORD, admin_first_name=first, admin_last_name=last
            ).organisation
        return organisation

    def _member(self, email, role, first, last, admin):
        return User.objects.filter(email=email).first() or user_create(
            email=email, role=role, password=DEMO_PASSWORD, first_name=first, last_name=last, email_verified=True, created_by=admin
        )

    def _print_summary(self, demo, independent):
        w = self.stdout.write
        w(self.style.SUCCESS("\nDonnées de démonstration prêtes. Mot de passe de tous les comptes : " + DEMO_PASSWORD))
        w(f"  Site public et console : {site_url(settings.PLATFORM_DOMAIN, '/')}  (console : {STAFF_EMAIL})")
        w(f"  Organisme démo         : {organisation_url(demo)}")
        w("      administratrice admin@demo.fr ; consultants " + ", ".join(e for _, _, e in CONSULTANTS))
        w("      bénéficiaires " + ", ".join(email for _, _, email, _ in BENEFICIARIES))
        w(f"  Consultante indépendante : {organisation_url(independent)}  (marie@lambert-conseil.fr)")
        w("  La double authentification est demandée à la première connexion des administrateurs et de l'équipe plateforme.")
