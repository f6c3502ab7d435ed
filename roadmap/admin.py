"""Admin for the roadmap. It writes only through the services, as the app and the API do.

Initiatives, alignments, segments and customers are added, changed and
deleted by the same services (audited, marked for a rescore), with the staff
member as the actor. Evidence can be relinked or deleted, not typed in here
(it arrives through the inbox and the API). Scores, snapshots and recompute
runs are computed: shown, never edited.
"""

from django import forms
from django.contrib import admin

from web.admin import (
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    ServiceDeleteMixin,
    adopt,
    changed_values,
    form_values,
)

from . import services
from .forms import keep_derived_reach
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
from .services.initiatives import EDITABLE_FIELDS


class AlignmentInline(ReadOnlyInline):
    model = Alignment
    fields = ("key_result", "contribution")
    readonly_fields = fields


class InitiativeAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        keep_derived_reach(self, cleaned)  # as the app's form: derived reach is not typed
        return cleaned


@admin.register(Initiative)
class InitiativeAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = InitiativeAdminForm
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

    def get_queryset(self, request):
        # The list shows each row's rank: counted for the page in one query.
        return super().get_queryset(request).with_ranks()

    search_fields = ("title", "description")
    fields = (
        "title",
        "description",
        "status",
        "lane",
        "target_quarter",
        "team",
        "owner",
        "reach_source",
        "reach",
        "impact",
        "confidence",
        "effort",
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
        if change:
            data = {k: v for k, v in changed_values(form).items() if k in EDITABLE_FIELDS}
            services.initiative_update(actor=request.user, initiative=obj, data=data)
        else:
            fields = {k: v for k, v in form_values(form).items() if k in EDITABLE_FIELDS}
            adopt(obj, services.initiative_create(actor=request.user, **fields))

    def delete_service(self, request, obj):
        services.initiative_delete(actor=request.user, initiative=obj)

    @admin.action(description="Rescore selected initiatives now")
    def rescore(self, request, queryset):
        services.initiatives_mark(
            ids=list(queryset.values_list("id", flat=True)), trigger=Initiative.Trigger.EDIT
        )


@admin.register(Alignment)
class AlignmentAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("initiative", "key_result", "contribution")
    list_filter = ("contribution", "key_result__objective")
    search_fields = ("initiative__title", "key_result__title")
    list_select_related = ("initiative", "key_result")
    autocomplete_fields = ("initiative", "key_result")

    def get_readonly_fields(self, request, obj=None):
        # An alignment is the pair; to align other work, add another.
        return ("initiative", "key_result") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        saved = services.alignment_set(
            actor=request.user,
            initiative=obj.initiative,
            key_result=obj.key_result,
            contribution=form.cleaned_data["contribution"],
        )
        adopt(obj, saved)

    def delete_service(self, request, obj):
        services.alignment_remove(actor=request.user, alignment=obj)


@admin.register(Segment)
class SegmentAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "weight")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        if change:
            services.segment_update(actor=request.user, segment=obj, data=changed_values(form))
        else:
            adopt(obj, services.segment_create(actor=request.user, **form_values(form)))

    def delete_service(self, request, obj):
        services.segment_delete(actor=request.user, segment=obj)


@admin.register(Customer)
class CustomerAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "external_id", "segment", "annual_revenue")
    list_filter = ("segment",)
    search_fields = ("name", "external_id")
    list_select_related = ("segment",)

    def save_model(self, request, obj, form, change):
        if change:
            services.customer_update(actor=request.user, customer=obj, data=changed_values(form))
        else:
            adopt(obj, services.customer_create(actor=request.user, **form_values(form)))

    def delete_service(self, request, obj):
        services.customer_delete(actor=request.user, customer=obj)


@admin.register(Evidence)
class EvidenceAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    """Relink or delete; evidence itself arrives through the inbox and the API (deduplicated)."""

    list_display = ("__str__", "source", "importance", "customer", "initiative", "received_at")
    list_filter = ("source", "importance", ("initiative", admin.EmptyFieldListFilter))
    search_fields = ("text", "external_id", "customer__name")
    date_hierarchy = "received_at"
    list_select_related = ("customer", "initiative")
    autocomplete_fields = ("initiative",)
    fields = (
        "text",
        "source",
        "importance",
        "customer",
        "received_at",
        "external_id",
        "initiative",
    )
    readonly_fields = ("text", "source", "importance", "customer", "received_at", "external_id")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if "initiative" in form.changed_data:
            services.evidence_link(
                actor=request.user, evidence_ids=[obj.pk], initiative=obj.initiative
            )

    def delete_service(self, request, obj):
        services.evidence_delete(actor=request.user, evidence=obj)


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("initiative", "rank", "priority_score", "trigger", "created_at")
    list_filter = ("trigger",)
    search_fields = ("initiative__title",)
    list_select_related = ("initiative",)


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
