"""Every initiative's rank as readers see it (ranks are counted, not stored)."""

from roadmap.models import Initiative


def current_ranks() -> dict[int, int | None]:
    """{id: rank}, None for work not ranked."""
    return {i.pk: i.rank for i in Initiative.objects.with_ranks().only("id", "rank_key")}


def ranked_ids() -> list[int]:
    """The ranked initiatives' ids, best first."""
    return list(
        Initiative.objects.filter(rank_key__isnull=False)
        .order_by("rank_key", "id")
        .values_list("id", flat=True)
    )
