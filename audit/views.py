"""`/activity/`: who changed what, from what to what, and when, for product and marketing."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from access.roles import can_view_alignment
from access.views import role_required

from .activity import activity_page, activity_rows, decode_cursor, encode_cursor
from .forms import ActivityFilterForm


@require_safe
@role_required(can_view_alignment)  # product and marketing, as the alignment review
def activity(request):
    form = ActivityFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    before = decode_cursor(request.GET.get("before", ""))
    entries, last = activity_page(filters=form.filters(), before=before)
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "rows": activity_rows(entries),
        "next_cursor": encode_cursor(last),
        "filter_query": query.urlencode(),
        "paged": before is not None,
    }
    template = "audit/_activity_list.html" if request.htmx else "audit/activity.html"
    return render(request, template, context)
