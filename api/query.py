"""Refuse query parameters a view does not take (a 400 naming each one).

A misspelt filter (`?stauts=idea`) used to answer the whole list, and an
integration believed it had filtered. The parameters a view takes are derived,
never listed per view: its filter backends' and paginator's (the parameters
they document in the schema), `format`, and those its operation documents with
`extend_schema(parameters=...)` (a query serializer's fields, `preview`...).

The check runs as the last of REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]: a
throttle is the one hook DRF calls on every view after authentication and
permissions, so an anonymous client still gets its 401 and a client without a
role its 403 before being told about parameters.
"""

from __future__ import annotations

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

UNKNOWN = "unknown_parameter"


def _names(parameters) -> set[str]:
    return {p["name"] for p in parameters if p.get("in", "query") == "query"}


def _documented(view, method: str) -> set[str]:
    """Query parameters the operation's extend_schema(parameters=...) documents."""
    # Imported here: DRF imports the throttle classes while rest_framework.views loads.
    from drf_spectacular.utils import OpenApiParameter
    from rest_framework.serializers import BaseSerializer

    action = getattr(view, "action", None)
    handler = getattr(view, action or method.lower(), None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    if schema_class is None:
        return set()
    schema = schema_class()
    schema.view = view
    schema.method = method
    names = set()
    for parameter in schema.get_override_parameters():
        if isinstance(parameter, OpenApiParameter):
            if parameter.location == OpenApiParameter.QUERY:
                names.add(parameter.name)
        elif isinstance(parameter, type) and issubclass(parameter, BaseSerializer):
            names |= set(parameter().fields)
        elif isinstance(parameter, BaseSerializer):
            names |= set(parameter.fields)
    return names


def _filterset(backend, view) -> set[str]:
    """A django-filter backend's parameters: each filter's name (with its widget's suffixes)."""
    filterset_class = backend.get_filterset_class(view, view.get_queryset())
    names = set()
    for name, filter_ in (filterset_class.base_filters if filterset_class else {}).items():
        suffixes = getattr(filter_.field.widget, "suffixes", None)
        names |= {f"{name}_{s}" if s else name for s in suffixes} if suffixes else {name}
    return names


def known_parameters(view, method: str) -> set[str]:
    """Every query parameter this view takes for this method."""
    names = {api_settings.URL_FORMAT_OVERRIDE}
    for backend_class in getattr(view, "filter_backends", None) or ():
        backend = backend_class()
        if hasattr(backend, "get_filterset_class"):
            names |= _filterset(backend, view)
        else:
            names |= _names(backend.get_schema_operation_parameters(view))
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names |= _names(paginator.get_schema_operation_parameters(view))
    return names | _documented(view, method)


class KnownQueryParameters(BaseThrottle):
    """Not a rate limit: answers 400 for any query parameter the view does not take."""

    def allow_request(self, request, view):
        given = set(request.query_params)
        method = request.method.lower()
        if not given or method not in view.http_method_names or not hasattr(view, method):
            return True  # no parameters, or a method the view answers with 405
        unknown = sorted(given - known_parameters(view, request.method))
        if unknown:
            raise ValidationError(
                {
                    name: [ErrorDetail(f"Unknown query parameter {name!r}.", code=UNKNOWN)]
                    for name in unknown
                }
            )
        return True
