"""HTML views for goals: thin (parse → selector → one service call → render)."""

from .key_result_page import key_result_check_ins
from .key_results import (
    key_result_add,
    key_result_delete,
    key_result_edit,
    key_result_preview,
    key_result_row,
)
from .metrics import metric_add, metric_delete, metric_edit, metric_row, metrics
from .objectives import objective_delete, objective_detail, objective_new, objective_preview
from .tree import chart, check_in, index

__all__ = [
    "chart",
    "check_in",
    "index",
    "key_result_add",
    "key_result_check_ins",
    "key_result_delete",
    "key_result_edit",
    "key_result_preview",
    "key_result_row",
    "metric_add",
    "metric_delete",
    "metric_edit",
    "metric_row",
    "metrics",
    "objective_delete",
    "objective_detail",
    "objective_new",
    "objective_preview",
]
