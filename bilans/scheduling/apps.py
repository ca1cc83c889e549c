from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "bilans.scheduling"
    label = "scheduling"
    verbose_name = "Rendez-vous et disponibilités"
