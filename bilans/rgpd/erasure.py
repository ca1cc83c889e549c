"""RG-04 (art. 17): erasure on request. Everything that is not under a legal retention
obligation is deleted; what must be kept is listed with its reason and end date (art. 17(3)(b)),
stripped of free text and attached to an anonymised beneficiary row. The audit log keeps the
fact (counts and categories), never the content."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from bilans.rgpd.collect import related_querysets
from config.errors import Conflict
from organisations.accounts.services import audit_event_record

ACCOUNTING = "Pièces comptables : conservation 10 ans (art. L123-22 du Code de commerce)"
CONTRACT = "Convention ou contrat signé : preuve contractuelle, 5 ans (art. 2224 du Code civil)"
ATTENDANCE = "Preuve de réalisation (émargements, séances) pour le contrôle des financements (CPF-07) : 5 ans"
CONSENT = "Preuve du consentement recueilli (CT-04, RGPD art. 7.1) : 5 ans"
CPF_FILE = "Dossier CPF (déclarations EDOF, participation) : pièces justificatives des fonds reçus, 10 ans"
ANCHOR = (
    "Trame anonymisée du bilan (statut et dates) à laquelle se rattachent les pièces conservées :"
    " aussi longtemps que ces pièces (10 ans après la fin du bilan ou la dernière facture)"
)
SURVEY = (
    "Notes de satisfaction sans commentaire, pour les indicateurs de résultats Qualiopi (indicateur 2) :"
    " 3 ans après la fin du bilan (un cycle de certification Qualiopi)"
)
SURVEY_YEARS = 3
ANCHOR_YEARS = 10  # as long as the longest retention of the pieces attached to it (accounting, CPF)
PROTECTED = "Enregistrement que l'application protège contre la suppression (résultats de tests, documents scellés) : anonymisé par le rattachement à une personne effacée"


@dataclass
class KeptItem:
    label: str
    count: int
    reason: str
    until: date | None = None


@dataclass
class ErasurePlan:
    deleted: dict[str, int] = field(default_factory=dict)
    kept: list[KeptItem] = field(default_factory=list)


def _years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day + timedelta(days=365 * years)


def _end_of(bilans) -> date:
    ends = [b.ended_at or b.updated_at for b in bilans]
    return timezone.localdate(max(ends)) if ends else timezone.localdate()


def _accounting_until(bilans) -> date | None:
    """The end of the 10-year retention of the beneficiary's issued billing documents (their
    lines, payments, reminders and funders are kept exactly as long)."""
    from django.db.models import Max

    from bilans.billing.models import BillingDocument

    last = BillingDocument.objects.filter(bilan__in=bilans).exclude(status="draft").aggregate(m=Max("issued_on"))["m"]
    return _years(last, 10) if last else None


def _kept_rule(label: str, queryset, bilans):
    """(reason, until, filter for the rows to keep) for a model under retention, or None."""
    end = _end_of(bilans)
    if label == "billing.billingdocument":
        issued = queryset.exclude(status="draft")
        last = max((d.issued_on for d in issued), default=None)
        return ACCOUNTING, _years(last, 10) if last else None, issued
    if label in ("billing.billingline", "billing.payment", "billing.paymentreminder", "billing.quoteshare"):
        return ACCOUNTING, _accounting_until(bilans), queryset
    if label == "billing.funder":
        from bilans.billing.models import BillingDocument

        used = BillingDocument.objects.exclude(status="draft").values("funder_id")
        return ACCOUNTING, _accounting_until(bilans), queryset.filter(pk__in=used)
    if label == "billing.cpffile":
        return CPF_FILE, _years(end, 10), queryset
    if label == "bilans.convention":
        return CONTRACT, _years(end, 5), queryset.filter(status="signed")
    if label == "bilans.session":
        return ATTENDANCE, _years(end, 5), queryset
    if label == "bilans.bilanfile":
        return ATTENDANCE, _years(end, 5), queryset.filter(kind__in=["attendance", "invoice", "convention"], destroyed_at__isnull=True)
    if label == "bilans.consent":
        return CONSENT, _years(end, 5), queryset
    if label == "bilans.satisfactionsurvey":
        return SURVEY, _years(end, SURVEY_YEARS), queryset.filter(score__isnull=False)
    if label == "bilans.bilan":
        return ANCHOR, max(filter(None, [_years(end, ANCHOR_YEARS), _accounting_until(bilans)])), queryset
    return None


def _verbose(model) -> str:
    return str(model._meta.verbose_name_plural).capitalize()


def erasure_plan(*, beneficiary) -> tuple[ErasurePlan, list]:
    """What erasure would delete and keep, and the querysets to act on (deepest first)."""
    from bilans.models import Bilan

    bilans = list(Bilan.objects.filter(beneficiary=beneficiary))
    plan = ErasurePlan()
    actions = []
    for depth, model, queryset in related_querysets(beneficiary):
        label = model._meta.label_lower
        if label == "bilans.beneficiary":
            continue
        rule = _kept_rule(label, queryset, bilans)
        if rule is None:
            to_delete = queryset
        else:
            reason, until, keep = rule
            kept_count = keep.count()
            if kept_count:
                plan.kept.append(KeptItem(_verbose(model), kept_count, reason, until))
            to_delete = queryset.exclude(pk__in=keep.values("pk"))
        count = to_delete.count()
        if count:
            plan.deleted[_verbose(model)] = count
            actions.append((depth, model, to_delete))
    actions.sort(key=lambda a: -a[0])
    return plan, actions


def _scrub(beneficiary, *, now) -> None:
    """Anonymise what is kept: the beneficiary row, free text on kept rows, the login account."""
    from bilans.models import Beneficiary, Bilan

    tag = uuid.uuid4().hex[:12]
    from organisations.accounts.services import audit_labels_scrub

    user = beneficiary.user
    audit_labels_scrub(
        labels=[beneficiary.email, beneficiary.full_name, user.email if user else "", user.get_full_name() if user else ""],
        replacement="Personne effacée (RGPD)",
        actor_ids=[user.pk] if user else [],
    )
    Beneficiary.objects.filter(pk=beneficiary.pk).update(
        first_name="Personne", last_name="effacée", email=f"efface-{tag}@efface.invalid", phone="", updated_at=now,
        **{name: "" for name in ("situation", "employer_name", "employer_contact_name", "employer_contact_email", "education_summary",
                                  "career_summary", "disability_info", "accommodations", "sensitive_consent_method")
           if any(f.name == name for f in Beneficiary._meta.concrete_fields)},
    )
    if any(f.name == "sensitive_consent_at" for f in Beneficiary._meta.concrete_fields):
        Beneficiary.objects.filter(pk=beneficiary.pk).update(sensitive_consent_at=None)
    if any(f.name == "abandon_reason" for f in Bilan._meta.concrete_fields):
        Bilan.objects.filter(beneficiary=beneficiary, status="abandoned").update(abandon_reason="Motif effacé (RGPD)")
        Bilan.objects.filter(beneficiary=beneficiary).exclude(status="abandoned").update(abandon_reason="")
    from bilans.quality.sources import model

    Session = model("bilans", "Session")
    if Session is not None and any(f.name == "instructions" for f in Session._meta.concrete_fields):
        Session.objects.filter(bilan__beneficiary=beneficiary).update(instructions="")
    Survey = model("bilans", "SatisfactionSurvey")
    if Survey is not None:
        Survey.objects.filter(bilan__beneficiary=beneficiary).update(comment="", situation_after="")
    from bilans.billing.models import Funder

    Funder.objects.filter(beneficiary=beneficiary).update(email="", address_line="", postcode="", city="")
    user = beneficiary.user
    if user is not None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.filter(user=user).delete()
        user.email = f"efface-{tag}@efface.invalid"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()


@transaction.atomic
def beneficiary_erase(*, actor, beneficiary, now=None) -> ErasurePlan:
    """Erase a beneficiary's data on request (art. 17). Refused while a bilan is in progress."""
    from bilans.models import Beneficiary, Bilan

    now = now or timezone.now()
    beneficiary = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if Bilan.objects.filter(beneficiary=beneficiary, status__in=Bilan.OPEN_STATUSES).exists():
        raise Conflict("Un bilan est en cours : terminez-le ou enregistrez l'abandon avant l'effacement.", code="erasure_bilan_open")
    plan, actions = erasure_plan(beneficiary=beneficiary)
    protected: dict[str, int] = {}
    for _, model, queryset in actions:
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk__in=pks).delete()
        except (ProtectedError, IntegrityError, DatabaseError):
            remaining = model.objects.filter(pk__in=pks).count()
            if remaining:
                protected[_verbose(model)] = remaining
    for label, count in protected.items():
        plan.deleted[label] = plan.deleted.get(label, 0) - count
        if plan.deleted[label] <= 0:
            plan.deleted.pop(label)
        plan.kept.append(KeptItem(label, count, PROTECTED))
    _scrub(beneficiary, now=now)
    plan.kept.append(KeptItem("Journal d'audit", 0, "Le journal garde la trace des actions, sans contenu personnel"))
    audit_event_record(
        action="rgpd.erasure",
        actor=actor,
        target=beneficiary,
        details={"deleted": plan.deleted, "kept": [{"label": k.label, "count": k.count, "until": k.until.isoformat() if k.until else None} for k in plan.kept]},
    )
    return plan
