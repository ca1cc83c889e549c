"""Demonstration data of one organisation, built only through the services (every rule applies:
consent before the preliminary phase, signed convention of an employer-funded bilan, 24-hour cap,
credits charged from the bilan's forfait, gapless invoice numbers...). Dates in the past go
through the services' ``now`` argument (bilans.clock) so that each bilan has a plausible history.

Called by ``tenants/management/commands/seed_demo.py`` inside the organisation's schema.
Idempotent: a beneficiary who already has a bilan is left as it is, members and identity are
created or completed once, credits are topped up to a target only when below it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from bilans import services as bilan_services
from bilans.assessments import scoring
from bilans.assessments import services as assessment_services
from bilans.assessments.instruments import DEFINITIONS
from bilans.billing import services as billing_services
from bilans.documents import services as document_services
from bilans.models import Beneficiary, Bilan, Convention, FundingSource, Session
from config.errors import ApplicationError, NotFound
from organisations.accounts.models import Role, User
from organisations.accounts.services import user_create

DEMO_PASSWORD = "Demo-bilans-2026"
S = Bilan.Status
PHASE_ORDER = (S.PROSPECT, S.PRELIMINARY, S.INVESTIGATION, S.CONCLUSIONS, S.FINISHED, S.FOLLOW_UP_DONE, S.CLOSED)
# What a visitor needs to try every paid feature on a new bilan: the largest fixed forfait
# (Premium: every feature) and the custom Entreprise forfait (1 000 credits at least).
WALLET_TARGET = 1500


# --- specifications ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    siret: str
    activity_declaration_number: str
    activity_declaration_region: str
    qualiopi_certificate_number: str
    address_line: str
    postcode: str
    city: str
    iban: str = "FR7630006000011234567890189"
    bic: str = "AGRIFRPP"
    legal_form: str = "SAS"
    share_capital: str = "10 000 €"
    qualiopi_expires_in_days: int = 700


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class BilanSpec:
    """One beneficiary and the phase their bilan reached. ``consultant``: index in the
    organisation's consultants (None: the administrator runs it, as an independent does)."""

    person: Person
    phase: str
    consultant: int | None = 0
    situation: str = Beneficiary.Situation.EMPLOYEE
    employer_name: str = ""
    employer_siren: str = ""
    career_summary: str = ""
    education_summary: str = ""
    objectives: tuple[str, ...] = ()
    riasec: str = "SEC"  # letters the person is drawn to, strongest first
    big_five: dict = field(default_factory=lambda: {"E": 3.5, "A": 4.0, "C": 4.0, "N": 3.0, "O": 3.5})
    values_rank: tuple[str, ...] = ("relationships", "achievement", "independence", "recognition", "working_conditions", "support")
    current_rome: str = ""  # current métier (skills self-assessment)
    projects: tuple[str, ...] = ()  # ROME codes shortlisted, the first one is the main project
    employer_funded: bool = False  # employer plan: signed tripartite convention and an invoice
    price_cents: int = 180000
    summary: str = ""  # what the demo shows on this bilan (printed and in the README)


@dataclass
class Built:
    spec: BilanSpec
    bilan: Bilan | None
    created: bool
    notes: list[str] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------------------
def _at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    """An aware datetime in the organisation's time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _rome_loaded() -> bool:
    from ai.models import Occupation

    return Occupation.objects.exists()


def member_ensure(*, person: Person, role: str, created_by: User | None) -> User:
    """The member with this e-mail (created with the demo password and a verified e-mail)."""
    existing = User.objects.filter(email__iexact=person.email).first()
    if existing is not None:
        return existing
    return user_create(
        email=person.email, role=role, password=DEMO_PASSWORD, first_name=person.first_name, last_name=person.last_name,
        email_verified=True, created_by=created_by,
    )


def identity_ensure(*, organisation, actor: User, identity: Identity) -> None:
    """The legal identity an organisation needs to issue quotes and invoices (SIRET, activity
    declaration, address) and its Qualiopi certificate; only empty fields are filled."""
    changed = []
    values = {
        "siret": identity.siret,
        "activity_declaration_number": identity.activity_declaration_number,
        "activity_declaration_region": identity.activity_declaration_region,
        "qualiopi_certificate_number": identity.qualiopi_certificate_number,
    }
    for name, value in values.items():
        if not getattr(organisation, name):
            setattr(organisation, name, value)
            changed.append(name)
    if organisation.qualiopi_expires_on is None:
        organisation.qualiopi_expires_on = timezone.localdate() + timedelta(days=identity.qualiopi_expires_in_days)
        changed.append("qualiopi_expires_on")
    if not organisation.vat_exempt:
        organisation.vat_exempt = True  # continuing vocational training (CGI art. 261-4-4° a)
        changed.append("vat_exempt")
    if changed:
        organisation.full_clean(exclude=["plan", "slug", "schema_name"])
        organisation.save(update_fields=[*changed, "updated_at"])
    billing = billing_services.settings_get()
    wanted = {
        "address_line": identity.address_line, "postcode": identity.postcode, "city": identity.city, "iban": identity.iban,
        "bic": identity.bic, "legal_form": identity.legal_form, "share_capital": identity.share_capital,
    }
    missing = {name: value for name, value in wanted.items() if value and not getattr(billing, name)}
    if missing:
        billing_services.billing_settings_update(actor=actor, **missing)


def wallet_top_up(*, organisation, staff: User, target: int = WALLET_TARGET) -> int:
    """As platform staff would from the console: a credits adjustment bringing the wallet up to
    ``target`` (nothing when it already holds that much). Returns the credits added."""
    from django.db import connection

    from plans.selectors import available_balance, wallet_for
    from plans.services import credits_adjust, subscription_get

    tenant = connection.tenant
    connection.set_schema_to_public()
    try:
        subscription_get(organisation)  # the wallet exists once the trial started
        balance = available_balance(wallet_for(organisation))
        if balance >= target:
            return 0
        credits_adjust(
            organisation=organisation, amount=target - balance, actor=staff,
            reason="Données de démonstration : crédits pour essayer chaque fonctionnalité",
        )
        return target - balance
    finally:
        connection.set_tenant(tenant)


def _likert(definition: dict, item: dict, target: float, index: int) -> int:
    scale = scoring.item_scale(definition, item)
    value = round(target + (0, 1, -1, 0)[index % 4] * 0.6)
    value = min(scale["max"], max(scale["min"], value))
    return scale["min"] + scale["max"] - value if item.get("reverse") else value


def questionnaire_answers(code: str, spec: BilanSpec) -> dict:
    """Complete, plausible answers of one instrument for the person's profile."""
    definition = DEFINITIONS[code]
    answers = {}
    for index, item in enumerate(scoring.iter_items(definition)):
        scale = scoring.item_scale(definition, item)
        if scale["type"] == "likert":
            if code == "riasec":
                letter = item.get("dimension", "")
                rank = spec.riasec.find(letter)
                target = (4.7, 4.2, 3.6)[rank] if rank >= 0 else 2.0
            elif code == "big_five":
                target = spec.big_five.get(item.get("dimension"), 3.0)
            elif code == "values":
                position = spec.values_rank.index(item["dimension"]) if item.get("dimension") in spec.values_rank else 3
                target = 5 - position * 0.7
            else:
                target = 3.5
            answers[item["id"]] = _likert(definition, item, target, index)
        elif scale["type"] == "ranking":
            options = [option["value"] for option in item["options"]]
            answers[item["id"]] = [value for value in spec.values_rank if value in options] or options
        elif scale["type"] == "choice" and not item.get("optional"):
            answers[item["id"]] = scale["options"][0]["value"]
    return answers


# --- one bilan, phase after phase ------------------------------------------------------------------
@dataclass
class _Run:
    """What building one bilan needs: the people, the bilan and its timeline."""

    spec: BilanSpec
    admin: User
    consultant: User  # who runs the bilan (the administrator for an independent)
    beneficiary_user: User
    bilan: Bilan
    start: date
    notes: list[str]

    def reached(self, phase: str) -> bool:
        return PHASE_ORDER.index(self.spec.phase) >= PHASE_ORDER.index(phase)

    def done(self, phase: str) -> bool:
        """True when the bilan must stop at ``phase`` (the target phase)."""
        return self.spec.phase == phase


# Days from the start of the bilan at which each step happens, per target phase; the start is
# chosen so that the last past step is a few days ago.
_START_DAYS_AGO = {
    S.PROSPECT: 3,
    S.PRELIMINARY: 12,
    S.INVESTIGATION: 35,
    S.CONCLUSIONS: 62,
    S.FINISHED: 100,
    S.FOLLOW_UP_DONE: 300,
    S.CLOSED: 360,
}


def _session(run: _Run, *, day: date, interview_type: str, minutes: int, modality: str = Session.Modality.VIDEO,
             kind: str = Session.Kind.ACCOMPANIMENT, hour: int = 9, attended: bool | None = None, instructions: str = "") -> Session:
    """Plan a session; a past one is recorded as attended (and signed by the beneficiary)."""
    starts_at = _at(day, hour)
    session = bilan_services.session_plan(
        actor=run.consultant, bilan=run.bilan, starts_at=starts_at, duration_minutes=minutes, kind=kind,
        interview_type=interview_type, modality=modality, instructions=instructions,
    )
    if attended is None:
        attended = starts_at + timedelta(minutes=minutes) < timezone.now()
    if attended:
        session = bilan_services.session_record_attendance(actor=run.consultant, session=session, attendance=Session.Attendance.ATTENDED)
        if kind == Session.Kind.ACCOMPANIMENT:
            bilan_services.session_confirm_attendance(
                actor=run.beneficiary_user, session=session, ip="192.0.2.10", now=starts_at + timedelta(minutes=minutes + 30)
            )
    return session


def _questionnaire(run: _Run, code: str, *, day: date, submit: bool = True):
    assessment = assessment_services.assessment_assign(bilan=run.bilan, instrument_code=code, actor=run.consultant)
    if not submit:
        return assessment
    moment = _at(day, 20)
    assessment_services.assessment_page_served(assessment=assessment, actor=run.beneficiary_user, now=moment)
    assessment_services.assessment_save(
        assessment=assessment, actor=run.beneficiary_user, answers=questionnaire_answers(code, run.spec), now=moment + timedelta(minutes=12)
    )
    return assessment_services.assessment_submit(assessment=assessment, actor=run.beneficiary_user, now=moment + timedelta(minutes=14))


def _skills(run: _Run, *, day: date):
    """The ROME skills self-assessment on the person's current métier (needs the referential)."""
    from ai.models import OccupationSkill

    if not run.spec.current_rome:
        return None
    try:
        assessment = assessment_services.assessment_assign(bilan=run.bilan, instrument_code="skills", actor=run.consultant)
        assessment_services.skills_occupation_add(assessment=assessment, actor=run.beneficiary_user, code_rome=run.spec.current_rome, current=True)
    except NotFound:
        return None
    skill_ids = list(
        OccupationSkill.objects.filter(occupation_id=run.spec.current_rome).order_by("skill__label").values_list("skill_id", flat=True)[:10]
    )
    if not skill_ids:
        return None
    levels = ("advanced", "expert", "intermediate", "advanced")
    appetite = ("likes", "likes", "neutral", "dislikes")
    ratings = {
        str(skill_id): {"mastery": levels[i % 4], "frequency": "often", "context": "work", "appetite": appetite[i % 4], "potential": "medium"}
        for i, skill_id in enumerate(skill_ids)
    }
    moment = _at(day, 19)
    assessment_services.assessment_page_served(assessment=assessment, actor=run.beneficiary_user, now=moment)
    assessment_services.skills_ratings_save(assessment=assessment, actor=run.beneficiary_user, ratings=ratings, now=moment + timedelta(minutes=14))
    return assessment_services.assessment_submit(assessment=assessment, actor=run.beneficiary_user, now=moment + timedelta(minutes=15))


def _projects(run: _Run) -> int:
    """Shortlist the person's professional projects (ROME métiers), the first as main project."""
    from bilans.assessments.models import CareerOption

    added = 0
    for index, code in enumerate(run.spec.projects):
        kind = CareerOption.Kind.MAIN if index == 0 else CareerOption.Kind.ALTERNATIVE
        try:
            option = assessment_services.career_option_add(bilan=run.bilan, actor=run.consultant, code_rome=code, kind=kind)
        except NotFound:
            continue
        assessment_services.career_option_update(
            option=option, actor=run.consultant, feasibility=4 - index,
            advantages="Valorise l'expérience acquise et correspond aux intérêts dominants." if index == 0 else "Piste complémentaire à explorer par une enquête métier.",
            risks="Formation courte à prévoir." if index == 0 else "Marché local à vérifier.",
        )
        added += 1
    return added


def _document(run: _Run, doc_type: str, *, publish: bool):
    """Draft a document with the built-in engine (synchronously, as the job would), and when
    ``publish``, validate it and render its PDF for the beneficiary."""
    document = document_services.document_request(actor=run.consultant, bilan=run.bilan, doc_type=doc_type)
    document = document_services.document_generate(document_id=document.pk, actor_id=run.consultant.pk) or document
    document.refresh_from_db()
    if document.status != document.Status.REVIEW:
        raise RuntimeError(f"demo document {doc_type} not drafted: {document.failure_code} {document.failure_reason}")
    if publish:
        document = document_services.document_validate(actor=run.consultant, document=document)
        document = document_services.document_publish(document_id=document.pk)
        if document.status != document.Status.PUBLISHED:
            raise RuntimeError(f"demo document {doc_type} not published: {document.failure_code} {document.failure_reason}")
    return document


def _employer_convention(run: _Run) -> Convention:
    """Employer-funded bilan (plan de développement des compétences): the tripartite convention
    is sent, signed by the employee from their space, by the employer and by the organisation
    (CT-14, R6313-8) before the preliminary phase."""
    spec = run.spec
    bilan_services.funding_set(actor=run.consultant, bilan=run.bilan, kind=FundingSource.Kind.EMPLOYER_PLAN, amount_cents=spec.price_cents, funder_name=spec.employer_name)
    convention = bilan_services.convention_create(
        actor=run.consultant, bilan=run.bilan, kind=Convention.Kind.TRIPARTITE,
        objective="Permettre à la salariée d'analyser ses compétences, aptitudes et motivations afin de définir un projet professionnel.",
        content="Phase préliminaire, phase d'investigation et phase de conclusions, entretien de suivi à six mois.",
        means="Entretiens individuels avec une consultante, questionnaires d'intérêts et de personnalité, enquêtes métiers.",
        duration_hours=24, period_start=run.start, period_end=run.start + timedelta(days=90),
        delivery_terms="Entretiens en visio et en présentiel, travail personnel guidé entre les séances.",
        results_terms="Résultats détaillés et document de synthèse remis à la seule bénéficiaire.",
        price_cents=spec.price_cents, payment_terms="À réception de la facture, à 30 jours.",
        employer_name=spec.employer_name, employer_signatory="Directrice des ressources humaines",
    )
    sent = _at(run.start - timedelta(days=8), 10)
    convention = bilan_services.convention_send(actor=run.consultant, convention=convention, now=sent)
    convention = bilan_services.convention_sign(actor=run.beneficiary_user, convention=convention, party="beneficiary", ip="192.0.2.10", now=sent + timedelta(days=2))
    convention = bilan_services.convention_sign(actor=run.consultant, convention=convention, party="employer", signatory="Directrice des ressources humaines", now=sent + timedelta(days=3))
    return bilan_services.convention_sign(actor=run.consultant, convention=convention, party="organisation", now=sent + timedelta(days=3, hours=2))


def _invoice(run: _Run, *, issued_on: date):
    spec = run.spec
    funder = billing_services.funder_create(
        actor=run.admin, kind="employer", name=spec.employer_name, siren=spec.employer_siren, address_line="8 avenue des Acacias",
        postcode="69003", city="Lyon", email="comptabilite@exemple.fr",
    )
    invoice = billing_services.invoice_create(
        actor=run.admin, bilan=run.bilan, funder=funder, lines=[{"label": "Bilan de compétences – 24 h", "unit_price_cents": spec.price_cents}],
        service_start=run.start, service_end=issued_on,
    )
    return billing_services.invoice_issue(actor=run.admin, invoice=invoice, today=issued_on)


def bilan_build(*, spec: BilanSpec, admin: User, consultants: list[User]) -> Built:
    """The person's file, account and bilan up to ``spec.phase`` (nothing when they already have a bilan)."""
    person = spec.person
    # an independent runs their bilans themself: they are assigned when their role allows it
    consultant = consultants[spec.consultant] if spec.consultant is not None else admin
    beneficiary = Beneficiary.objects.filter(email__iexact=person.email).first()
    if beneficiary is not None and beneficiary.bilans.exists():
        return Built(spec, beneficiary.bilans.order_by("-created_at").first(), created=False)
    with transaction.atomic():
        if beneficiary is None:
            beneficiary = bilan_services.beneficiary_create(actor=admin, first_name=person.first_name, last_name=person.last_name, email=person.email)
        if beneficiary.consultant_id != consultant.pk:
            try:
                with transaction.atomic():
                    bilan_services.beneficiary_assign_consultant(beneficiary=beneficiary, consultant=consultant, actor=admin)
            except ApplicationError:  # an administrator who is not a consultant: they run it as administrator
                consultant = None
        if beneficiary.user_id is None:
            account = member_ensure(person=person, role=Role.BENEFICIARY, created_by=admin)
            bilan_services.beneficiary_link_account(beneficiary=beneficiary, user=account)
        profile = {"situation": spec.situation, "career_summary": spec.career_summary, "education_summary": spec.education_summary}
        if spec.employer_name:
            profile.update(employer_name=spec.employer_name, employer_siren=spec.employer_siren)
        bilan_services.beneficiary_update_profile(actor=admin, beneficiary=beneficiary, **profile)
        beneficiary.refresh_from_db()
        runner = consultant or admin
        start = timezone.localdate() - timedelta(days=_START_DAYS_AGO[spec.phase])
        bilan = bilan_services.bilan_create(
            actor=runner, beneficiary=beneficiary, consultant=consultant, planned_start=start, planned_end=start + timedelta(days=90)
        )
        run = _Run(spec, admin, runner, beneficiary.user, bilan, start, [])
        _advance(run)
        run.bilan.refresh_from_db()
    return Built(spec, run.bilan, created=True, notes=run.notes)


def _advance(run: _Run) -> None:
    spec, start = run.spec, run.start
    if run.done(S.PROSPECT):
        # the free preliminary interview is booked; the information document is given so that
        # the person can read it and consent from their space
        bilan_services.information_document_deliver(actor=run.consultant, bilan=run.bilan, now=_at(start, 11))
        _session(run, day=timezone.localdate() + timedelta(days=4), interview_type=Session.InterviewType.WELCOME, minutes=60, modality=Session.Modality.IN_PERSON, hour=14)
        return
    bilan_services.bilan_assign_forfait(bilan=run.bilan, forfait_code="premium", actor=run.consultant)
    if spec.employer_funded:
        _employer_convention(run)
    bilan_services.information_document_deliver(actor=run.consultant, bilan=run.bilan, now=_at(start - timedelta(days=2), 11))
    bilan_services.consent_record(actor=run.beneficiary_user, bilan=run.bilan, method="online", now=_at(start - timedelta(days=1), 18))
    _session(run, day=start, interview_type=Session.InterviewType.WELCOME, minutes=120, modality=Session.Modality.IN_PERSON)
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.PRELIMINARY, now=_at(start, 12))
    for text in spec.objectives:
        bilan_services.objective_add(actor=run.consultant, bilan=run.bilan, text=text)
    if run.done(S.PRELIMINARY):
        _questionnaire(run, "riasec", day=start, submit=False)  # waiting for the beneficiary
        _session(run, day=timezone.localdate() + timedelta(days=5), interview_type=Session.InterviewType.EXPLORATION, minutes=120, hour=10)
        run.notes.append("questionnaire d'intérêts à remplir, prochain entretien planifié")
        return

    investigation = start + timedelta(days=7)
    _session(run, day=investigation, interview_type=Session.InterviewType.EXPLORATION, minutes=120)
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.INVESTIGATION, now=_at(investigation, 12))
    _questionnaire(run, "riasec", day=investigation + timedelta(days=1))
    _questionnaire(run, "big_five", day=investigation + timedelta(days=3))
    rome = _rome_loaded()
    if rome and _skills(run, day=investigation + timedelta(days=5)):
        run.notes.append("autoévaluation des compétences (ROME)")
    _session(run, day=investigation + timedelta(days=10), interview_type=Session.InterviewType.OTHER, minutes=120, instructions="Restitution des questionnaires")
    if run.done(S.INVESTIGATION):
        _questionnaire(run, "values", day=investigation, submit=False)  # waiting for the beneficiary
        if rome and _projects(run):
            run.notes.append("pistes métiers présélectionnées")
        _document(run, "results_interpretation", publish=False)
        _session(run, day=timezone.localdate() + timedelta(days=6), interview_type=Session.InterviewType.OTHER, minutes=120, hour=10, instructions="Enquête métier à préparer")
        run.notes.append("questionnaire de valeurs à remplir, interprétation des résultats en relecture")
        return
    _questionnaire(run, "values", day=investigation + timedelta(days=6))
    if rome:
        _projects(run)
    long_ago = spec.phase in (S.FOLLOW_UP_DONE, S.CLOSED)  # fewer PDFs to render: the seed stays quick
    if not long_ago:
        _document(run, "results_interpretation", publish=True)

    conclusions = start + timedelta(days=45)
    _session(run, day=conclusions, interview_type=Session.InterviewType.VALIDATION, minutes=120)
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.CONCLUSIONS, now=_at(conclusions, 12))
    if run.done(S.CONCLUSIONS):
        _document(run, "synthesis", publish=False)
        _session(run, day=timezone.localdate() + timedelta(days=7), interview_type=Session.InterviewType.CONCLUSION, minutes=120, hour=10)
        run.notes.append("synthèse en relecture, résultats détaillés publiés, entretien de conclusion planifié")
        return

    end = start + timedelta(days=60)
    _session(run, day=end, interview_type=Session.InterviewType.CONCLUSION, minutes=120, modality=Session.Modality.IN_PERSON)
    bilan_services.bilan_record_synthesis_delivery(actor=run.consultant, bilan=run.bilan, now=_at(end, 11, 45))
    synthesis = _document(run, "synthesis", publish=True)
    if not long_ago:
        _document(run, "action_plan", publish=True)
    for objective in run.bilan.objectives.all():
        bilan_services.objective_assess(actor=run.consultant, objective=objective, achieved=True)
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.FINISHED, now=_at(end, 12))
    run.bilan.refresh_from_db()
    if spec.employer_funded:
        invoice = _invoice(run, issued_on=end)
        run.notes.append(f"facture {invoice.number} émise à l'employeur")
    if run.done(S.FINISHED):
        # the synthèse is kept for the follow-up on the beneficiary's written agreement (CT-09 b)
        document_services.document_retain(
            actor=run.consultant, document=synthesis, keep_until=end + timedelta(days=365), method="signed_paper",
            follow_up_need="Préparer l'entretien de suivi à six mois.", agreement_reference="Accord signé lors de l'entretien de conclusion",
            agreement_date=end,
        )
        follow_up = run.bilan.follow_up_due_on
        _session(run, day=follow_up, interview_type=Session.InterviewType.FOLLOW_UP, minutes=60, hour=10)
        run.notes.append(f"entretien de suivi à 6 mois planifié le {follow_up:%d/%m/%Y}")
        return
    follow_up = run.bilan.follow_up_due_on
    _session(run, day=follow_up, interview_type=Session.InterviewType.FOLLOW_UP, minutes=60)
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.FOLLOW_UP_DONE, now=_at(follow_up, 12))
    if run.done(S.FOLLOW_UP_DONE):
        return
    bilan_services.bilan_transition(actor=run.consultant, bilan=run.bilan, to_status=S.CLOSED, now=_at(follow_up + timedelta(days=14), 12))


# --- the demonstration organisations ----------------------------------------------------------------
DEMO_IDENTITY = Identity(
    siret="88231457800007", activity_declaration_number="11755555575", activity_declaration_region="Île-de-France",
    qualiopi_certificate_number="QUALIOPI-DEMO-2025-0142", address_line="12 rue des Lilas", postcode="75011", city="Paris",
)
INDEPENDENT_IDENTITY = Identity(
    siret="79412836300007", activity_declaration_number="84691234569", activity_declaration_region="Auvergne-Rhône-Alpes",
    qualiopi_certificate_number="QUALIOPI-DEMO-2025-0587", address_line="5 quai Saint-Vincent", postcode="69001", city="Lyon",
    legal_form="Entreprise individuelle", share_capital="",
)
EMPLOYER_SIREN = "841235799"  # Luhn-valid, fictitious

DEMO_CONSULTANTS = (Person("Claire", "Martin", "claire.martin@demo.fr"), Person("Julien", "Bernard", "julien.bernard@demo.fr"))

DEMO_BILANS = (
    BilanSpec(
        Person("Sophie", "Leroy", "sophie.leroy@exemple.fr"), S.PROSPECT, consultant=0, situation=Beneficiary.Situation.EMPLOYEE,
        career_summary="Assistante de direction depuis douze ans dans une PME du bâtiment.",
        summary="prospect : entretien préliminaire gratuit planifié, document d'information remis, consentement à donner depuis son espace",
    ),
    BilanSpec(
        Person("Karim", "Haddad", "karim.haddad@exemple.fr"), S.INVESTIGATION, consultant=0, situation=Beneficiary.Situation.EMPLOYEE,
        career_summary="Technicien de maintenance industrielle depuis quinze ans, tuteur des apprentis de son atelier.",
        education_summary="BTS Maintenance des systèmes.",
        objectives=("Identifier les métiers où transmettre son savoir-faire technique", "Évaluer la faisabilité d'une reconversion vers la formation"),
        riasec="RSI", big_five={"E": 3.2, "A": 4.2, "C": 4.4, "N": 3.6, "O": 3.4},
        values_rank=("relationships", "achievement", "working_conditions", "independence", "recognition", "support"),
        current_rome="", projects=("K2111", "H1206"),
        summary="phase d'investigation : questionnaires d'intérêts et de personnalité remplis, questionnaire de valeurs à remplir, "
        "pistes métiers présélectionnées, interprétation des résultats en relecture",
    ),
    BilanSpec(
        Person("Émilie", "Rousseau", "emilie.rousseau@exemple.fr"), S.CONCLUSIONS, consultant=0, situation=Beneficiary.Situation.CAREER_CHANGE,
        career_summary="Comptable en cabinet pendant dix ans, en congé parental depuis un an.",
        education_summary="DCG (diplôme de comptabilité et de gestion).",
        objectives=("Valoriser l'expérience comptable dans un métier d'analyse", "Concilier le projet avec la vie de famille"),
        riasec="CIE", big_five={"E": 2.8, "A": 3.8, "C": 4.6, "N": 3.4, "O": 3.8},
        values_rank=("working_conditions", "independence", "achievement", "recognition", "relationships", "support"),
        current_rome="M1204", projects=("M1204", "M1402", "M1607"),
        summary="phase de conclusions : toutes les évaluations faites, trois projets comparés, résultats publiés, synthèse en relecture à valider",
    ),
    BilanSpec(
        Person("Thomas", "Petit", "thomas.petit@exemple.fr"), S.PRELIMINARY, consultant=1, situation=Beneficiary.Situation.JOBSEEKER,
        career_summary="Commercial en grande distribution pendant huit ans, licencié économique il y a trois mois.",
        objectives=("Faire le point sur ses compétences commerciales", "Explorer des métiers moins itinérants"),
        riasec="ESC",
        summary="phase préliminaire : consentement recueilli, objectifs définis, questionnaire d'intérêts à remplir, prochain entretien planifié",
    ),
    BilanSpec(
        Person("Nadia", "Benali", "nadia.benali@exemple.fr"), S.FINISHED, consultant=1, situation=Beneficiary.Situation.EMPLOYEE,
        employer_name="Transports Rhône Logistique SAS", employer_siren=EMPLOYER_SIREN, employer_funded=True,
        career_summary="Responsable d'exploitation dans le transport de marchandises depuis neuf ans.",
        objectives=("Évoluer vers un poste en ressources humaines", "Construire un plan de formation réaliste"),
        riasec="SEA", big_five={"E": 4.2, "A": 4.3, "C": 3.9, "N": 3.5, "O": 3.9},
        values_rank=("relationships", "recognition", "achievement", "support", "independence", "working_conditions"),
        current_rome="", projects=("M1503", "K1801"),
        summary="terminé : financé par l'employeur (convention tripartite signée), synthèse et plan d'action publiés, "
        "facture émise, entretien de suivi à 6 mois planifié",
    ),
    BilanSpec(
        Person("Lucas", "Moreau", "lucas.moreau@exemple.fr"), S.FOLLOW_UP_DONE, consultant=1, situation=Beneficiary.Situation.EMPLOYEE,
        career_summary="Infirmier en service de chirurgie depuis sept ans.",
        objectives=("Trouver un métier de la santé sans travail de nuit",),
        riasec="SIC", projects=("K1801",),
        summary="entretien de suivi à 6 mois réalisé, questionnaires de satisfaction envoyés : le bilan peut être clos",
    ),
    BilanSpec(
        Person("Camille", "Fontaine", "camille.fontaine@exemple.fr"), S.CLOSED, consultant=0, situation=Beneficiary.Situation.SELF_EMPLOYED,
        career_summary="Graphiste indépendante depuis six ans.",
        objectives=("Sécuriser ses revenus par une activité salariée complémentaire",),
        riasec="AEC", projects=("E1103",),
        summary="clos après l'entretien de suivi : dossier archivé, documents de travail détruits à la fin du bilan (R6313-7)",
    ),
)

INDEPENDENT_BILANS = (
    BilanSpec(
        Person("Inès", "Garnier", "ines.garnier@exemple.fr"), S.PROSPECT, consultant=None, situation=Beneficiary.Situation.EMPLOYEE,
        career_summary="Chargée de clientèle bancaire depuis six ans.",
        summary="prospect : entretien préliminaire planifié",
    ),
    BilanSpec(
        Person("Paul", "Girard", "paul.girard@exemple.fr"), S.INVESTIGATION, consultant=None, situation=Beneficiary.Situation.EMPLOYEE,
        career_summary="Professeur de mathématiques en collège depuis quatorze ans.",
        objectives=("Identifier des métiers hors de l'enseignement qui valorisent la pédagogie",),
        riasec="ISC", projects=("K2111", "M1805"),
        summary="phase d'investigation : questionnaires remplis, pistes métiers",
    ),
    BilanSpec(
        Person("Léa", "Marchand", "lea.marchand@exemple.fr"), S.FINISHED, consultant=None, situation=Beneficiary.Situation.JOBSEEKER,
        career_summary="Assistante commerciale, en recherche d'emploi depuis six mois.",
        objectives=("Choisir entre deux pistes de reconversion",),
        riasec="CSE", projects=("M1607", "D1402"),
        summary="terminé : synthèse publiée, entretien de suivi planifié",
    ),
)


@dataclass
class SeedReport:
    built: list[Built]
    credits_added: int

    def phases(self) -> set[str]:
        return {item.bilan.status for item in self.built if item.bilan is not None}


def organisation_seed(*, organisation, admin: User, staff: User, identity: Identity, consultants: tuple[Person, ...], bilans: tuple[BilanSpec, ...]) -> SeedReport:
    """Members, legal identity, credits and bilans of one demonstration organisation (run in
    its schema). The wallet is topped up before (forfaits are taken from it) and after (so a
    visitor can try every feature on a new bilan)."""
    members = [member_ensure(person=person, role=Role.CONSULTANT, created_by=admin) for person in consultants]
    identity_ensure(organisation=organisation, actor=admin, identity=identity)
    to_build = [spec for spec in bilans if not Bilan.objects.filter(beneficiary__email__iexact=spec.person.email).exists()]
    added = wallet_top_up(organisation=organisation, staff=staff, target=WALLET_TARGET + 500 * sum(spec.phase != S.PROSPECT for spec in to_build))
    built = [bilan_build(spec=spec, admin=admin, consultants=members) for spec in bilans]
    added += wallet_top_up(organisation=organisation, staff=staff)
    return SeedReport(built=built, credits_added=added)
