"""Quarters, the periods objectives are set for ("2026-Q4")."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def current_quarter() -> str:
    """The quarter of today in the site's time zone: what a new objective is set for."""
    return quarter_of(timezone.localdate())
