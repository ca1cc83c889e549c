"""The one place that decides who may see and do what inside an organisation.

Views, API views and services ask here; nothing else compares roles. Rules:
- an administrator sees and manages the whole organisation;
- a consultant sees the beneficiaries assigned to them (django-guardian object permission
  ``bilans.view_beneficiary``, granted by ``bilans.services.beneficiary_assign_consultant``);
- a beneficiary sees only their own file;
- platform staff never see a beneficiary (they have no account in any organisation).
"""
from __future__ import annotations

from functools import wraps

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user
from rest_framework.permissions import BasePermission

from config.errors import Forbidden
from organisations.accounts.models import Role, User

VIEW_BENEFICIARY = "bilans.view_beneficiary"
CHANGE_BENEFICIARY = "bilans.change_beneficiary"


def has_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def ensure_role(user, *roles: str, message: str | None = None) -> None:
    if not has_role(user, *roles):
        raise Forbidden(message)


def can_manage_organisation(user) -> bool:
    return has_role(user, Role.ADMIN)


def ensure_can_manage_organisation_profile(user) -> None:
    """Legal identity, bank details, branding and public page: administrators only."""
    if not can_manage_organisation(user):
        raise Forbidden("Seuls les administrateurs modifient le profil de l'organisme.", code="organisation_profile_forbidden")


def can_manage_beneficiaries(user) -> bool:
    return has_role(user, Role.ADMIN, Role.CONSULTANT)


def beneficiaries_visible_to(user) -> QuerySet:
    from bilans.models import Beneficiary

    if has_role(user, Role.ADMIN):
        return Beneficiary.objects.all()
    if has_role(user, Role.CONSULTANT):
        return get_objects_for_user(user, VIEW_BENEFICIARY, klass=Beneficiary, accept_global_perms=False)
    if has_role(user, Role.BENEFICIARY):
        return Beneficiary.objects.filter(user=user)
    return Beneficiary.objects.none()


def can_view_beneficiary(user, beneficiary) -> bool:
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return user.has_perm(VIEW_BENEFICIARY, beneficiary)
    if has_role(user, Role.BENEFICIARY):
        return beneficiary.user_id == user.pk
    return False


def can_change_beneficiary(user, beneficiary) -> bool:
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return user.has_perm(CHANGE_BENEFICIARY, beneficiary)
    return False


def ensure_can_view_beneficiary(user, beneficiary) -> None:
    if not can_view_beneficiary(user, beneficiary):
        raise Forbidden("Ce dossier ne vous est pas attribué.", code="beneficiary_not_assigned")


# --- adapters for views -------------------------------------------------------------------------
def role_required(*roles: str):
    """Decorator for HTML views: anonymous users go to the login page, wrong roles get a 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            ensure_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class HasRole(BasePermission):
    """DRF permission: ``HasRole.of(Role.ADMIN, Role.CONSULTANT)``."""

    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view) -> bool:
        if not has_role(request.user, *self.roles):
            raise Forbidden()
        return True


def is_member(user: User) -> bool:
    return has_role(user, Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)


# --- bilans, sensitive data, threads, appointments (bilans app) ---------------------------------
def bilans_visible_to(user) -> QuerySet:
    """Bilans: all for an administrator; for a consultant, those they lead or whose beneficiary
    is assigned to them; for a beneficiary, their own."""
    from django.db.models import Q

    from bilans.models import Bilan

    if has_role(user, Role.ADMIN):
        return Bilan.objects.all()
    if has_role(user, Role.CONSULTANT):
        return Bilan.objects.filter(Q(consultant=user) | Q(beneficiary__consultant=user))
    if has_role(user, Role.BENEFICIARY):
        return Bilan.objects.filter(beneficiary__user=user)
    return Bilan.objects.none()


def can_view_bilan(user, bilan) -> bool:
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return bilan.consultant_id == user.pk or can_view_beneficiary(user, bilan.beneficiary)
    if has_role(user, Role.BENEFICIARY):
        return bilan.beneficiary.user_id == user.pk
    return False


def can_manage_bilan(user, bilan) -> bool:
    """Run the bilan (phases, sessions, convention…): an administrator or its consultant."""
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return bilan.consultant_id == user.pk or can_change_beneficiary(user, bilan.beneficiary)
    return False


def ensure_can_view_bilan(user, bilan) -> None:
    if not can_view_bilan(user, bilan):
        raise Forbidden("Ce bilan ne vous est pas attribué.", code="bilan_not_assigned")


def ensure_can_manage_bilan(user, bilan) -> None:
    if not can_manage_bilan(user, bilan):
        raise Forbidden("Seuls le consultant du bilan et les administrateurs peuvent faire cette action.", code="bilan_not_manageable")


def is_bilan_beneficiary(user, bilan) -> bool:
    return has_role(user, Role.BENEFICIARY) and bilan.beneficiary.user_id == user.pk


def can_view_sensitive_data(user, beneficiary) -> bool:
    """RG-03: disability and accommodations: the assigned consultant and the administrators
    (and the person themself, right of access), nobody else (not another consultant)."""
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return beneficiary.consultant_id == user.pk
    if has_role(user, Role.BENEFICIARY):
        return beneficiary.user_id == user.pk
    return False


def ensure_can_view_sensitive_data(user, beneficiary) -> None:
    if not can_view_sensitive_data(user, beneficiary):
        raise Forbidden("Ces informations sont réservées au consultant assigné et aux administrateurs.", code="sensitive_data_forbidden")


def can_view_thread(user, thread) -> bool:
    """A message thread: its beneficiary and its consultant only (not even an administrator)."""
    if not has_role(user, Role.CONSULTANT, Role.BENEFICIARY):
        return False
    return thread.consultant_id == user.pk or (user.role == Role.BENEFICIARY and thread.beneficiary.user_id == user.pk)


def ensure_can_view_thread(user, thread) -> None:
    if not can_view_thread(user, thread):
        raise Forbidden("Cette conversation ne vous concerne pas.", code="thread_forbidden")


def can_book_for(user, beneficiary) -> bool:
    """Book, move or cancel an appointment of a beneficiary: the person themself, their
    consultant, an administrator."""
    if has_role(user, Role.ADMIN):
        return True
    if has_role(user, Role.CONSULTANT):
        return can_view_beneficiary(user, beneficiary)
    if has_role(user, Role.BENEFICIARY):
        return beneficiary.user_id == user.pk
    return False


def ensure_can_book_for(user, beneficiary) -> None:
    if not can_book_for(user, beneficiary):
        raise Forbidden("Vous ne pouvez pas gérer les rendez-vous de cette personne.", code="appointment_forbidden")


def appointments_visible_to(user) -> QuerySet:
    from django.db.models import Q

    from bilans.scheduling.models import Appointment

    if has_role(user, Role.ADMIN):
        return Appointment.objects.all()
    if has_role(user, Role.CONSULTANT):
        return Appointment.objects.filter(Q(consultant=user) | Q(beneficiary__consultant=user))
    if has_role(user, Role.BENEFICIARY):
        return Appointment.objects.filter(beneficiary__user=user)
    return Appointment.objects.none()


# --- documents of a bilan (bilans.documents) -----------------------------------------------------
def can_manage_documents(user, bilan) -> bool:
    """Generate, edit, validate and publish a bilan's documents: whoever manages the bilan."""
    return can_manage_bilan(user, bilan)


def ensure_can_manage_documents(user, bilan) -> None:
    if not can_manage_documents(user, bilan):
        raise Forbidden("Seuls le consultant du bilan et les administrateurs gèrent ses documents.", code="documents_forbidden")


def can_view_document(user, document) -> bool:
    """Staff who manage the bilan see every state; the beneficiary sees a document only once it
    is published (never a draft nor an unvalidated version)."""
    if can_manage_documents(user, document.bilan):
        return True
    if has_role(user, Role.BENEFICIARY):
        return document.status == "published" and document.bilan.beneficiary.user_id == user.pk
    return False


def ensure_can_view_document(user, document) -> None:
    if not can_view_document(user, document):
        if has_role(user, Role.BENEFICIARY):  # a beneficiary must not learn that a draft exists
            from config.errors import NotFound

            raise NotFound("Document introuvable.", code="document_not_found")
        raise Forbidden("Ce document ne vous est pas accessible.", code="document_forbidden")


def documents_visible_to(user) -> QuerySet:
    from django.db.models import Q

    from bilans.documents.models import Document

    if has_role(user, Role.ADMIN):
        return Document.objects.all()
    if has_role(user, Role.CONSULTANT):
        beneficiaries = get_objects_for_user(user, CHANGE_BENEFICIARY, klass=beneficiaries_visible_to(user), accept_global_perms=False)
        return Document.objects.filter(Q(bilan__consultant=user) | Q(bilan__beneficiary__in=beneficiaries))
    if has_role(user, Role.BENEFICIARY):
        return Document.objects.filter(status="published", bilan__beneficiary__user=user)
    return Document.objects.none()


def can_sign_document(user, document) -> bool:
    """ES-04: the beneficiary signs a published document of their own bilan from their space."""
    return has_role(user, Role.BENEFICIARY) and document.status == "published" and document.bilan.beneficiary.user_id == user.pk


def can_manage_document_settings(user) -> bool:
    return has_role(user, Role.ADMIN)


# --- questionnaires, results and career options (bilans.assessments) ----------------------------
def can_view_assessments(user, bilan) -> bool:
    """Results and career options of a bilan: whoever may see the bilan."""
    return can_view_bilan(user, bilan)


def can_manage_assessments(user, bilan) -> bool:
    """Assign instruments, review self-assessments, run the matching, shortlist projects:
    whoever manages the bilan."""
    return can_manage_bilan(user, bilan)


def can_answer_assessment(user, assessment) -> bool:
    """Only the beneficiary answers their questionnaires (and invites colleagues to a 360°)."""
    return has_role(user, Role.BENEFICIARY) and assessment.bilan.beneficiary.user_id == user.pk


def ensure_can_view_assessments(user, bilan) -> None:
    if not can_view_assessments(user, bilan):
        raise Forbidden("Ce bilan ne vous est pas attribué.", code="bilan_not_assigned")


def ensure_can_manage_assessments(user, bilan) -> None:
    if not can_manage_assessments(user, bilan):
        raise Forbidden("Seuls le consultant du bilan et les administrateurs peuvent faire cette action.", code="assessments_not_manageable")


def ensure_can_answer_assessment(user, assessment) -> None:
    if not can_answer_assessment(user, assessment):
        raise Forbidden("Seul le bénéficiaire du bilan peut répondre à ce questionnaire.", code="assessment_not_yours")


# --- RGPD rights (bilans.rgpd) -------------------------------------------------------------------
def can_export_beneficiary_data(user, beneficiary) -> bool:
    """RG-04: the person themself, or an administrator answering their request. Nobody else
    (not a consultant, never platform staff)."""
    if has_role(user, Role.ADMIN):
        return True
    return has_role(user, Role.BENEFICIARY) and beneficiary.user_id == user.pk


def ensure_can_export_beneficiary_data(user, beneficiary) -> None:
    if not can_export_beneficiary_data(user, beneficiary):
        raise Forbidden("Seuls la personne concernée et les administrateurs peuvent obtenir ces données.", code="rgpd_export_forbidden")


def can_erase_beneficiary(user) -> bool:
    """RG-04: erasure on request is carried out by an administrator."""
    return has_role(user, Role.ADMIN)
