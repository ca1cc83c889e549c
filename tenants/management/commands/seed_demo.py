"""Demonstration data, idempotent. Demo passwords are printed and refused outside DEBUG.

The data of each organisation is built by ``bilans.demo`` through the services, in the
organisation's schema; this command creates the platform staff account and the two
demonstration organisations, then prints what the demo shows."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import tenant_context

from bilans import demo
from organisations.accounts.models import Role, User
from tenants.models import Organisation
from tenants.selectors import organisation_url, site_url
from tenants.services import organisation_create

DEMO_PASSWORD = demo.DEMO_PASSWORD
STAFF_EMAIL = "staff@plateforme.demo"
DEMO_ADMIN = ("Alice", "Durand", "admin@demo.fr")
INDEPENDENT = ("Marie", "Lambert", "marie@lambert-conseil.fr")


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
        started = time.monotonic()
        connection.set_schema_to_public()
        staff = self._staff()
        first, last, email = DEMO_ADMIN
        organisation = self._organisation("demo", "Centre Démo Bilans", Organisation.Kind.TRAINING_ORGANISATION, email, first, last)
        with tenant_context(organisation):
            admin = User.objects.get(email=email)
            demo_report = demo.organisation_seed(
                organisation=organisation, admin=admin, staff=staff, identity=demo.DEMO_IDENTITY,
                consultants=demo.DEMO_CONSULTANTS, bilans=demo.DEMO_BILANS,
            )
        first, last, email = INDEPENDENT
        independent = self._organisation(
            "marie-lambert-conseil", "Marie Lambert Conseil", Organisation.Kind.INDEPENDENT_CONSULTANT, email, first, last
        )
        with tenant_context(independent):
            marie = User.objects.get(email=email)
            independent_report = demo.organisation_seed(
                organisation=independent, admin=marie, staff=staff, identity=demo.INDEPENDENT_IDENTITY, consultants=(), bilans=demo.INDEPENDENT_BILANS,
            )
        self._print_summary(organisation, demo_report, independent, independent_report, time.monotonic() - started)

    def _staff(self) -> User:
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(email=STAFF_EMAIL, password=DEMO_PASSWORD, first_name="Équipe", last_name="Plateforme")
        if staff.role != Role.STAFF:
            raise CommandError(f"Le compte {STAFF_EMAIL} existe mais n'appartient pas à l'équipe plateforme.")
        return staff

    def _organisation(self, slug, name, kind, email, first, last):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            organisation = organisation_create(
                name=name, slug=slug, kind=kind, admin_email=email, admin_password=DEMO_PASSWORD, admin_first_name=first, admin_last_name=last
            ).organisation
        return organisation

    def _print_bilans(self, report):
        for item in report.built:
            spec = item.spec
            status = item.bilan.get_status_display() if item.bilan else "—"
            mark = "" if item.created else " (déjà présent)"
            self.stdout.write(f"        {spec.person.full_name:<18} {spec.person.email:<30} {status}{mark}")
            if spec.summary:
                self.stdout.write(f"            {spec.summary}")

    def _print_summary(self, organisation, demo_report, independent, independent_report, elapsed):
        w = self.stdout.write
        w(self.style.SUCCESS("\nDonnées de démonstration prêtes. Mot de passe de tous les comptes : " + DEMO_PASSWORD))
        w(f"  Site public et console : {site_url(settings.PLATFORM_DOMAIN, '/')}  (console : {STAFF_EMAIL})")
        w(f"  Organisme démo         : {organisation_url(organisation)}")
        w(f"      administratrice {DEMO_ADMIN[2]} ; consultants " + ", ".join(p.email for p in demo.DEMO_CONSULTANTS))
        w("      bénéficiaires et leur bilan :")
        self._print_bilans(demo_report)
        w(f"  Consultante indépendante : {organisation_url(independent)}  ({INDEPENDENT[2]})")
        self._print_bilans(independent_report)
        added = demo_report.credits_added + independent_report.credits_added
        if added:
            w(f"  {added} crédits ajoutés par l'équipe plateforme pour essayer chaque fonctionnalité.")
        w("  La double authentification est demandée à la première connexion des administrateurs et de l'équipe plateforme.")
        w(f"  ({elapsed:.0f} s)")
