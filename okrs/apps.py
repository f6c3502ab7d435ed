from django.apps import AppConfig


class OkrsConfig(AppConfig):
    name = "okrs"
    verbose_name = "OKRs"
    default_auto_field = "django.db.models.BigAutoField"
