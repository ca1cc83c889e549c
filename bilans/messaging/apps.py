from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "bilans.messaging"
    label = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        from bilans.messaging.services import attachments_purge
        from bilans.services import register_retention_handler

        register_retention_handler(attachments_purge)
