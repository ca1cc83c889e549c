"""The recorded request behind an export produced by an administrator (art. 12 and 15 RGPD)."""
from __future__ import annotations

from django import forms
from django.utils import timezone


class ExportRequestForm(forms.Form):
    CHANNELS = [
        ("email", "Courriel"),
        ("letter", "Courrier"),
        ("in_person", "Demande remise en main propre"),
        ("online_form", "Formulaire en ligne"),
    ]

    reference = forms.CharField(
        label="Référence de la demande",
        max_length=120,
        help_text="Par exemple la date et l'objet du courriel, ou le numéro d'enregistrement du courrier.",
    )
    received_on = forms.DateField(label="Date de réception de la demande", widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label="Reçue par", choices=CHANNELS)

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        today = timezone.localdate()
        if received_on > today:
            raise forms.ValidationError("La date de réception ne peut pas être dans le futur.")
        if (today - received_on).days > 366:
            raise forms.ValidationError("Une demande de plus d'un an ne peut pas justifier un export aujourd'hui.")
        return received_on
