from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "bilans.documents"
    label = "documents"
    verbose_name = "Documents du bilan"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        try:
            from bilans.services import register_retention_handler
        except ImportError:  # an older bilans app without the retention hook
            return
        from bilans.documents.services import documents_retention_purge

        register_retention_handler(documents_retention_purge)
