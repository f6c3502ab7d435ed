"""The evidence triage inbox: search, link (one or many), turn into an idea, add evidence."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST, require_safe

from roadmap import services
from roadmap.forms import (
    EvidenceCreateForm,
    EvidenceLinkForm,
    EvidenceToInitiativeForm,
    InboxSearchForm,
)
from roadmap.permissions import can_add_evidence_in_browser
from roadmap.selectors import inbox_list, initiative_list
from web.forms import apply_service_errors

from ._access import editor_required, evidence_author_required, viewer_required

PAGE_SIZE = 20
# Each item's own "Link to" list offers the best-ranked initiatives; the bar
# above the list links to any. 20 lists of all 10,000 initiatives made a page
# of 13 MB and ~13 s.
ITEM_CHOICES = 50


def _options(initiatives) -> str:
    return format_html_join(
        "",
        '<option value="{}">{}{}</option>',
        ((i.pk, f"#{i.rank} " if i.rank else "", i.title) for i in initiatives),
    )


def _inbox_context(request, data, status_message: str = "", link_form=None) -> dict:
    search = InboxSearchForm(data)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(inbox_list(viewer=request.user, search=term), PAGE_SIZE).get_page(
        data.get("page")
    )
    return {
        "search_form": search,
        "q": term,
        "page": page,
        "items": list(page.object_list),
        **_link_choices(request.user),
        "status_message": status_message,
        "link_form": link_form,
    }


def _link_choices(viewer) -> dict:
    """The initiatives to link to, as <option>s rendered once: all, and the best-ranked."""
    initiatives = list(
        initiative_list(viewer=viewer)
        .select_related(None)
        .prefetch_related(None)
        .only("id", "title", "rank")
    )
    return {
        "initiative_options": _options(initiatives),
        "item_options": _options(initiatives[:ITEM_CHOICES]),
        "item_choices_cut": len(initiatives) > ITEM_CHOICES,
        "item_choices": ITEM_CHOICES,
    }


def _render_inbox(request, data, status_message="", link_form=None, add_form=None, status=200):
    context = _inbox_context(request, data, status_message, link_form)
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


@require_POST
@editor_required
def evidence_link(request):
    form = EvidenceLinkForm(request.POST)
    if not form.is_valid():
        return _render_inbox(request, request.POST, link_form=form, status=200)
    evidence = list(form.cleaned_data["evidence"])
    initiative = form.cleaned_data["initiative"]
    count = services.evidence_link(
        actor=request.user, evidence_ids=[e.pk for e in evidence], initiative=initiative
    )
    noun = "item" if count == 1 else "items"
    status_message = f"Linked {count} {noun} to “{initiative.title}”."
    if request.htmx:
        return _render_inbox(request, request.POST, status_message=status_message)
    messages.success(request, status_message)
    # Back to the same search: the text is a query value, so it is encoded (& # + space).
    search = request.POST.get("q", "")
    query = f"?{urlencode({'q': search})}" if search else ""
    return redirect(f"{reverse('roadmap:inbox')}{query}")


@require_POST
@editor_required
def evidence_to_initiative(request, pk: int):
    evidence = get_object_or_404(inbox_list(viewer=request.user), pk=pk)
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
