from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the Bearer scheme with drf-spectacular (an import-time registry).
        from . import schema  # noqa: F401
