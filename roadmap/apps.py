from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "roadmap"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from okrs.services import on_key_results_changed

        from .services.marks import initiatives_mark_for_key_results

        on_key_results_changed(initiatives_mark_for_key_results)
        # key_result.updated and objective.updated webhooks.
        from okrs.services import on_goals_changed

        from .services.webhook_events import goals_changed

        on_goals_changed(goals_changed)
        # Answers "preview this objective or key-result edit" (okrs.previews).
        from okrs.previews import on_goal_preview

        from .selectors_preview import goal_preview

        on_goal_preview(goal_preview)
        # Tells okrs whether a derived metric's segment name names a segment.
        from okrs.segment_names import on_segment_name_check

        from .services.customers import segment_name_problem

        on_segment_name_check(segment_name_problem)
        # Registers what the services' named nudges start (roadmap.services.nudges),
        # and the database's own checks (manage.py check --database default, migrate).
        from . import checks, tasks  # noqa: F401
