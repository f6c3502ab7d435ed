from django.contrib import admin

from web.admin import ServiceDeleteMixin

from . import services
from .models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    """Shown and deleted here (through the service, audited); saved from the pages themselves."""

    list_display = ("name", "page", "owner", "shared", "updated_at")
    list_filter = ("page", "shared")
    search_fields = ("name", "owner__username")
    readonly_fields = ("page", "name", "query", "owner", "shared", "created_at", "updated_at")

    def has_add_permission(self, request, obj=None):
        return False

    def delete_service(self, request, obj) -> None:
        services.saved_view_delete(actor=request.user, view=obj)
