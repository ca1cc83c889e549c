from __future__ import annotations

from django import forms

from organisations.profile.validators import FRENCH_REGIONS
from tenants.models import VAT_EXEMPTION_MENTION

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, *, required=False, max_length=None, help_text="", **attrs):
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class ProfileForm(forms.Form):
    """Legal identity and bank details. Checks (Luhn, IBAN…) live in the service so that the
    page and the API say the same thing; the form only shapes the input."""

    GROUPS = [
        ("identite", "Identité légale", ["siret", "legal_form", "share_capital", "vat_number", "legal_representative", "legal_representative_title"]),
        ("adresse", "Adresse du siège", ["address_line", "postcode", "city"]),
        ("declaration", "Déclaration d'activité", ["activity_declaration_number", "activity_declaration_region"]),
        ("tva", "TVA", ["vat_exempt", "vat_exemption_mention"]),
        ("qualiopi", "Certificat Qualiopi", ["qualiopi_certificate_number", "qualiopi_certified_on", "qualiopi_certifier", "qualiopi_expires_on"]),
        ("banque", "Coordonnées bancaires (paiement par virement)", ["iban", "bic"]),
    ]

    siret = _text("SIRET", max_length=20, help_text="14 chiffres, sur votre avis de situation Insee ou votre extrait Kbis.", inputmode="numeric", autocomplete="off")
    legal_form = _text("Forme juridique", max_length=80, help_text="Ex. SAS, SARL, entreprise individuelle, association.")
    share_capital = _text("Capital social", max_length=40, help_text="Pour une société, ex. « 10 000 € ».")
    vat_number = _text("Numéro de TVA intracommunautaire", max_length=20, help_text="Facultatif si vous êtes exonéré de TVA.")
    legal_representative = _text("Représentant légal", max_length=150, help_text="Prénom et nom de la personne qui signe les conventions.", autocomplete="name")
    legal_representative_title = _text("Qualité du représentant légal", max_length=80, help_text="Ex. Présidente, Gérant.")
    address_line = _text("Adresse", max_length=200, autocomplete="street-address")
    postcode = _text("Code postal", max_length=10, inputmode="numeric", autocomplete="postal-code")
    city = _text("Ville", max_length=100, autocomplete="address-level2")
    activity_declaration_number = _text(
        "Numéro de déclaration d'activité", max_length=20, inputmode="numeric", autocomplete="off",
        help_text="11 chiffres, sur le récépissé de la DREETS (ex. 11 75 12345 75).",
    )
    activity_declaration_region = forms.ChoiceField(
        label="Région de la déclaration", required=False, choices=[("", "Choisissez la région")] + [(r, r) for r in FRENCH_REGIONS],
    )
    vat_exempt = forms.BooleanField(label="Mon organisme est exonéré de TVA pour la formation professionnelle continue", required=False)
    vat_exemption_mention = _text(
        "Mention d'exonération imprimée sur les factures", max_length=200,
        help_text="Si vous détenez l'attestation de la DREETS (formulaire 3511-SD). Texte par défaut : " + VAT_EXEMPTION_MENTION + ".",
    )
    qualiopi_certificate_number = _text("Numéro du certificat Qualiopi", max_length=64)
    qualiopi_certified_on = forms.DateField(label="Date du certificat", required=False, widget=DATE)
    qualiopi_certifier = _text("Organisme certificateur", max_length=120, help_text="Ex. AFNOR Certification, Bureau Veritas, Certif'Cert.")
    qualiopi_expires_on = forms.DateField(label="Date d'expiration du certificat", required=False, widget=DATE, help_text="Facultatif : le certificat vaut 3 ans.")
    iban = _text("IBAN", max_length=42, help_text="Recopiez-le depuis votre RIB (les espaces sont acceptés).", autocomplete="off", spellcheck="false")
    bic = _text("BIC", max_length=15, help_text="8 ou 11 caractères, sur votre RIB.", autocomplete="off", spellcheck="false")

    def groups(self):
        return [(anchor, legend, [self[name] for name in names]) for anchor, legend, names in self.GROUPS]


class BrandingForm(forms.Form):
    brand_colour = forms.CharField(
        label="Couleur de votre marque", required=False, max_length=7,
        help_text="Utilisée pour les boutons, les titres et les bandeaux. Un texte blanc doit rester lisible dessus (contraste d'au moins 4,5:1).",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    use_default_colour = forms.BooleanField(label="Revenir à la couleur par défaut", required=False)
    logo = forms.FileField(
        label="Logo", required=False, help_text="Image PNG ou JPEG, 512 Ko au plus. Il apparaît sur vos pages, vos e-mails et vos PDF.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label="Retirer le logo actuel", required=False)

    def __init__(self, *args, colour_allowed: bool = True, has_logo: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_logo:
            del self.fields["remove_logo"]
        if not colour_allowed:
            del self.fields["brand_colour"]
            del self.fields["use_default_colour"]


class PublicPageForm(forms.Form):
    GROUPS = [
        ("publication", "Publication", ["is_published", "requests_open"]),
        ("presentation", "Présentation et offre", ["presentation", "objectives", "prerequisites", "duration", "access", "prices", "funding", "methods", "evaluation"]),
        ("accessibilite", "Accessibilité", ["accessibility", "disability_contact_name", "disability_contact_email", "disability_contact_phone"]),
        ("contact", "Contact", ["contact_email", "contact_phone"]),
    ]
    is_published = forms.BooleanField(label="Publier la page de présentation à l'adresse de mon espace", required=False)
    requests_open = forms.BooleanField(label="Proposer le formulaire « Demander un rendez-vous »", required=False)
    presentation = forms.CharField(label="Présentation de l'organisme", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    objectives = forms.CharField(label="Objectifs du bilan", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    prerequisites = forms.CharField(label="Prérequis", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    duration = forms.CharField(label="Durée et rythme", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    access = forms.CharField(label="Délais et modalités d'accès", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    prices = forms.CharField(label="Tarifs", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Ex. « Bilan complet de 24 h : 1 800 € net de taxe ».")
    funding = forms.CharField(label="Modes de financement", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    methods = forms.CharField(label="Méthodes mobilisées", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evaluation = forms.CharField(label="Modalités d'évaluation", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    accessibility = forms.CharField(label="Accueil des personnes en situation de handicap", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    disability_contact_name = _text("Référent handicap", max_length=150)
    disability_contact_email = forms.CharField(label="E-mail du référent handicap", required=False, max_length=254, widget=forms.EmailInput())
    disability_contact_phone = _text("Téléphone du référent handicap", max_length=30, type="tel")
    contact_email = forms.CharField(label="E-mail de contact", required=False, max_length=254, widget=forms.EmailInput())
    contact_phone = _text("Téléphone de contact", max_length=30, type="tel")

    def groups(self):
        return [(anchor, legend, [self[name] for name in names]) for anchor, legend, names in self.GROUPS]


FUNDING_CHOICES = [
    ("", "Je ne sais pas encore"),
    ("cpf", "Mon compte personnel de formation (CPF)"),
    ("employer", "Mon employeur ou un OPCO"),
    ("france_travail", "France Travail"),
    ("personal", "Financement personnel"),
]


class ContactRequestForm(forms.Form):
    first_name = _text("Prénom", required=True, max_length=150, autocomplete="given-name")
    last_name = _text("Nom", required=True, max_length=150, autocomplete="family-name")
    email = forms.CharField(label="Adresse e-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = _text("Téléphone", max_length=30, type="tel", autocomplete="tel", help_text="Facultatif, si vous préférez être rappelé.")
    funding = forms.ChoiceField(label="Financement envisagé", required=False, choices=FUNDING_CHOICES)
    message = forms.CharField(
        label="Votre message", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Facultatif : vos disponibilités, votre situation. N'indiquez pas d'information de santé.",
    )
    consent = forms.BooleanField(label="")  # label set per organisation
    # anti-spam: a field people never see (bots fill it) and the moment the form was shown
    website = forms.CharField(required=False, label="Ne pas remplir ce champ", widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, consent_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_label
        self.fields["consent"].error_messages["required"] = "Cochez cette case pour que nous puissions vous recontacter."
        self.fields["first_name"].error_messages["required"] = "Indiquez votre prénom."
        self.fields["last_name"].error_messages["required"] = "Indiquez votre nom."
        self.fields["email"].error_messages["required"] = "Indiquez votre adresse e-mail."

    def visible_person_fields(self):
        return [self[name] for name in ("first_name", "last_name", "email", "phone", "funding", "message", "consent")]
