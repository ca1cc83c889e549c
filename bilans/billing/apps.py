from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "bilans.billing"
    label = "billing"
    verbose_name = "Devis, factures et comptabilité"
    default_auto_field = "django.db.models.BigAutoField"
