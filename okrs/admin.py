"""Admin for goals. It writes only through the services, as the app and the API do.

Adding, changing or deleting an objective, a key result or a metric calls the
same service (audited, progress kept in step, aligned initiatives marked for a
rescore), with the staff member as the actor. Readings and check-ins are
history: they can be added (through the ingest and check-in services), never
edited or deleted here.
"""

from django import forms
from django.contrib import admin

from web.admin import ReadOnlyInline, ServiceDeleteMixin, adopt, changed_values, form_values

from . import services
from .models import CheckIn, KeyResult, Metric, MetricReading, Objective


class KeyResultInline(ReadOnlyInline):
    model = KeyResult
    fields = ("title", "kind", "metric", "start", "target", "current", "unit", "weight")
    readonly_fields = fields


@admin.register(Objective)
class ObjectiveAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("title", "period", "team", "weight", "status", "progress", "owner", "parent")
    list_filter = ("period", "status", "team")
    search_fields = ("title", "description")
    readonly_fields = ("progress", "version", "created_at", "updated_at")
    autocomplete_fields = ("parent", "owner")
    inlines = [KeyResultInline]

    def save_model(self, request, obj, form, change):
        if change:
            services.objective_update(actor=request.user, objective=obj, data=changed_values(form))
        else:
            adopt(obj, services.objective_create(actor=request.user, **form_values(form)))

    def delete_service(self, request, obj):
        services.objective_delete(actor=request.user, objective=obj)


@admin.register(KeyResult)
class KeyResultAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "objective",
        "kind",
        "metric",
        "start",
        "target",
        "current",
        "progress",
        "confidence",
    )
    list_filter = ("kind", "confidence", "objective__period", "metric")
    search_fields = ("title", "objective__title")
    readonly_fields = ("progress", "version", "created_at", "updated_at")
    list_select_related = ("objective", "metric")
    autocomplete_fields = ("objective", "metric")

    def save_model(self, request, obj, form, change):
        if change:
            services.key_result_update(
                actor=request.user, key_result=obj, data=changed_values(form)
            )
        else:
            adopt(obj, services.key_result_create(actor=request.user, **form_values(form)))

    def delete_service(self, request, obj):
        services.key_result_delete(actor=request.user, key_result=obj)


@admin.register(Metric)
class MetricAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("key", "name", "unit", "direction")
    list_filter = ("direction",)
    search_fields = ("key", "name")

    def get_readonly_fields(self, request, obj=None):
        # Integrations push readings by key: it is fixed once the metric exists.
        return ("key",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            services.metric_update(actor=request.user, metric=obj, data=changed_values(form))
        else:
            adopt(obj, services.metric_create(actor=request.user, **form_values(form)))

    def delete_service(self, request, obj):
        services.metric_delete(actor=request.user, metric=obj)


class MetricReadingAdminForm(forms.ModelForm):
    """Refuses a reading for a derived metric on the form (the API answers 400 the same)."""

    class Meta:
        model = MetricReading
        fields = ("metric", "value", "observed_at", "source", "external_id")

    def clean(self):
        data = super().clean()
        metric = data.get("metric")
        refusal = services.metric_push_refusal(metric) if metric is not None else None
        if refusal:
            self.add_error("metric", refusal)
        return data


@admin.register(MetricReading)
class MetricReadingAdmin(admin.ModelAdmin):
    form = MetricReadingAdminForm
    list_display = ("metric", "value", "observed_at", "source", "external_id")
    list_filter = ("metric", "source")
    search_fields = ("external_id", "source")
    date_hierarchy = "observed_at"
    list_select_related = ("metric",)
    fields = ("metric", "value", "observed_at", "source", "external_id")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        item = form_values(form)
        metric = item.pop("metric")
        item["external_id"] = item.get("external_id") or None
        result = services.metric_readings_ingest(actor=request.user, metric=metric, items=[item])
        adopt(obj, result.readings[0])


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("key_result", "value", "confidence", "author", "checked_at")
    list_filter = ("confidence",)
    search_fields = ("note", "key_result__title")
    date_hierarchy = "checked_at"
    list_select_related = ("key_result", "author")
    fields = ("key_result", "value", "confidence", "note", "checked_at")
    autocomplete_fields = ("key_result",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        adopt(obj, services.check_in_create(actor=request.user, **form_values(form)))
