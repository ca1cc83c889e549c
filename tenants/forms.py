from django import forms

from tenants.models import Organisation


class SignupForm(forms.Form):
    kind = forms.ChoiceField(
        label="Vous êtes",
        choices=[
            (Organisation.Kind.TRAINING_ORGANISATION, "Un organisme de bilans de compétences"),
            (Organisation.Kind.INDEPENDENT_CONSULTANT, "Un consultant indépendant"),
        ],
        widget=forms.RadioSelect,
        initial=Organisation.Kind.TRAINING_ORGANISATION,
    )
    name = forms.CharField(label="Nom de votre organisme ou de votre activité", max_length=200)
    slug = forms.CharField(
        label="Adresse de votre espace",
        max_length=40,
        help_text="Lettres minuscules, chiffres et tirets. Exemple : « mon-cabinet » donnera mon-cabinet.{domain}.",
    )
    first_name = forms.CharField(label="Votre prénom", max_length=150)
    last_name = forms.CharField(label="Votre nom", max_length=150)
    email = forms.EmailField(label="Votre adresse e-mail", help_text="Elle vous servira d'identifiant.")
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Au moins 10 caractères, pas uniquement des chiffres.",
    )
    accept_terms = forms.BooleanField(
        label="J'accepte les conditions d'utilisation et la politique de confidentialité",
        required=True,
    )
    # Proof of work (tenants.signup_guard): filled in by static/js/signup-challenge.js.
    challenge = forms.CharField(widget=forms.HiddenInput, required=False)
    solution = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, platform_domain: str = "localhost", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = self.fields["slug"].help_text.format(domain=platform_domain)
        self.fields["slug"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "pattern": "[a-z0-9-]+"})
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class ConsoleOrganisationForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=200)
    slug = forms.CharField(label="Adresse (sous-domaine)", max_length=40)
    kind = forms.ChoiceField(label="Type", choices=Organisation.Kind.choices)
    siret = forms.CharField(label="SIRET", max_length=14, required=False)
    admin_first_name = forms.CharField(label="Prénom de l'administrateur", max_length=150, required=False)
    admin_last_name = forms.CharField(label="Nom de l'administrateur", max_length=150, required=False)
    admin_email = forms.EmailField(
        label="E-mail de l'administrateur",
        help_text="L'administrateur recevra un lien pour choisir son mot de passe.",
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(label="Motif de la suspension", max_length=300)
