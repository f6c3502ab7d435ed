"""Reads for the API-keys page."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from access.roles import Role

from .models import ApiKey


def integration_accounts() -> QuerySet:
    """Active integration accounts, the ones product manages keys for."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.INTEGRATION)
        .distinct()
        .order_by("username")
    )


def integration_accounts_with_keys() -> list:
    keys = ApiKey.objects.select_related("created_by").order_by("-created_at", "-pk")
    return list(integration_accounts().prefetch_related(Prefetch("api_keys", queryset=keys)))


def integration_key_get(*, pk: int) -> ApiKey:
    """A key of an integration account (404 for any other key: product manages only those)."""
    return get_object_or_404(ApiKey, pk=pk, user__in=integration_accounts())
