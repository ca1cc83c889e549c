from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator

from ai.generation.doctypes import CHOICES
from bilans.documents.content import CONTENT_HTML_MAX_CHARS, content_too_long_message
from bilans.documents.models import RetentionMethod

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _TooLong(MaxLengthValidator):
    """The cap on a document's body, with the service's French message. No ``maxlength``
    attribute on the field: a browser would silently cut a pasted text."""

    def __call__(self, value):
        if len(value) > self.limit_value:
            raise forms.ValidationError(content_too_long_message(len(value)), code="document_too_long")


class DocumentRequestForm(forms.Form):
    doc_type = forms.ChoiceField(label="Type de document", choices=CHOICES)
    due_on = forms.DateField(
        label="Échéance", required=False, help_text="Facultatif : date à laquelle le document doit être prêt.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class VersionForm(forms.Form):
    content_html = forms.CharField(
        label="Contenu du document", widget=forms.Textarea(attrs={"rows": 24, "class": "w-full", "data-rich-text": ""}),
        validators=[_TooLong(CONTENT_HTML_MAX_CHARS)],
        help_text="Chaque enregistrement crée une nouvelle version. La mise en forme autorisée : titres, paragraphes, listes, tableaux, gras, italique.",
    )


class DocumentSettingsForm(forms.Form):
    allow_external_ai = forms.BooleanField(
        label="Autoriser un service d'IA externe (données pseudonymisées)", required=False,
        help_text="Décochez pour que tous vos documents soient rédigés par le moteur intégré, sans envoi de données hors de la plateforme.",
    )
    footer_text = forms.CharField(label="Mention complémentaire en pied de page", required=False, max_length=300)
    logo = forms.FileField(label="Logo (PNG ou JPEG, 512 Ko au plus)", required=False)
    remove_logo = forms.BooleanField(label="Retirer le logo actuel", required=False)


class TemplateForm(forms.Form):
    html = forms.CharField(
        label="Modèle HTML", widget=forms.Textarea(attrs={"rows": 18, "class": "w-full", "spellcheck": "false"}),
        help_text="Variables autorisées entre doubles accolades, par exemple {{ beneficiaire.nom_complet }}. Le modèle doit contenir {{ contenu }}.",
    )


class VerifyForm(forms.Form):
    file = forms.FileField(label="Fichier PDF à vérifier")


class SignatureConfirmForm(forms.Form):
    code = forms.CharField(label="Code reçu par e-mail", max_length=6, min_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    consent = forms.BooleanField(label="J'ai lu le document et je l'approuve ; la saisie du code vaut signature électronique de ma part.", required=True)


class RetentionForm(forms.Form):
    """CT-09 (b): the beneficiary's written agreement, recorded by the consultant."""

    keep_until = forms.DateField(label="Conserver jusqu'au", widget=DATE_WIDGET, help_text="3 ans au plus après la fin du bilan.")
    method = forms.ChoiceField(
        label="Accord écrit recueilli",
        choices=[(RetentionMethod.SIGNED_PAPER, RetentionMethod.SIGNED_PAPER.label), (RetentionMethod.EMAIL, RetentionMethod.EMAIL.label)],
        help_text="Un accord oral ne suffit pas. Le bénéficiaire peut aussi donner son accord en ligne depuis son espace.",
    )
    agreement_reference = forms.CharField(label="Référence de l'accord écrit", max_length=200, help_text="Par exemple : « courrier signé remis en entretien », « e-mail du 12 mars ».")
    agreement_date = forms.DateField(label="Date de l'accord écrit", widget=DATE_WIDGET)
    follow_up_need = forms.CharField(label="Besoin de suivi justifiant la conservation", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MyRetentionForm(forms.Form):
    """CT-09 (b): the beneficiary agrees online, from their space."""

    keep_until = forms.DateField(label="Conserver jusqu'au", widget=DATE_WIDGET, help_text="3 ans au plus après la fin de votre bilan.")
    follow_up_need = forms.CharField(
        label="Pourquoi souhaitez-vous le conserver ?", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        help_text="Par exemple : pour l'entretien de suivi, pour poursuivre votre projet.",
    )
    accept = forms.BooleanField(label="J'accepte par écrit que l'organisme conserve ce document pour mon suivi jusqu'à cette date")


class SignatureStartForm(forms.Form):
    ordered = forms.BooleanField(
        label="Imposer l'ordre des signatures (bénéficiaire, puis employeur, puis organisme)", required=False,
        help_text="Sinon, chaque partie peut signer dès réception, dans n'importe quel ordre.",
    )
    employer_name = forms.CharField(label="Nom du signataire pour l'employeur", max_length=300, required=False)
    employer_email = forms.EmailField(label="E-mail du signataire pour l'employeur", required=False, help_text="Il reçoit un lien personnel à usage unique.")
