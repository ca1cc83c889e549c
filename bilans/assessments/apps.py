from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "bilans.assessments"
    label = "assessments"
    verbose_name = "Questionnaires, résultats et pistes professionnelles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # CT-09: the bilans retention job also destroys the questionnaire content of ended bilans
        from bilans.assessments.services import assessments_retention_purge
        from bilans.services import register_retention_handler

        register_retention_handler(assessments_retention_purge)
