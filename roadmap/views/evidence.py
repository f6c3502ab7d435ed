"""The evidence triage inbox: search, link (one or many), turn into an idea, add evidence."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from roadmap import services
from roadmap.forms import EvidenceCreateForm, EvidenceLinkForm, EvidenceToInitiativeForm
from roadmap.forms_inbox import BulkForm, EvidenceEditForm, InboxFilterForm, initiative_label
from roadmap.models import Customer, Evidence
from roadmap.permissions import can_add_evidence_in_browser
from roadmap.selectors import initiative_list
from roadmap.selectors_inbox import (
    InboxMatches,
    inbox_list,
    inbox_matches,
    inbox_sorted_after_filtering,
)
from web.forms import apply_service_errors
from web.widgets import option_list

from ._access import editor_required, evidence_author_required, viewer_required

PAGE_SIZE = 20
# Each item's own "Link to" list offers the best-ranked initiatives; the search
# box beside the bulk bar's list finds any.
ITEM_CHOICES = 50
PICKS = 50
# The inbox counts its matches up to here and then says "10,000+": an exact count
# over the whole evidence (state "all": a million rows at bench scale) is most
# of the page's time.
COUNT_CAP = 10_000


class _CappedPaginator(Paginator):
    """Pages `inbox_matches`: counted up to COUNT_CAP + 1; `capped` when there are more."""

    def __init__(self, matches: InboxMatches, per_page):
        super().__init__(matches.items, per_page)
        self.count = matches.count

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    def page(self, number):
        # Few matches: fetch them all and sort, rather than walk the newest-first index;
        # none: ask nothing more.
        if self.count == 0:
            self.object_list = self.object_list.none()
        elif not self.capped:
            self.object_list = inbox_sorted_after_filtering(self.object_list)
        return super().page(number)


def _options(initiatives) -> str:
    return format_html_join(
        "",
        '<option value="{}">{}{}</option>',
        ((i.pk, f"#{i.rank} " if i.rank else "", i.title) for i in initiatives),
    )


def _inbox_context(request, data, status_message: str = "", bulk_form=None) -> dict:
    filter_form = InboxFilterForm(data, auto_id="f_%s")
    filters = filter_form.filters()
    matches = inbox_matches(viewer=request.user, filters=filters, cap=COUNT_CAP)
    page = _CappedPaginator(matches, PAGE_SIZE).get_page(data.get("page"))
    query = filter_form.query()
    best = list(
        initiative_list(viewer=request.user)
        .exclude(status="archived")
        .select_related(None)
        .prefetch_related(None)
        .only("id", "title", "rank_key")[:ITEM_CHOICES]
    )
    return {
        "filter_form": filter_form,
        "filters": filters,
        "state": filters["state"],
        "q": filters.get("q", ""),
        "filter_query": urlencode(query),
        "filter_fields": {k: str(v) for k, v in query.items()},
        "page": page,
        "items": list(page.object_list),
        "item_options": _options(best),
        "bulk_initiative": (bulk_form or BulkForm())["initiative"].as_widget(
            attrs={"id": "bulk-initiative", "class": "select-sm"}
        ),
        "reasons": Evidence.Dismissal.choices,
        "bulk_max": services.BULK_MAX,
        "count_cap": f"{COUNT_CAP:,}",
        "status_message": status_message,
    }


def _render_inbox(request, data, status_message="", bulk_form=None, add_form=None, status=200):
    context = _inbox_context(request, data, status_message, bulk_form)
    if request.htmx and request.htmx.target in ("inbox", "inbox-list"):
        return render(request, "roadmap/_inbox.html", context, status=status)
    if add_form is None and can_add_evidence_in_browser(request.user):
        add_form = EvidenceCreateForm()
    context["add_form"] = add_form
    return render(request, "roadmap/inbox.html", context, status=status)


@require_safe
@viewer_required
def inbox(request):
    return _render_inbox(request, request.GET)


def _back_to_inbox(request, data, message: str, bulk_form=None):
    """The inbox as it was filtered, redrawn (htmx) or redirected to."""
    if request.htmx:
        return _render_inbox(request, data, status_message=message, bulk_form=bulk_form)
    if bulk_form is None:
        messages.success(request, message)
    else:
        messages.error(request, message)
    query = InboxFilterForm(data).query()
    return redirect(f"{reverse('roadmap:inbox')}{'?' + urlencode(query) if query else ''}")


@require_POST
@editor_required
def evidence_bulk(request):
    """Link, move, unlink, dismiss or restore the ticked items, or all the filter matches."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _back_to_inbox(request, request.POST, errors, bulk_form=form)
    data = form.cleaned_data
    if data.get("scope") == "matching":
        filters = InboxFilterForm(request.POST).filters()
        matching = inbox_list(viewer=request.user, filters=filters).order_by()
        ids = list(matching.values_list("pk", flat=True)[: services.BULK_MAX + 1])
    else:
        ids = [e.pk for e in data["evidence"]]
    try:
        message = _apply(request.user, data, ids)
    except ValidationError as exc:
        return _back_to_inbox(request, request.POST, "; ".join(exc.messages), bulk_form=form)
    return _back_to_inbox(request, request.POST, message)


def _apply(actor, data: dict, ids: list[int]) -> str:
    action = data["action"]
    if action == "link":
        initiative = data["initiative"]
        n = services.evidence_link(actor=actor, evidence_ids=ids, initiative=initiative)
        return f"Linked {n} item{pluralize(n)} to “{initiative.title}”."
    if action == "unlink":
        n = services.evidence_link(actor=actor, evidence_ids=ids, initiative=None)
        return f"Unlinked {n} item{pluralize(n)}; they are back in the inbox."
    if action == "dismiss":
        reason = data["reason"]
        n = services.evidence_dismiss(actor=actor, evidence_ids=ids, reason=reason)
        label = Evidence.Dismissal(reason).label.lower()
        return f"Dismissed {n} item{pluralize(n)} as {label}; find them under “Dismissed”."
    n = services.evidence_restore(actor=actor, evidence_ids=ids)
    return f"Restored {n} item{pluralize(n)} to the inbox."


@require_http_methods(["GET", "POST"])
@editor_required
def evidence_edit(request, pk: int):
    evidence = get_object_or_404(inbox_list(viewer=request.user, filters={"state": "all"}), pk=pk)
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = ""
    if request.method == "POST":
        form = EvidenceEditForm(request.POST, instance=evidence)
        if form.is_valid():
            try:
                services.evidence_edit(
                    actor=request.user,
                    evidence=evidence,
                    data={name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Evidence saved.")
                return redirect(next_url or reverse("roadmap:inbox"))
        status = 422
    else:
        form, status = EvidenceEditForm(instance=evidence), 200
    return render(
        request,
        "roadmap/evidence_edit.html",
        {"form": form, "evidence": evidence, "next": next_url},
        status=status,
    )


@require_safe
@viewer_required
def pick_initiatives(request):
    """<option>s of the initiatives whose title holds the typed text, best-ranked first."""
    term = _term(request)
    rows = (
        initiative_list(viewer=request.user)
        .exclude(status="archived")
        .select_related(None)
        .prefetch_related(None)
        .only("id", "title", "rank_key")
    )
    if term:
        rows = rows.filter(title__icontains=term)
    return HttpResponse(
        option_list(rows[:PICKS], empty_label="Choose an initiative…", label=initiative_label)
    )


@require_safe
@viewer_required
def pick_customers(request):
    term = _term(request)
    rows = Customer.objects.order_by("name", "id").only("id", "name")
    if term:
        rows = rows.filter(name__icontains=term)
    return HttpResponse(option_list(rows[:PICKS], empty_label="Any customer"))


def _term(request) -> str:
    """The search box's text (its name is the field's plus "_term")."""
    for key, value in request.GET.items():
        if key.endswith("_term"):
            return value.strip()[:100]
    return ""


@require_POST
@editor_required
def evidence_link(request):
    form = EvidenceLinkForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return _back_to_inbox(request, request.POST, errors, bulk_form=form)
    evidence = list(form.cleaned_data["evidence"])
    initiative = form.cleaned_data["initiative"]
    count = services.evidence_link(
        actor=request.user, evidence_ids=[e.pk for e in evidence], initiative=initiative
    )
    noun = "item" if count == 1 else "items"
    return _back_to_inbox(request, request.POST, f"Linked {count} {noun} to “{initiative.title}”.")


@require_POST
@editor_required
def evidence_to_initiative(request, pk: int):
    evidence = get_object_or_404(inbox_list(viewer=request.user, filters={"state": "all"}), pk=pk)
    form = EvidenceToInitiativeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new initiative a title.")
        return redirect("roadmap:inbox")
    initiative = services.initiative_create_from_evidence(
        actor=request.user, evidence=evidence, title=form.cleaned_data["title"]
    )
    messages.success(request, f"Created “{initiative.title}” from this evidence.")
    return redirect("roadmap:initiative", pk=initiative.pk)


@require_POST
@evidence_author_required
def evidence_add(request):
    form = EvidenceCreateForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_ingest(actor=request.user, items=[form.item()])
        except services.BatchValidationError as exc:
            for error in exc.errors.values():
                apply_service_errors(form, ValidationError(error))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Evidence added.")
            return redirect("roadmap:inbox")
    return _render_inbox(request, {}, add_form=form, status=422)
