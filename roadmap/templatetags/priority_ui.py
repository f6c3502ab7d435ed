"""Small display helpers for the roadmap and OKR templates."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.timesince import timesince

register = template.Library()

IMPACT_LABELS = {0.25: "Minimal", 0.5: "Low", 1.0: "Medium", 2.0: "High", 3.0: "Massive"}


@register.filter
def score(value) -> str:
    """A score as people read it: 1,234 / 56.7 / 0.42."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if abs(value) >= 100 or value.is_integer():
        return intcomma(round(value))
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


@register.filter
def num(value) -> str:
    """A typed-in number without a trailing .0 (100.0 → 100, 0.25 stays)."""
    if value is None or value == "":
        return "—"
    value = float(value)
    return intcomma(int(value)) if value.is_integer() else f"{value:g}"


@register.filter
def ago(value) -> str:
    """'3 days ago' rather than '3 days, 4 hours ago'."""
    if not value:
        return ""
    return f"{timesince(value, depth=1)} ago"


@register.filter
def pct(value) -> int:
    """Progress in [0, 1] as a whole percent for bars and labels."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def impact_label(value) -> str:
    try:
        return IMPACT_LABELS.get(float(value), str(value))
    except (TypeError, ValueError):
        return str(value)


@register.filter
def objectives_of(initiative) -> list:
    """The distinct objectives an initiative is aligned to (from prefetched alignments)."""
    seen: dict[int, object] = {}
    for alignment in initiative.alignments.all():
        objective = alignment.key_result.objective
        seen.setdefault(objective.pk, objective)
    return list(seen.values())


@register.filter
def is_unaligned(initiative) -> bool:
    """Unaligned: no alignment rows (true before the first rescore as well)."""
    return not initiative.alignments.all()


@register.filter
def lookup(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
