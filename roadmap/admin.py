"""Admin for reference data. Writes that move scores go through the services."""

from django.contrib import admin

from . import services
from .models import (
    Alignment,
    Customer,
    Evidence,
    FullRescore,
    Initiative,
    RecomputeRun,
    ScoreSnapshot,
    Segment,
)


class AlignmentInline(admin.TabularInline):
    model = Alignment
    extra = 0
    autocomplete_fields = ("key_result",)


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "rank",
        "priority_score",
        "rice_score",
        "alignment_score",
        "status",
        "lane",
        "team",
        "target_quarter",
        "reach_source",
        "needs_rescore",
    )
    list_filter = ("status", "lane", "team", "reach_source", "needs_rescore")
    search_fields = ("title", "description")
    readonly_fields = (
        "rice_score",
        "alignment_score",
        "priority_score",
        "rank",
        "scored_at",
        "breakdown",
        "evidence_count",
        "needs_rescore",
        "version",
        "created_at",
        "updated_at",
    )
    autocomplete_fields = ("owner",)
    inlines = [AlignmentInline]
    actions = ["rescore"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.initiatives_mark(ids=[obj.pk], trigger=Initiative.Trigger.EDIT)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.initiatives_mark(ids=[form.instance.pk], trigger=Initiative.Trigger.EDIT)

    @admin.action(description="Rescore selected initiatives now")
    def rescore(self, request, queryset):
        services.initiatives_mark(
            ids=list(queryset.values_list("id", flat=True)), trigger=Initiative.Trigger.EDIT
        )


@admin.register(Alignment)
class AlignmentAdmin(admin.ModelAdmin):
    list_display = ("initiative", "key_result", "contribution")
    list_filter = ("contribution", "key_result__objective")
    search_fields = ("initiative__title", "key_result__title")
    list_select_related = ("initiative", "key_result")
    autocomplete_fields = ("initiative", "key_result")


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "weight")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        services.segment_save(actor=request.user, segment=obj)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "segment", "annual_revenue")
    list_filter = ("segment",)
    search_fields = ("name", "external_id")
    list_select_related = ("segment",)

    def save_model(self, request, obj, form, change):
        services.customer_save(actor=request.user, customer=obj)


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "importance", "customer", "initiative", "received_at")
    list_filter = ("source", "importance", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("text", "external_id", "customer__name")
    date_hierarchy = "received_at"
    list_select_related = ("customer", "initiative")
    autocomplete_fields = ("customer", "initiative")

    def save_model(self, request, obj, form, change):
        previous = None
        if change:
            previous = Evidence.objects.filter(pk=obj.pk).values_list("initiative_id", flat=True)[0]
        super().save_model(request, obj, form, change)
        services.initiatives_mark(
            ids={i for i in (previous, obj.initiative_id) if i},
            trigger=Initiative.Trigger.EVIDENCE,
        )


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(admin.ModelAdmin):
    list_display = ("initiative", "rank", "priority_score", "trigger", "created_at")
    list_filter = ("trigger",)
    search_fields = ("initiative__title",)
    list_select_related = ("initiative",)


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = ("id", "trigger", "claimed", "changed", "duration_ms", "created_at")
    list_filter = ("trigger",)


@admin.register(FullRescore)
class FullRescoreAdmin(admin.ModelAdmin):
    """Full rescores asked for and not yet done; adding one rescores everything now."""

    list_display = ("id", "reaggregate", "trigger", "created_at")

    def has_change_permission(self, request, obj=None):
        return False  # a request is done or deleted, never edited

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.request_rescore()  # the row is the request; this wakes the worker
