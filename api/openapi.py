"""The API's OpenAPI schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

What drf-spectacular leaves out and client generators and linters want:

- a summary on every operation: the standard actions get one from the model's
  name ("List initiatives", "Update an initiative"); an extra action takes the
  first line of its docstring, or an explicit `extend_schema(summary=...)`;
- integer path ids: the routes take any segment (`lookup_value_regex`), so a
  bad id answers a JSON 404 instead of Django's page, and drf-spectacular
  then reads the id as a string; the model's field says what it is;
- the optimistic-locking headers of versioned objects: `ETag` on the answers
  that carry a version, `If-Match` on PUT and PATCH.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

_STANDARD_ACTIONS = {
    "list": "List {plural}",
    "create": "Create {one}",
    "retrieve": "Get {one}",
    "update": "Replace {one}",
    "partial_update": "Update {one}",
    "destroy": "Delete {one}",
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        'The version you last read, as its ETag gave it (`"3"`). If the object has changed'
        " since, nothing is written and the answer is 409 with the object as it is now."
        " Without it (and without `version` in the body) the write is unconditional."
    ),
)
ETAG_DESCRIPTION = 'The object\'s version, quoted (`"3"`): send it back as `If-Match`.'


def _with_article(name: str) -> str:
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip().rstrip(".")


class ApiAutoSchema(AutoSchema):
    def get_summary(self) -> str | None:
        explicit = super().get_summary()
        if explicit:
            return explicit
        action = getattr(self.view, "action", None)
        model = get_view_model(self.view, emit_warnings=False)
        if action in _STANDARD_ACTIONS and model is not None:
            meta = model._meta
            return _STANDARD_ACTIONS[action].format(
                plural=str(meta.verbose_name_plural), one=_with_article(str(meta.verbose_name))
            )
        handler = getattr(self.view, action or self.method.lower(), None)
        doc = get_doc(handler)
        return _first_line(doc) if doc else None

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", None
        )
        if model is None or lookup not in ("pk", "id"):
            return parameters
        if not model._meta.pk.get_internal_type().endswith("AutoField"):
            return parameters
        for parameter in parameters:
            # drf-spectacular names the `pk` of a route `id` (SCHEMA_COERCE_PATH_PK).
            if parameter["name"] == "id" and parameter["schema"].get("type") == "string":
                parameter["schema"] = {"type": "integer"}
                parameter.setdefault("description", f"The {model._meta.verbose_name}'s id.")
        return parameters

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not getattr(self.view, "versioned", False):
            return parameters
        method = self.method
        action = getattr(self.view, "action", None)
        if method in ("PUT", "PATCH"):
            parameters.append(IF_MATCH)
            parameters.append(self._etag(["200", "409"]))
        elif method == "GET" and action in (None, "retrieve"):
            parameters.append(self._etag(["200"]))
        elif method == "POST" and action == "create":
            parameters.append(self._etag(["201"]))
        return parameters

    @staticmethod
    def _etag(codes: list[str]) -> OpenApiParameter:
        return OpenApiParameter(
            "ETag",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description=ETAG_DESCRIPTION,
            response=codes,
        )
