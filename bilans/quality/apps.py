from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "bilans.quality"
    label = "quality"
    verbose_name = "Qualiopi, BPF et RGPD"
    default_auto_field = "django.db.models.BigAutoField"
