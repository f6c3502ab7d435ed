"""Loading the demo company, as named steps over roadmap.demo.content.

`demo_users()` makes sure the demo accounts exist (one per role, and an admin);
`demo_load(rng=..., cpo=...)` writes the company in this order: metrics,
objectives and their key results, segments and customers, initiatives and
their alignments, feedback (the `nps` items scored 0-10), metric readings
(the derived Enterprise NPS computed from those scores, 90 days back),
check-ins. Every write that moves
a score goes through the services, so the demo priorities are computed exactly
as they would be in production. The caller holds the transaction.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone

from okrs import services as okr_services
from okrs.models import KeyResult, Metric, Objective
from roadmap import services
from roadmap.models import Customer, Initiative, Segment
from roadmap.permissions import Role
from roadmap.planning import quarter_shift, quarters_from
from roadmap.services.derived_metrics import derived_metric_backfill, derived_metrics_compute

from .content import (
    COMPANY_NAMES,
    DEMO_PASSWORD,
    INITIATIVES,
    MARKER_TITLE,
    METRICS,
    OBJECTIVES,
    OPENERS,
    POPULARITY,
    READINGS,
    SEGMENTS,
    UNLINKED,
)

FEEDBACK_ITEMS = 400
LINKED_FEEDBACK_ITEMS = 340
REVENUE_BY_SEGMENT = {"Enterprise": 240_000, "Mid-market": 60_000, "Startup": 9_000}
OTHER_SEGMENT_REVENUE = 18_000
# A metric computed from survey answers (roadmap.services.derived_metrics), the
# key result tracking it, and the initiative aligned to it.
DERIVED_NPS = {
    "key": "nps_enterprise",
    "name": "Enterprise NPS (from survey answers)",
    "unit": "pts",
    "direction": "increase",
    "description": "NPS of Enterprise customers' nps answers over the last 90 days.",
    "derived_kind": "nps",
    "derived_window_days": 90,
    "derived_segment": "Enterprise",
}
DERIVED_NPS_KR = ("Enterprise NPS from 30 to 45", 30, 45)
DERIVED_NPS_INITIATIVE = "SAML single sign-on and SCIM provisioning"
# Scores come from a generator of their own, so the rest of the demo stays as it was.
SCORE_SEED = 19


def demo_loaded() -> bool:
    """Whether the demo company is already there (its first objective is the marker)."""
    return Objective.objects.filter(title=MARKER_TITLE).exists()


def demo_users() -> dict[str, User]:
    """One user per role (password DEMO_PASSWORD) and a superuser `admin`; idempotent."""
    users = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        user, created = User.objects.get_or_create(
            username=role.value,
            defaults={"first_name": role.label, "email": f"{role.value}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(group)
        users[role.value] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
    users["product"].first_name, users["product"].last_name = "Priya", "Raman"
    users["product"].save(update_fields=["first_name", "last_name"])
    return users


def demo_load(*, rng: random.Random, cpo: User) -> None:
    """Write the whole demo company as `cpo` (the product user)."""
    now = timezone.now()
    metrics = _metrics(cpo)
    key_results = _objectives(cpo, metrics, period=f"{now.year}-Q{(now.month - 1) // 3 + 1}")
    customers = _customers(cpo, rng)
    initiatives = _initiatives(cpo, key_results)
    _derived_nps(cpo, key_results[0].objective, initiatives)
    _feedback(cpo, rng, initiatives, customers, now=now)
    _readings(cpo, metrics, now=now)
    derived_metric_backfill(metric=Metric.objects.get(key=DERIVED_NPS["key"]), days=90, now=now)
    derived_metrics_compute(now=now)
    _check_ins(cpo, key_results)
    _capacity(cpo, initiatives, first=key_results[0].objective.period)
    Initiative.objects.filter(pk__in=[i.pk for i in initiatives]).update(owner=cpo)


def _metrics(cpo: User) -> dict[str, Metric]:
    return {
        key: okr_services.metric_create(
            actor=cpo, key=key, name=name, unit=unit, direction=direction
        )
        for key, name, unit, direction in METRICS
    }


def _objectives(cpo: User, metrics: dict[str, Metric], *, period: str) -> list[KeyResult]:
    """The objective tree of `period`; returns every key result, in OBJECTIVES order."""
    key_results = []
    objectives = []
    for spec in OBJECTIVES:
        parent = objectives[spec["parent"]] if "parent" in spec else None
        objective = okr_services.objective_create(
            actor=cpo,
            title=spec["title"],
            weight=spec["weight"],
            team=spec["team"],
            period=period,
            parent=parent,
        )
        objectives.append(objective)
        for title, kind, metric_key, start, target, weight in spec["krs"]:
            key_results.append(
                okr_services.key_result_create(
                    actor=cpo,
                    objective=objective,
                    title=title,
                    kind=kind,
                    metric=metrics.get(metric_key),
                    start=start,
                    target=target,
                    current=start,
                    unit=metrics[metric_key].unit if metric_key else "",
                    weight=weight,
                )
            )
    return key_results


def _customers(cpo: User, rng: random.Random) -> list[Customer]:
    """The segments, then the customers spread over them with a revenue near their segment's."""
    segments = [
        services.segment_save(actor=cpo, segment=Segment(name=n, weight=w, description=d))
        for n, w, d in SEGMENTS
    ]
    customers = []
    for index, name in enumerate(COMPANY_NAMES):
        segment = segments[index % len(segments)]
        revenue = REVENUE_BY_SEGMENT.get(segment.name, OTHER_SEGMENT_REVENUE)
        customers.append(
            services.customer_save(
                actor=cpo,
                customer=Customer(
                    name=name,
                    external_id=f"crm-{1000 + index}",
                    segment=segment,
                    annual_revenue=round(revenue * rng.uniform(0.5, 1.8), -2),
                ),
            )
        )
    return customers


def _initiatives(cpo: User, key_results: list[KeyResult]) -> list[Initiative]:
    """The initiatives, in INITIATIVES order, each aligned to its key results."""
    initiatives = []
    for spec in INITIATIVES:
        (
            title,
            lane,
            status,
            team,
            quarter,
            reach,
            impact,
            confidence,
            effort,
            source,
            links,
            _quotes,
        ) = spec
        initiative = services.initiative_create(
            actor=cpo,
            title=title,
            lane=lane,
            status=status,
            team=team,
            target_quarter=quarter,
            # On the timeline: larger work runs over two quarters, ending in its target one.
            start_quarter=quarter and quarter_shift(quarter, -1 if effort >= 6 else 0),
            end_quarter=quarter,
            # The table lists seats reached; reach counts accounts, like the
            # evidence-derived reach does (about 50 seats an account).
            reach=round(reach / 50),
            impact=float(impact),
            confidence=confidence,
            effort=effort,
            reach_source=source,
            description=f"{title}. Owned by the {team} team.",
        )
        initiatives.append(initiative)
        for kr_index, contribution in links:
            services.alignment_set(
                actor=cpo,
                initiative=initiative,
                key_result=key_results[kr_index],
                contribution=contribution,
            )
    return initiatives


def _capacity(cpo: User, initiatives: list[Initiative], *, first: str) -> None:
    """Six person-months a team a quarter, for this quarter and the next three."""
    teams = sorted({i.team for i in initiatives if i.team})
    values = {(team, quarter): 6.0 for team in teams for quarter in quarters_from(first, 4)}
    services.team_capacities_set(actor=cpo, values=values)


def _derived_nps(cpo: User, objective: Objective, initiatives: list[Initiative]) -> None:
    metric = okr_services.metric_create(actor=cpo, **DERIVED_NPS)
    title, start, target = DERIVED_NPS_KR
    kr = okr_services.key_result_create(
        actor=cpo,
        objective=objective,
        title=title,
        metric=metric,
        start=start,
        target=target,
        current=start,
        unit=metric.unit,
    )
    initiative = next(i for i in initiatives if i.title == DERIVED_NPS_INITIATIVE)
    services.alignment_set(actor=cpo, initiative=initiative, key_result=kr, contribution="strong")


def _score(scores: random.Random, age_days: float) -> int:
    """An NPS answer: promoters grow and detractors shrink from five months ago to now."""
    recent = 1 - min(age_days, 150) / 150
    draw = scores.random()
    if draw < 0.4 + 0.2 * recent:
        return scores.choice([9, 10])
    if draw < 0.7 + 0.15 * recent:
        return scores.choice([7, 8])
    return scores.choice([2, 4, 5, 6])


def _feedback(
    cpo: User,
    rng: random.Random,
    initiatives: list[Initiative],
    customers: list[Customer],
    *,
    now: datetime,
) -> None:
    """FEEDBACK_ITEMS items over the last five months; the last ones wait in the inbox."""
    items = []
    scores = random.Random(SCORE_SEED)
    enterprise = [c for c in customers if c.segment and c.segment.name == "Enterprise"]
    sources = list(OPENERS)
    for n in range(FEEDBACK_ITEMS):
        if n < LINKED_FEEDBACK_ITEMS:
            # Feedback is lopsided: a few asks (SSO, Jira, health) come up
            # again and again, the long tail a handful of times each.
            index = (
                n % len(initiatives)
                if n < 3 * len(initiatives)
                else rng.choices(range(len(initiatives)), weights=POPULARITY)[0]
            )
            initiative = initiatives[index]
            quotes = INITIATIVES[index][11]
            quote = quotes[rng.randrange(len(quotes))]
        else:
            initiative = None
            quote = UNLINKED[n % len(UNLINKED)]
        source = sources[rng.randrange(len(sources))]
        opener = rng.choice(OPENERS[source])
        customer = rng.choice(customers) if rng.random() < 0.9 else None
        item = {
            "source": source,
            "text": opener + quote,
            "customer": customer,
            "importance": rng.choice(["nice_to_have", "important", "important", "critical"]),
            "received_at": now - timedelta(days=rng.uniform(0, 150), hours=rng.uniform(0, 23)),
            "initiative": initiative,
            "external_id": f"demo-{n}",
        }
        if source == "nps":
            # Most answers from Enterprise customers: the derived metric's segment.
            if scores.random() < 0.7:
                item["customer"] = scores.choice(enterprise)
            item["score"] = _score(scores, (now - item["received_at"]).days)
            item["text"] = f"NPS {item['score']} — {quote}"
        items.append(item)
    services.evidence_ingest(actor=cpo, items=items)


def _readings(cpo: User, metrics: dict[str, Metric], *, now: datetime) -> None:
    """Twelve weekly readings of each metric, the last one now."""
    for key, values in READINGS.items():
        okr_services.metric_readings_ingest(
            actor=cpo,
            metric=metrics[key],
            items=[
                {
                    "value": value,
                    "observed_at": now - timedelta(weeks=len(values) - 1 - week),
                    "source": "warehouse",
                    "external_id": f"demo-{key}-{week}",
                }
                for week, value in enumerate(values)
            ],
        )


def _check_ins(cpo: User, key_results: list[KeyResult]) -> None:
    """The milestones and the manual key result get a check-in each."""
    for kr in key_results:
        if kr.metric_id is None:
            value = 1 if kr.title.startswith("Ship") else (38 if kr.kind == "increase" else 0)
            okr_services.check_in_create(
                actor=cpo,
                key_result=kr,
                value=value,
                confidence="at_risk" if value == 0 else "on_track",
                note="Weekly check-in from the planning meeting.",
            )
