"""Admin pieces both apps use so that the admin writes only through the services."""

from __future__ import annotations

from django.contrib import admin


def form_values(form) -> dict:
    """Every field of the admin form, as a create service takes them."""
    return {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}


def changed_values(form) -> dict:
    """Only the fields the staff member changed: the others stay as the service finds them."""
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
    }


def adopt(obj, saved) -> None:
    """The admin logs and redirects with its own instance: give it the saved row's id."""
    obj.pk = saved.pk
    obj._state.adding = False


class ServiceDeleteMixin:
    """Deletes, one by one or with the bulk action, through `delete_service(request, obj)`."""

    def delete_service(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(request, obj)


class ReadOnlyAdminMixin:
    """History or computed rows: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Shown for reference; edited on its own admin page, where the services run."""

    extra = 0
    show_change_link = True
    can_delete = False
