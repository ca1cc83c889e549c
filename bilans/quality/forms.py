from __future__ import annotations

from django import forms

from bilans.quality.indicators import INDICATORS
from bilans.quality.models import Complaint, ImprovementAction, Partner, StaffQualification, StaffTraining, WatchEntry

DATE = forms.DateInput(attrs={"type": "date"})


class EvidenceForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200)
    dated = forms.DateField(label="Date de la preuve", widget=DATE)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    upload = forms.FileField(label="Fichier", required=False)


class ComplaintForm(forms.Form):
    received_on = forms.DateField(label="Reçue le", widget=DATE)
    source = forms.ChoiceField(label="Origine", choices=Complaint.Source.choices)
    subject = forms.CharField(label="Objet (sans donnée personnelle)", max_length=300)
    answer_within_days = forms.IntegerField(label="Délai de réponse (jours)", min_value=1, max_value=60, initial=15)


class ComplaintCloseForm(forms.Form):
    response = forms.CharField(label="Réponse apportée", widget=forms.Textarea(attrs={"rows": 3}))
    closed_on = forms.DateField(label="Close le", widget=DATE)


class ActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = ["title", "origin", "complaint", "owner", "decided_on", "due_on", "done_on", "result"]
        widgets = {"decided_on": DATE, "due_on": DATE, "done_on": DATE, "result": forms.Textarea(attrs={"rows": 2})}


class ActionCompleteForm(forms.Form):
    done_on = forms.DateField(label="Réalisée le", widget=DATE)
    result = forms.CharField(label="Effet constaté", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class WatchForm(forms.ModelForm):
    class Meta:
        model = WatchEntry
        fields = ["kind", "dated", "source", "summary", "action_taken"]
        widgets = {"dated": DATE, "summary": forms.Textarea(attrs={"rows": 3}), "action_taken": forms.Textarea(attrs={"rows": 2})}


class QualificationForm(forms.ModelForm):
    class Meta:
        model = StaffQualification
        fields = ["user", "kind", "title", "obtained_on", "expires_on"]
        widgets = {"obtained_on": DATE, "expires_on": DATE}

    def __init__(self, *args, **kwargs):
        from organisations.accounts.models import Role, User

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(role__in=[Role.CONSULTANT, Role.ADMIN], is_active=True)
        self.fields["user"].label = "Membre de l'équipe"


class TrainingForm(QualificationForm):
    class Meta:
        model = StaffTraining
        fields = ["user", "kind", "title", "dated", "hours"]
        widgets = {"dated": DATE}


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["kind", "name", "contact", "checked_on", "hours", "trainees", "fiscal_year", "notes"]
        widgets = {"checked_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class PeriodForm(forms.Form):
    du = forms.DateField(label="Du", widget=DATE)
    au = forms.DateField(label="Au", widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["au"] < data["du"]:
            raise forms.ValidationError("La fin de la période précède son début.")
        return data


INDICATOR_CHOICES = [(i.number, f"{i.number} – {i.title}") for i in INDICATORS if i.applies_to_bc]
