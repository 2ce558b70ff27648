from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenant directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from partnerportal.reauth import remember_sign_in

        from . import signals  # noqa: F401  (connects the receivers)

        user_logged_in.connect(remember_sign_in, dispatch_uid="portal.remember_sign_in")
