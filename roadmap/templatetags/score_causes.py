"""A snapshot's causes as a sentence: "key result *Churn 5% → 3%* moved 20% → 50% (reading …)"."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .priority_ui import score

register = template.Library()

IMPACT_FIELDS = {"effort", "reach", "impact", "confidence"}


def _pct(value) -> str:
    return "?" if value is None else f"{round(float(value) * 100):g}%"


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _who(cause: dict) -> SafeString:
    return format_html(" by {}", cause["by"]) if cause.get("by") else mark_safe("")


def _key_result(cause: dict) -> SafeString:
    via = cause.get("via")
    if via == "reading":
        how = (
            format_html(" (reading from {})", cause["source"])
            if cause.get("source")
            else (mark_safe(" (reading)"))
        )
    elif via == "check_in":
        how = format_html(" (check-in{})", _who(cause))
    else:
        how = format_html(" (edited{})", _who(cause))
    if "to_progress" in cause and cause.get("from_progress") is None:
        moved = format_html(" at {}", _pct(cause["to_progress"]))
    elif "to_progress" in cause:
        moved = format_html(
            " moved {} → {}", _pct(cause.get("from_progress")), _pct(cause["to_progress"])
        )
    else:
        moved = mark_safe(" changed")
    return format_html("key result <em>{}</em>{}{}", cause.get("title", ""), moved, how)


def _objective(cause: dict) -> SafeString:
    field = cause.get("field")
    if field == "status" and cause.get("to") == "cancelled":
        return format_html("objective <em>{}</em> cancelled", cause.get("title", ""))
    return format_html(
        "objective <em>{}</em>: {} {} → {}",
        cause.get("title", ""),
        field or "changed",
        _value(cause.get("from")),
        _value(cause.get("to")),
    )


def _alignment(cause: dict) -> SafeString:
    title, before, after = cause.get("title", ""), cause.get("from"), cause.get("to")
    if before is None:
        return format_html("aligned to <em>{}</em> ({}){}", title, after, _who(cause))
    if after is None:
        return format_html("alignment to <em>{}</em> removed{}", title, _who(cause))
    return format_html("contribution to <em>{}</em> {} → {}{}", title, before, after, _who(cause))


def _evidence_change(cause: dict) -> SafeString | None:
    """Evidence changed other than by new items: removed, moved, or its weight changed."""
    if cause.get("removed"):
        return format_html(
            "{} evidence item{} removed{}",
            cause["removed"],
            "" if cause["removed"] == 1 else "s",
            _who(cause),
        )
    if cause.get("linked"):
        return format_html(
            "{} evidence item{} linked{}",
            cause["linked"],
            "" if cause["linked"] == 1 else "s",
            _who(cause),
        )
    if cause.get("unlinked"):
        return format_html(
            "{} evidence item{} moved away{}",
            cause["unlinked"],
            "" if cause["unlinked"] == 1 else "s",
            _who(cause),
        )
    whose = cause.get("segment") or cause.get("customer")
    if whose:
        what = "segment" if cause.get("segment") else "customer"
        return format_html(
            "{} <em>{}</em>: {} {} → {}{}",
            what,
            whose,
            str(cause.get("field", "")).replace("_", " "),
            _value(cause.get("from")),
            _value(cause.get("to")),
            _who(cause),
        )
    return None


def _evidence(cause: dict) -> SafeString:
    changed = _evidence_change(cause)
    if changed is not None:
        return changed
    added, customers = cause.get("added", 0), cause.get("customers", 0)
    segments = cause.get("segments") or {}
    text = format_html("{} new evidence item{}", added, "" if added == 1 else "s")
    if customers:
        text = format_html("{} from {} customer{}", text, customers, "" if customers == 1 else "s")
    if segments:
        parts = format_html_join(", ", "{} {}", segments.items())
        text = format_html("{} ({})", text, parts)
    return text


def _edit(cause: dict) -> SafeString:
    if cause.get("field") == "created":
        return format_html("created{}", _who(cause))
    return format_html(
        "{} {} → {}{}",
        cause.get("field", ""),
        _value(cause.get("from")),
        _value(cause.get("to")),
        _who(cause),
    )


def _policy(cause: dict) -> SafeString:
    if cause.get("field"):
        return format_html(
            "scoring policy: {} {} → {}{}",
            cause["field"],
            _value(cause.get("from")),
            _value(cause.get("to")),
            _who(cause),
        )
    return format_html("scoring policy changed{}", _who(cause))


def _named(rows: list[dict]) -> SafeString:
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("roadmap:initiative", args=[r["id"]]), r.get("title", "")) for r in rows),
    )


def _rank_shift(cause: dict) -> SafeString:
    if cause.get("passed_by"):
        return format_html("passed by {}", _named(cause["passed_by"]))
    if cause.get("passed"):
        return format_html("moved past {}", _named(cause["passed"]))
    return mark_safe("others moved")


TEXT = {
    "key_result": _key_result,
    "objective": _objective,
    "alignment": _alignment,
    "evidence": _evidence,
    "edit": _edit,
    "policy": _policy,
    "decay": lambda cause: mark_safe("evidence aged (nightly rescore)"),
    "rank_shift": _rank_shift,
    "more": lambda cause: format_html("+{} more", cause.get("count", 0)),
}


@register.filter
def cause_text(cause: dict) -> SafeString:
    """One cause as words (HTML: titles in <em>, initiatives linked), with its count."""
    render = TEXT.get(cause.get("kind"))
    text = render(cause) if render else format_html("{}", cause.get("kind", "change"))
    if cause.get("count", 1) > 1 and cause.get("kind") != "more":
        text = format_html("{} ({} changes)", text, cause["count"])
    return text


@register.filter
def causes_text(causes: list[dict]) -> SafeString:
    """A snapshot's causes, "; "-separated; "no recorded cause" for none.

    With several causes, each shows its share of the change where the run
    computed one (docs/SCORING.md, "Each cause's share").
    """
    if not causes:
        return mark_safe('<span class="muted">no recorded cause</span>')
    several = len(causes) > 1
    return format_html_join("; ", "{}", ((_with_share(c, several),) for c in causes))


def _with_share(cause: dict, several: bool) -> SafeString:
    text = cause_text(cause)
    if not several or cause.get("share") is None:
        return text
    return format_html(
        '{} <span class="share" title="its share of the change">{}</span>',
        text,
        signed_score(cause["share"]),
    )


@register.filter
def signed_score(value) -> str:
    """A score change as "+31.2" / "\u22124.5" (a minus sign) / "±0"."""
    if value is None:
        return "new"
    if abs(value) < 1e-9:
        return "±0"
    return ("+" if value > 0 else "\u2212") + score(abs(value))
