"""The links in view as one sorted pass: each with its initiative's totals and first-marks.

Distinct counts (initiatives per objective, aligned initiatives in all) and an
initiative's share of its own total weight need each link to see its
initiative's other links. One window over the links, partitioned by initiative
and ordered by objective, gives every link that in a single sort, instead of a
correlated subquery per link or a COUNT(DISTINCT) that sorts again; the callers
then GROUP BY what they show. The ORM has no derived tables, so this is SQL that
SQLite and PostgreSQL both run; only the ORM's own compiled SQL is interpolated,
and every value is a bound parameter.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, QuerySet

from roadmap.models import Alignment

from .scope import contribution_weight

# Columns of each row: initiative_id, key_result_id, objective, effort, weight
# (the link's contribution weight), total (the initiative's weight over the
# links given), first_link (1 on one link of each initiative, else 0) and
# first_for_objective (1 on one link of each initiative and objective).
WINDOWED = """
    SELECT links.*,
           SUM(links.weight) OVER (PARTITION BY links.initiative_id) AS total,
           CASE WHEN ROW_NUMBER() OVER by_objective = 1 THEN 1 ELSE 0 END AS first_link,
           CASE WHEN LAG(links.objective) OVER by_objective IS NULL
                  OR LAG(links.objective) OVER by_objective <> links.objective
                THEN 1 ELSE 0 END AS first_for_objective
    FROM ({links}) links
    WINDOW by_objective AS (
        PARTITION BY links.initiative_id ORDER BY links.objective, links.key_result_id
    )
"""


def grouped(links: QuerySet[Alignment], select: str, group_by: str) -> list[tuple]:
    """`SELECT {select} FROM (the windowed links) w GROUP BY {group_by}`, as tuples."""
    columns = (
        links.annotate(
            objective=F("key_result__objective_id"),
            effort=F("initiative__effort"),
            weight=contribution_weight(),
        )
        .order_by()
        .values("initiative_id", "key_result_id", "objective", "effort", "weight")
    )
    links_sql, params = columns.query.sql_with_params()
    windowed = WINDOWED.format(links=links_sql)
    sql = f"SELECT {select} FROM ({windowed}) w GROUP BY {group_by}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
