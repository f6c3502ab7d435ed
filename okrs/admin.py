from django.contrib import admin

from .models import CheckIn, KeyResult, Metric, MetricReading, Objective


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    extra = 0
    fields = ("title", "kind", "metric", "start", "target", "current", "unit", "weight")
    show_change_link = True


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ("title", "period", "team", "weight", "status", "progress", "owner", "parent")
    list_filter = ("period", "status", "team")
    search_fields = ("title", "description")
    readonly_fields = ("progress", "version", "created_at", "updated_at")
    autocomplete_fields = ("parent", "owner")
    inlines = [KeyResultInline]


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
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


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "direction")
    list_filter = ("direction",)
    search_fields = ("key", "name")


@admin.register(MetricReading)
class MetricReadingAdmin(admin.ModelAdmin):
    list_display = ("metric", "value", "observed_at", "source", "external_id")
    list_filter = ("metric", "source")
    search_fields = ("external_id", "source")
    date_hierarchy = "observed_at"
    list_select_related = ("metric",)


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("key_result", "value", "confidence", "author", "checked_at")
    list_filter = ("confidence",)
    search_fields = ("note", "key_result__title")
    date_hierarchy = "checked_at"
    list_select_related = ("key_result", "author")
