"""A small hand-built world whose alignment figures are worked out by hand in the tests."""

from types import SimpleNamespace

from okrs.models import Objective
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    SegmentFactory,
)

Q4 = "2026-Q4"
Q1 = "2027-Q1"


def build_world() -> SimpleNamespace:
    """Objectives O1 (Q4, weight 3), O2 (Q4, 1), O3 (2027-Q1, 2), O4 (Q4, cancelled).

    Initiatives (rank, lane, status, team, effort, target quarter, links):
      A 1 now  planned     Core   4  -        KR1a strong, KR2a weak
      B 2 next in_progress Growth 2  -        KR1a medium, KR1b medium
      C 3 later idea       Core   3  -        KR1b weak
      D 4 now  planned     Core   5  -        (none)
      E - now  shipped     Core   1  -        KR2a strong
      F 5 next planned     Growth 6  2027-Q1  KR3a strong
      G 6 later idea       Core   2  2026-Q4  KR3a weak
    """
    o1 = ObjectiveFactory(title="Grow", period=Q4, weight=3, progress=0.6)
    o2 = ObjectiveFactory(title="Retain", period=Q4, weight=1, progress=0.1)
    o3 = ObjectiveFactory(title="Expand", period=Q1, weight=2, progress=0.0)
    o4 = ObjectiveFactory(title="Dropped", period=Q4, weight=10, status=Objective.Status.CANCELLED)
    kr1a = KeyResultFactory(objective=o1, title="KR1a", progress=0.5)
    kr1b = KeyResultFactory(objective=o1, title="KR1b", progress=0.8)
    kr2a = KeyResultFactory(objective=o2, title="KR2a", progress=0.1)
    kr2b = KeyResultFactory(objective=o2, title="KR2b", progress=0.9)
    kr3a = KeyResultFactory(objective=o3, title="KR3a", progress=0.0)
    kr4a = KeyResultFactory(objective=o4, title="KR4a", progress=0.0)

    def initiative(title, rank, lane, status, team, effort, quarter="", score=0.0):
        return InitiativeFactory(
            title=title,
            rank=rank,
            lane=lane,
            status=status,
            team=team,
            effort=effort,
            target_quarter=quarter,
            priority_score=score,
        )

    a = initiative("A", 1, "now", "planned", "Core", 4, score=60)
    b = initiative("B", 2, "next", "in_progress", "Growth", 2, score=50)
    c = initiative("C", 3, "later", "idea", "Core", 3, score=40)
    d = initiative("D", 4, "now", "planned", "Core", 5, score=30)
    e = initiative("E", None, "now", "shipped", "Core", 1)
    f = initiative("F", 5, "next", "planned", "Growth", 6, quarter=Q1, score=20)
    g = initiative("G", 6, "later", "idea", "Core", 2, quarter=Q4, score=10)
    for ini, kr, contribution in [
        (a, kr1a, "strong"),
        (a, kr2a, "weak"),
        (b, kr1a, "medium"),
        (b, kr1b, "medium"),
        (c, kr1b, "weak"),
        (e, kr2a, "strong"),
        (f, kr3a, "strong"),
        (g, kr3a, "weak"),
        (a, kr4a, "strong"),  # to a cancelled objective: never counted
    ]:
        AlignmentFactory(initiative=ini, key_result=kr, contribution=contribution)

    enterprise = SegmentFactory(name="Enterprise", weight=2)
    startup = SegmentFactory(name="Startup")
    agency = SegmentFactory(name="Agency")
    c1 = CustomerFactory(name="C1", segment=enterprise, annual_revenue=100_000)
    c2 = CustomerFactory(name="C2", segment=enterprise, annual_revenue=50_000)
    c3 = CustomerFactory(name="C3", segment=startup, annual_revenue=20_000)
    c4 = CustomerFactory(name="C4", segment=None, annual_revenue=5_000)
    c5 = CustomerFactory(name="C5", segment=agency, annual_revenue=7_000)
    for ini, customer, times in [
        (a, c1, 2),
        (a, c2, 1),
        (a, c3, 1),
        (a, None, 1),
        (b, c3, 2),
        (b, c4, 1),
        (c, c1, 1),
        (c, c5, 1),
        (e, c3, 1),
        (None, c1, 1),
        (None, c3, 1),
        (None, c5, 1),
    ]:
        EvidenceFactory.create_batch(times, initiative=ini, customer=customer)

    return SimpleNamespace(
        o1=o1, o2=o2, o3=o3, o4=o4,
        kr1a=kr1a, kr1b=kr1b, kr2a=kr2a, kr2b=kr2b, kr3a=kr3a,
        a=a, b=b, c=c, d=d, e=e, f=f, g=g,
        enterprise=enterprise, startup=startup, agency=agency,
    )  # fmt: skip
