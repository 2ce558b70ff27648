from django.apps import AppConfig


class DelegationConfig(AppConfig):
    name = "delegation"
    verbose_name = "Delegated administration"
    default_auto_field = "django.db.models.BigAutoField"
