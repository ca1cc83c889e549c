from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "IA, référentiel ROME et appariement"
