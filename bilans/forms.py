from django import forms

from organisations.selectors import consultant_list


class BeneficiaryForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="Adresse e-mail")
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    consultant = forms.ModelChoiceField(label="Consultant assigné", queryset=None, required=False, empty_label="— Aucun pour l'instant —")
    invite = forms.BooleanField(label="Envoyer une invitation à son espace personnel", required=False, initial=True)

    def __init__(self, *args, show_consultant: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if show_consultant:
            self.fields["consultant"].queryset = consultant_list()
        else:
            del self.fields["consultant"]


class AssignConsultantForm(forms.Form):
    consultant = forms.ModelChoiceField(label="Consultant", queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = consultant_list()


# --- bilans -------------------------------------------------------------------------------------
from bilans.models import (  # noqa: E402
    MAX_BILAN_MINUTES,
    Beneficiary,
    Bilan,
    BilanFile,
    Consent,
    Convention,
    FundingSource,
    Session,
    SharingConsent,
    Task,
    siren_is_valid,
)

MAX_AMOUNT_EUROS = 1_000_000  # bilans.services.MAX_AMOUNT_CENTS: an amount of a bilan never exceeds this
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    situation = forms.ChoiceField(label="Situation", choices=[("", "— Non renseignée —"), *Beneficiary.Situation.choices], required=False)
    employer_name = forms.CharField(label="Employeur", max_length=200, required=False, help_text="Si la personne est salariée.")
    employer_siren = forms.CharField(
        label="SIREN de l'employeur", max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text="9 chiffres. Un organisme ne peut pas réaliser le bilan de ses propres salariés (article R6313-5).",
    )
    employer_contact_name = forms.CharField(label="Contact chez l'employeur", max_length=200, required=False)
    employer_contact_email = forms.EmailField(label="E-mail du contact employeur", required=False)
    education_summary = forms.CharField(label="Formation", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    career_summary = forms.CharField(label="Parcours professionnel", widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def clean_employer_siren(self) -> str:
        value = "".join((self.cleaned_data.get("employer_siren") or "").split())
        if value and not siren_is_valid(value):
            raise forms.ValidationError("Le SIREN compte 9 chiffres et sa clé de contrôle doit être valide.", code="invalid_siren")
        return value


class OpenBilanForm(forms.Form):
    """Opening a bilan: no field; a refusal (CT-12…) is shown as the form's error."""


class BilanSettingsForm(forms.Form):
    min_accompaniment_hours = forms.DecimalField(
        label="Accompagnement effectif minimum (heures)", min_value=0, max_value=MAX_BILAN_MINUTES // 60, decimal_places=2, initial=0,
        help_text="Séances d'accompagnement réalisées avec le consultant (en présentiel, en visio ou par téléphone) exigées avant de terminer un bilan. "
                  "Un décret annoncé, pas encore en vigueur, fixerait ce minimum à 13 h. 0 = aucun minimum.",
    )


class SensitiveDataForm(forms.Form):
    disability_info = forms.CharField(label="Situation de handicap", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    accommodations = forms.CharField(label="Aménagements nécessaires", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    explicit_consent = forms.BooleanField(
        label="La personne a donné son consentement explicite à l'enregistrement de ces informations, utilisées uniquement pour adapter l'accompagnement",
        required=False,
    )


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label="Type de séance", choices=Session.Kind.choices)
    interview_type = forms.ChoiceField(label="Entretien", choices=[("", "— Séance libre —"), *Session.InterviewType.choices], required=False,
                                       help_text="Les entretiens obligatoires : accueil, exploration, validation, conclusion, suivi à 6 mois.")
    modality = forms.ChoiceField(label="Modalité", choices=Session.Modality.choices)
    starts_at = forms.DateTimeField(label="Date et heure", widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])
    duration_minutes = forms.IntegerField(label="Durée (minutes)", min_value=5, max_value=24 * 60, initial=90)
    instructions = forms.CharField(label="Consignes (travail personnel guidé)", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PlanForm(forms.Form):
    planned_start = forms.DateField(label="Début prévu", widget=DATE_WIDGET, required=False)
    planned_end = forms.DateField(label="Fin prévue", widget=DATE_WIDGET, required=False, help_text="Un bilan s'étale habituellement sur 8 à 12 semaines.")
    accompaniment_hours = forms.DecimalField(label="Accompagnement individuel (heures)", min_value=1, max_value=24, decimal_places=2)
    guided_work_hours = forms.DecimalField(label="Travail personnel guidé (heures)", min_value=0, max_value=23, decimal_places=2)


class FundingForm(forms.Form):
    kind = forms.ChoiceField(label="Financeur", choices=FundingSource.Kind.choices)
    amount = forms.DecimalField(label="Montant (€)", min_value=0, max_value=MAX_AMOUNT_EUROS, decimal_places=2, help_text="0 pour retirer ce financeur.")
    funder_name = forms.CharField(label="Nom du financeur", max_length=200, required=False)


class CpfWorkingTimeForm(forms.Form):
    """CT-19: a CPF-funded bilan (partly) during working time needs the employer's authorisation."""

    during_working_time = forms.BooleanField(label="Le bilan se déroule (en partie) sur le temps de travail", required=False)
    absence_requested_on = forms.DateField(
        label="Demande d'absence adressée à l'employeur le", widget=DATE_WIDGET, required=False,
        help_text="Au moins 60 jours avant le début du bilan (120 jours si le bilan dure 6 mois ou plus).",
    )
    employer_answer = forms.ChoiceField(label="Réponse de l'employeur", choices=FundingSource.EmployerAnswer.choices)
    employer_answered_on = forms.DateField(
        label="Date de la réponse", widget=DATE_WIDGET, required=False,
        help_text="Sans réponse dans les 30 jours calendaires, l'accord de l'employeur est acquis.",
    )


class ObjectiveForm(forms.Form):
    text = forms.CharField(label="Objectif défini avec le bénéficiaire", max_length=500)


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Bilan.Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label="Recueilli", choices=[c for c in Consent.Method.choices if c[0] != Consent.Method.ONLINE])


class ConventionForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=Convention.Kind.choices)
    title = forms.CharField(label="Intitulé", initial="Bilan de compétences", max_length=200)
    objective = forms.CharField(label="Objectif", widget=forms.Textarea(attrs={"rows": 2}))
    content = forms.CharField(label="Contenu", widget=forms.Textarea(attrs={"rows": 2}), initial="Phase préliminaire, phase d'investigation, phase de conclusions, entretien de suivi à 6 mois.")
    means = forms.CharField(label="Moyens", widget=forms.Textarea(attrs={"rows": 2}))
    duration_hours = forms.IntegerField(label="Durée (heures)", min_value=1, max_value=24, initial=24)
    period_start = forms.DateField(label="Début de la période", widget=DATE_WIDGET)
    period_end = forms.DateField(label="Fin de la période", widget=DATE_WIDGET)
    delivery_terms = forms.CharField(label="Modalités de déroulement et de suivi", widget=forms.Textarea(attrs={"rows": 2}))
    results_terms = forms.CharField(label="Modalités de remise des résultats détaillés et de la synthèse", widget=forms.Textarea(attrs={"rows": 2}),
                                    initial="Les résultats détaillés et le document de synthèse sont remis au seul bénéficiaire.")
    price = forms.DecimalField(label="Prix (€)", min_value=0, max_value=MAX_AMOUNT_EUROS, decimal_places=2)
    payment_terms = forms.CharField(label="Modalités de règlement", widget=forms.Textarea(attrs={"rows": 2}))
    employer_name = forms.CharField(label="Employeur (convention tripartite)", max_length=200, required=False)
    deposit = forms.DecimalField(label="Acompte après rétractation (€, contrat)", min_value=0, max_value=MAX_AMOUNT_EUROS, decimal_places=2, required=False, help_text="30 % du prix au plus.")


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=Task.Kind.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    instructions = forms.CharField(label="Consignes", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    due_on = forms.DateField(label="À faire pour le", widget=DATE_WIDGET, required=False)


class SharingConsentForm(forms.Form):
    recipient_kind = forms.ChoiceField(label="Destinataire", choices=SharingConsent.RecipientKind.choices)
    recipient_name = forms.CharField(label="Nom du destinataire", max_length=200)
    recipient_email = forms.EmailField(label="E-mail du destinataire")
    scope = forms.ChoiceField(label="Éléments partagés", choices=SharingConsent.Scope.choices)
    method = forms.ChoiceField(label="Accord recueilli", choices=[c for c in Consent.Method.choices if c[0] != Consent.Method.ONLINE])


class FileForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    kind = forms.ChoiceField(label="Nature", choices=[("working", "Document de travail"), ("attendance", "Feuille d'émargement"), ("invoice", "Facture"), ("convention", "Convention ou contrat signé")])
    upload = forms.FileField(label="Fichier", help_text="PDF, PNG, JPEG, TXT, ODT, DOCX ou XLSX ; 10 Mo au plus.")


class RetentionForm(forms.Form):
    """CT-09 (b): the beneficiary's written agreement, recorded by the consultant."""

    keep_until = forms.DateField(label="Conserver jusqu'au", widget=DATE_WIDGET, help_text="3 ans au plus après la fin du bilan.")
    method = forms.ChoiceField(
        label="Accord écrit recueilli",
        choices=[(BilanFile.RetentionMethod.SIGNED_PAPER, BilanFile.RetentionMethod.SIGNED_PAPER.label), (BilanFile.RetentionMethod.EMAIL, BilanFile.RetentionMethod.EMAIL.label)],
        help_text="Un accord oral ne suffit pas. Le bénéficiaire peut aussi donner son accord en ligne depuis son espace.",
    )
    agreement_reference = forms.CharField(label="Référence de l'accord écrit", max_length=200, help_text="Par exemple : « courrier signé remis en entretien », « e-mail du 12 mars ».")
    agreement_date = forms.DateField(label="Date de l'accord écrit", widget=DATE_WIDGET)
    follow_up_need = forms.CharField(label="Besoin de suivi justifiant la conservation", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MyRetentionForm(forms.Form):
    """CT-09 (b): the beneficiary agrees online, from their space."""

    keep_until = forms.DateField(label="Conserver jusqu'au", widget=DATE_WIDGET, help_text="3 ans au plus après la fin de votre bilan.")
    follow_up_need = forms.CharField(label="Pourquoi souhaitez-vous le conserver ?", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                                     help_text="Par exemple : pour l'entretien de suivi, pour poursuivre votre projet.")
    accept = forms.BooleanField(label="J'accepte par écrit que l'organisme conserve ce document pour mon suivi jusqu'à cette date")


class ThirdPartyAccessForm(forms.Form):
    recipient_email = forms.EmailField(label="E-mail du destinataire")


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(label="Votre satisfaction globale", coerce=int, choices=[(i, f"{i} sur 5") for i in range(5, 0, -1)], widget=forms.RadioSelect)
    objectives_met = forms.TypedChoiceField(label="Vos objectifs ont-ils été atteints ?", coerce=lambda v: v == "oui", choices=[("oui", "Oui"), ("non", "Non")], widget=forms.RadioSelect)
    situation_after = forms.CharField(label="Votre situation aujourd'hui (facultatif)", max_length=200, required=False)
    comment = forms.CharField(label="Un commentaire ? (facultatif)", widget=forms.Textarea(attrs={"rows": 3}), required=False)
