from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "bilans.assessments"
    label = "assessments"
    verbose_name = "Questionnaires, résultats et pistes professionnelles"
    default_auto_field = "django.db.models.BigAutoField"
