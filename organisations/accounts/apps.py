from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "organisations.accounts"
    label = "accounts"
    verbose_name = "Comptes et journal d'audit"
