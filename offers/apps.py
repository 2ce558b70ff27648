from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Delegated administration offers"
    default_auto_field = "django.db.models.BigAutoField"
