from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenant directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        from partnerportal.db import install_wrapper
        from partnerportal.reauth import remember_sign_in

        from . import signals  # noqa: F401  (connects the receivers)

        user_logged_in.connect(remember_sign_in, dispatch_uid="portal.remember_sign_in")
        connection_created.connect(install_wrapper, dispatch_uid="portal.plan_patterns")
