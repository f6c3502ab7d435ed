"""What-if for goal edits: the ranking an objective or key-result edit would give.

Goals never import the roadmap. The roadmap registers, at start-up
(roadmap.apps), the function that answers "what would the ranking be if
these goals read like this?"; the objective and key-result edit views and
the API's `?preview=1` ask through here and write nothing.

What a goal edit changes for scoring, and all that is passed on:
objectives: {id: {"weight": float, "cancelled": bool}} (cancelled objectives
count for nothing); key results: {id: {"progress": float, "objective": id}}.
The answer is the preview's body (the shape of `POST
/api/v1/scoring-policy/preview/`, docs/API.md).
"""

from __future__ import annotations

from collections.abc import Callable

from . import progress as progress_math
from .models import KeyResult, Objective

GoalPreviewer = Callable[..., dict]
_previewer: list[GoalPreviewer] = []


class PreviewUnavailable(Exception):
    """No previewer is registered (the roadmap app is not installed)."""


def on_goal_preview(previewer: GoalPreviewer) -> None:
    """Register the function answering `previewer(objectives=..., key_results=...)`."""
    _previewer[:] = [previewer]


def _ask(*, objectives: dict, key_results: dict) -> dict:
    if not _previewer:
        raise PreviewUnavailable("Previews need the roadmap app.")
    return _previewer[0](objectives=objectives, key_results=key_results)


def objective_edit_preview(*, objective: Objective, data: dict) -> dict:
    """The ranking if `objective` took the (validated) `data`; nothing is written."""
    weight = data.get("weight", objective.weight)
    status = data.get("status", objective.status)
    change = {"weight": float(weight), "cancelled": status == Objective.Status.CANCELLED}
    return _ask(objectives={objective.pk: change}, key_results={})


def key_result_edit_preview(*, key_result: KeyResult, data: dict) -> dict:
    """The ranking if `key_result` took the (validated) `data`; nothing is written.

    Its progress is worked out as the save would (okrs.progress) on a copy.
    """
    values = progress_math.KeyResultValues(
        data.get("kind", key_result.kind),
        data.get("start", key_result.start),
        data.get("target", key_result.target),
        data.get("current", key_result.current),
    )
    objective = data.get("objective")
    objective_id = objective.pk if objective is not None else key_result.objective_id
    change = {
        "progress": progress_math.key_result_progress(values).value,
        "objective": objective_id,
    }
    return _ask(objectives={}, key_results={key_result.pk: change})
