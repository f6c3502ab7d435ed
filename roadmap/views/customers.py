"""Customers and segments: segments with their weights, customers a page at a time.

A segment's weight and a customer's segment weigh the evidence behind
evidence-derived reach, so the services rescore what they affect. Product
edits rows in place (htmx; the same URLs answer whole pages without it);
everyone who reads the roadmap sees the page. The customer list is paginated
and counted once, so 50,000 customers cost what 50 do.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from roadmap import services
from roadmap.forms import (
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerForm,
    SegmentCreateForm,
    SegmentForm,
)
from roadmap.permissions import can_edit_roadmap
from roadmap.selectors import (
    customer_directory,
    customer_evidence_counts,
    customer_get_for_user,
    segment_get_for_user,
    segment_list,
)
from web.edits import fingerprint_edit
from web.forms import apply_service_errors
from web.htmx import redirect_after_write

from ._access import editor_required, viewer_required

PAGE_SIZE = 50


def _with_evidence_counts(viewer, customers: list) -> list:
    counts = customer_evidence_counts(viewer=viewer, customer_ids=[c.pk for c in customers])
    for customer in customers:
        customer.evidence_total = counts.get(customer.pk, 0)
    return customers


def _customer_table(request, data) -> dict:
    filter_form = CustomerFilterForm(data)
    filters = filter_form.filters()
    page = Paginator(customer_directory(viewer=request.user, filters=filters), PAGE_SIZE).get_page(
        data.get("page")
    )
    query = urlencode(
        {k: (v.pk if hasattr(v, "pk") else v) for k, v in filters.items()}, doseq=False
    )
    return {
        "filter_form": filter_form,
        "page": page,
        "customers": _with_evidence_counts(request.user, list(page.object_list)),
        "filter_query": query,
        "active_filters": filters,
    }


def _page(request, *, segment_form=None, customer_form=None, status=200):
    editable = can_edit_roadmap(request.user)
    context = {
        "editable": editable,
        "segments": list(segment_list(viewer=request.user)),
        "segment_form": segment_form or (SegmentCreateForm() if editable else None),
        "customer_form": customer_form or (CustomerCreateForm() if editable else None),
        **_customer_table(request, request.GET),
    }
    return render(request, "roadmap/customers.html", context, status=status)


@require_safe
@viewer_required
def customers(request):
    if request.htmx and request.htmx.target == "customer-table":
        context = {
            "editable": can_edit_roadmap(request.user),
            **_customer_table(request, request.GET),
        }
        return render(request, "roadmap/_customer_table.html", context)
    return _page(request)


def _row(request, template: str, page_template: str, context: dict, status: int = 200):
    context = {"editable": can_edit_roadmap(request.user), **context}
    return render(request, template if request.htmx else page_template, context, status=status)


# --- Segments ------------------------------------------------------------------


def _segment_row(request, segment, **context):
    status = context.pop("status", 200)
    return _row(
        request,
        "roadmap/_segment_row.html",
        "roadmap/segment_page.html",
        {"row": segment, **context},
        status,
    )


@require_POST
@editor_required
def segment_add(request):
    form = SegmentCreateForm(request.POST)
    if form.is_valid():
        try:
            segment = services.segment_create(actor=request.user, **form.changes())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Added the segment “{segment.name}”.")
            return redirect_after_write(request, reverse("roadmap:customers"))
    if request.htmx:
        return render(request, "roadmap/_segment_add.html", {"segment_form": form}, status=422)
    return _page(request, segment_form=form, status=422)


@require_safe
@viewer_required
def segment_row(request, pk: int):
    return _segment_row(request, segment_get_for_user(viewer=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@editor_required
def segment_edit(request, pk: int):
    def saved():
        messages.success(
            request, "Segment saved. Initiatives its customers asked for are rescored."
        )
        return redirect_after_write(request, reverse("roadmap:customers"))

    def fetch():
        return segment_get_for_user(viewer=request.user, pk=pk)

    return fingerprint_edit(
        request,
        form_class=SegmentForm,
        row=fetch,
        instance=fetch,
        update=lambda segment, **change: services.segment_update(
            actor=request.user, segment=segment, **change
        ),
        fingerprint=services.segment_fingerprint,
        respond=lambda segment, **context: _segment_row(request, segment, **context),
        saved=saved,
    )


@require_POST
@editor_required
def segment_delete(request, pk: int):
    segment = segment_get_for_user(viewer=request.user, pk=pk)
    services.segment_delete(actor=request.user, segment=segment)
    messages.success(request, f"Deleted the segment “{segment.name}”; its customers have none now.")
    return redirect_after_write(request, reverse("roadmap:customers"))


# --- Customers -------------------------------------------------------------------


def _customer_row(request, customer, **context):
    status = context.pop("status", 200)
    _with_evidence_counts(request.user, [customer])
    return _row(
        request,
        "roadmap/_customer_row.html",
        "roadmap/customer_page.html",
        {"row": customer, **context},
        status,
    )


@require_POST
@editor_required
def customer_add(request):
    form = CustomerCreateForm(request.POST)
    if form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, **form.changes())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Added the customer “{customer.name}”.")
            query = urlencode({"q": customer.name})
            return redirect_after_write(request, f"{reverse('roadmap:customers')}?{query}")
    if request.htmx:
        return render(request, "roadmap/_customer_add.html", {"customer_form": form}, status=422)
    return _page(request, customer_form=form, status=422)


@require_safe
@viewer_required
def customer_row(request, pk: int):
    return _customer_row(request, customer_get_for_user(viewer=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@editor_required
def customer_edit(request, pk: int):
    def saved():
        messages.success(request, "Customer saved.")
        return redirect_after_write(request, reverse("roadmap:customers"))

    def fetch():
        return customer_get_for_user(viewer=request.user, pk=pk)

    return fingerprint_edit(
        request,
        form_class=CustomerForm,
        row=fetch,
        instance=fetch,
        update=lambda customer, **change: services.customer_update(
            actor=request.user, customer=customer, **change
        ),
        fingerprint=services.customer_fingerprint,
        respond=lambda customer, **context: _customer_row(request, customer, **context),
        saved=saved,
    )


@require_POST
@editor_required
def customer_delete(request, pk: int):
    customer = customer_get_for_user(viewer=request.user, pk=pk)
    services.customer_delete(actor=request.user, customer=customer)
    messages.success(
        request, f"Deleted the customer “{customer.name}”; its evidence stays, anonymous."
    )
    return redirect_after_write(request, reverse("roadmap:customers"))
