"""The webhooks page: product manages subscriptions (adds, edits, deletes) and sees, replays
and pings deliveries.

A subscription turned off after its last retry failed is flagged on the list
and on its page, with the reason, and a button turns it on again. The secret
is shown once: creation and rotation keep it in the session for the page they
redirect to, which takes it out (a reload shows it no more, and re-posts
nothing). Pings and replays are htmx posts that answer the refreshed delivery
table.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from roadmap import webhooks
from roadmap.forms import WebhookForm
from roadmap.selectors import webhook_delivery_list, webhook_subscription_list
from web.forms import apply_service_errors
from web.htmx import redirect_after_write

from ._access import editor_required

RECENT_DELIVERIES = 50
SHOW_ONCE_KEY = "webhook_secret_once"


def _subscription(request, pk):
    return get_object_or_404(webhook_subscription_list(viewer=request.user), pk=pk)


def _deliveries(request, subscription) -> list:
    return list(
        webhook_delivery_list(viewer=request.user, subscription=subscription)[:RECENT_DELIVERIES]
    )


def _show_secret_once(request, subscription, secret: str):
    request.session[SHOW_ONCE_KEY] = {"pk": subscription.pk, "secret": secret}
    return redirect_after_write(request, reverse("roadmap:webhook", args=[subscription.pk]))


def _detail(request, subscription, *, form=None, status=200):
    once = request.session.pop(SHOW_ONCE_KEY, None)
    new_secret = once["secret"] if once and once["pk"] == subscription.pk else None
    context = {
        "subscription": subscription,
        "form": form
        or WebhookForm(
            initial={
                "url": subscription.url,
                "events": subscription.events,
                "description": subscription.description,
            }
        ),
        "deliveries": _deliveries(request, subscription),
        "new_secret": new_secret,
    }
    return render(request, "roadmap/webhook_detail.html", context, status=status)


@editor_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_list(request):
    form = WebhookForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                subscription = webhooks.webhook_subscription_create(
                    actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return _show_secret_once(request, subscription, subscription.secret)
        status = 400
    subscriptions = list(webhook_subscription_list(viewer=request.user))
    context = {
        "subscriptions": subscriptions,
        "disabled": [s for s in subscriptions if s.disabled_at],
        "form": form,
    }
    return render(request, "roadmap/webhooks.html", context, status=status)


@editor_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_detail(request, pk):
    subscription = _subscription(request, pk)
    if request.method != "POST":
        return _detail(request, subscription)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhooks.webhook_subscription_update(
                actor=request.user, subscription=subscription, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect_after_write(request, reverse("roadmap:webhook", args=[pk]))
    return _detail(request, subscription, form=form, status=400)


@editor_required
@require_POST
def webhook_enable(request, pk):
    subscription = _subscription(request, pk)
    webhooks.webhook_subscription_update(
        actor=request.user, subscription=subscription, data={"active": True}
    )
    return redirect_after_write(request, reverse("roadmap:webhook", args=[pk]))


@editor_required
@require_POST
def webhook_delete(request, pk):
    """Delete a subscription with its deliveries; back to the list, which says so."""
    subscription = _subscription(request, pk)
    url = subscription.url
    webhooks.webhook_subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, f"Deleted the subscription to {url}; nothing more is sent there.")
    return redirect_after_write(request, reverse("roadmap:webhooks"))


@editor_required
@require_POST
def webhook_rotate(request, pk):
    rotation = webhooks.webhook_secret_rotate(
        actor=request.user, subscription=_subscription(request, pk)
    )
    return _show_secret_once(request, rotation.subscription, rotation.secret)


def _delivery_table(request, subscription):
    subscription.refresh_from_db()
    context = {"subscription": subscription, "deliveries": _deliveries(request, subscription)}
    return render(request, "roadmap/_webhook_deliveries.html", context)


@editor_required
@require_POST
def webhook_ping(request, pk):
    subscription = _subscription(request, pk)
    webhooks.webhook_ping(actor=request.user, subscription=subscription)
    if not request.htmx:
        return redirect_after_write(request, reverse("roadmap:webhook", args=[pk]))
    return _delivery_table(request, subscription)


@editor_required
@require_POST
def webhook_replay(request, pk, delivery_pk):
    subscription = _subscription(request, pk)
    delivery = get_object_or_404(
        webhook_delivery_list(viewer=request.user, subscription=subscription), pk=delivery_pk
    )
    webhooks.webhook_delivery_replay(actor=request.user, delivery=delivery)
    if not request.htmx:
        return redirect_after_write(request, reverse("roadmap:webhook", args=[pk]))
    return _delivery_table(request, subscription)
