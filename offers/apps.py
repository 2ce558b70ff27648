from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Delegated administration offers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .views import remember_sign_in

        user_logged_in.connect(remember_sign_in, dispatch_uid="offers.remember_sign_in")
