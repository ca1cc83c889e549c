from __future__ import annotations

from django import forms

from ai.generation.doctypes import CHOICES


class DocumentRequestForm(forms.Form):
    doc_type = forms.ChoiceField(label="Type de document", choices=CHOICES)
    due_on = forms.DateField(
        label="Échéance", required=False, help_text="Facultatif : date à laquelle le document doit être prêt.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class VersionForm(forms.Form):
    content_html = forms.CharField(
        label="Contenu du document", widget=forms.Textarea(attrs={"rows": 24, "class": "w-full", "data-rich-text": ""}),
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
    until = forms.DateField(
        label="Conserver jusqu'au", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Uniquement avec l'accord écrit du bénéficiaire, fondé sur le besoin de suivi : 3 ans au plus (article R6313-7).",
    )


class SignatureStartForm(forms.Form):
    ordered = forms.BooleanField(
        label="Imposer l'ordre des signatures (bénéficiaire, puis employeur, puis organisme)", required=False,
        help_text="Sinon, chaque partie peut signer dès réception, dans n'importe quel ordre.",
    )
    employer_name = forms.CharField(label="Nom du signataire pour l'employeur", max_length=300, required=False)
    employer_email = forms.EmailField(label="E-mail du signataire pour l'employeur", required=False, help_text="Il reçoit un lien personnel à usage unique.")
