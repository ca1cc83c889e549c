from django import forms

from organisations.accounts.models import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail")
    role = forms.ChoiceField(
        label="Rôle",
        choices=[(Role.CONSULTANT.value, "Consultant"), (Role.ADMIN.value, "Administrateur"), (Role.BENEFICIARY.value, "Bénéficiaire")],
    )
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    password = forms.CharField(
        label="Choisissez un mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Au moins 10 caractères, pas uniquement des chiffres.",
    )
    password_confirm = forms.CharField(
        label="Confirmez le mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "Les deux mots de passe ne sont pas identiques.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Nom du jeton", max_length=80, help_text="Le logiciel qui l'utilisera, par exemple « Tableur RH ».")
    scope = forms.ChoiceField(
        label="Droits",
        choices=[("read", "Lecture seule"), ("read_write", "Lecture et écriture")],
        initial="read",
        widget=forms.RadioSelect,
    )
    validity_days = forms.TypedChoiceField(
        label="Validité",
        coerce=int,
        choices=[(30, "30 jours"), (90, "90 jours"), (365, "1 an")],
        initial=90,
    )
