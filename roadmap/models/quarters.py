"""A quarter column ("2026-Q3") as its index in SQL, as planning.quarter_index computes it."""

from django.db.models import F, IntegerField
from django.db.models.functions import Cast, Substr


def quarter_index_sql(field: str):
    """year x 4 + quarter - 1 of a non-empty quarter column, in portable SQL."""
    year = Cast(Substr(F(field), 1, 4), IntegerField())
    quarter = Cast(Substr(F(field), 7, 1), IntegerField())
    return year * 4 + quarter - 1
