"""OpenAPI post-processing (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

The schema says what the API refuses before any view runs: no string a client
sends may contain NUL (config.middleware refuses it in paths and queries,
api.parsers in JSON bodies). Without it, every string parameter and field was
documented as accepting a value that is always a 400.
"""

from __future__ import annotations

NO_NUL = "^[^\\u0000]*$"


def _forbid_nul(schema: dict) -> None:
    """Give every free-form string in this schema (not through $ref) the NO_NUL pattern."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or "$ref" in node:
            continue
        if node.get("type") == "string" and not (
            {"enum", "format", "pattern"} & node.keys() or node.get("readOnly")
        ):
            node["pattern"] = NO_NUL
        stack.extend(node.get("properties", {}).values())
        stack.extend(node.get(key) for key in ("items", "additionalProperties"))
        for key in ("allOf", "oneOf", "anyOf"):
            stack.extend(node.get(key, []))


def forbid_nul_in_requests(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema", {}))
    for name, component in result.get("components", {}).get("schemas", {}).items():
        # COMPONENT_SPLIT_REQUEST: what a client sends is a component of its own.
        if name.endswith("Request"):
            _forbid_nul(component)
    return result


def close_request_objects(result, generator, request, public):
    """A request body's object takes its properties and no other (api.serializers.KnownFieldsOnly
    answers 400 to a key it does not know), so a generated client offers no free-form extras."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
    return result


# What a serializer refuses that its fields alone do not show, by request
# component name; filled where the rule is written (not_together, list_bounds)
# and stated by state_cross_field_rules.
NOT_TOGETHER: dict[str, tuple[str, ...]] = {}
LIST_BOUNDS: dict[str, tuple[int, int]] = {}


def not_together(*fields: str):
    """Class decorator: the serializer refuses these fields all set (not null) at once."""

    def mark(cls):
        NOT_TOGETHER[f"{cls.__name__.removesuffix('Serializer')}Request"] = fields
        return cls

    return mark


def list_bounds(component: str, *, min_items: int, max_items: int) -> None:
    """The list branch of a one-or-many request component holds min_items..max_items."""
    LIST_BOUNDS[component] = (min_items, max_items)


def state_cross_field_rules(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in NOT_TOGETHER.items():
        component = schemas.get(name)
        if component is None:
            continue
        # Non-null values of the fields' own types: null for one of them is allowed.
        types = {field: {"type": component["properties"][field]["type"]} for field in fields}
        component["not"] = {"required": list(fields), "properties": types}
    for name, (low, high) in LIST_BOUNDS.items():
        for branch in schemas.get(name, {}).get("oneOf", []):
            if branch.get("type") == "array":
                branch["minItems"], branch["maxItems"] = low, high
    # An ingest (one item or a list) always needs its body.
    bounded = {f"#/components/schemas/{name}" for name in LIST_BOUNDS}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and any(
                media.get("schema", {}).get("$ref") in bounded
                for media in body.get("content", {}).values()
            ):
                body["required"] = True
    return result


def _operations(result):
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, operation


def document_limits(result, generator, request, public):
    """State the limits every operation meets before its view runs.

    429: the throttles (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]) refuse
    with `Retry-After`. 413: a body over MAX_REQUEST_BODY_BYTES is refused by
    config.middleware. Both answer in the API's error shape: the body
    documented for the operation's 401.
    """
    from django.conf import settings

    limit = settings.MAX_REQUEST_BODY_BYTES
    for method, operation in _operations(result):
        responses = operation["responses"]
        error = responses.get("401") or next(
            (answer for code, answer in responses.items() if code.startswith("4")), {}
        )
        content = {"content": error["content"]} if "content" in error else {}
        responses.setdefault(
            "429",
            {
                "description": "Too many requests: wait the seconds Retry-After gives.",
                "headers": {
                    "Retry-After": {
                        "description": "Seconds to wait before sending again.",
                        "schema": {"type": "integer", "minimum": 0},
                    }
                },
                **content,
            },
        )
        if method in ("post", "put", "patch"):
            responses.setdefault(
                "413",
                {"description": f"The body is over {limit:,} bytes; nothing was read.", **content},
            )
    return result


def type_nullable_references(result, generator, request, public):
    """Give `nullable` a `type` beside it, as OpenAPI 3.0 requires, keeping null allowed.

    drf-spectacular writes a nullable reference as `{allOf: [$ref], nullable: true}`
    and a nullable choice as `{oneOf: [$ref, NullEnum], nullable: true}`, both
    without a type. The type the references share goes beside `nullable`; and
    as a type beside `allOf` hides the null from generators
    (openapi-python-client then types the field without None), a nullable
    reference becomes `oneOf: [$ref, NullEnum]` as a nullable choice is.
    """
    schemas = result.get("components", {}).get("schemas", {})
    null_ref = {"$ref": "#/components/schemas/NullEnum"}
    stack = [result.get("components", {}), result.get("paths", {})]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if node.get("nullable") and "type" not in node:
            refs = [
                schemas.get(branch["$ref"].rsplit("/", 1)[-1], {})
                for key in ("allOf", "oneOf", "anyOf")
                for branch in node.get(key, [])
                if "$ref" in branch
            ]
            types = {target.get("type") for target in refs if target.get("enum") != [None]}
            if len(types) == 1 and None not in types:
                node["type"] = types.pop()
                if len(node.get("allOf", [])) == 1:
                    node["oneOf"] = [node.pop("allOf")[0], null_ref]
                    schemas.setdefault("NullEnum", {"enum": [None]})
        stack.extend(node.values())
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


def _override_value_sets() -> dict[frozenset, str]:
    """ENUM_NAME_OVERRIDES by the set of values each names ('' and None left out)."""
    from django.db.models import Choices
    from drf_spectacular.plumbing import deep_import_string
    from drf_spectacular.settings import spectacular_settings

    names = {}
    for name, choices in spectacular_settings.ENUM_NAME_OVERRIDES.items():
        found = deep_import_string(choices) if isinstance(choices, str) else choices
        if isinstance(found, type) and issubclass(found, Choices):
            found = found.choices
        values = {choice if isinstance(choice, str) else choice[0] for choice in found}
        names[frozenset(values - {"", None})] = name
    return names


def name_parameter_enums(result, generator, request, public):
    """Query parameters' choices become enum components too, as fields' choices do.

    drf-spectacular names only the enums of serializer fields; a filter's choices
    stayed inline, and a generator made one enum class per operation. A
    parameter's values reuse the component with the same values, or the name
    ENUM_NAME_OVERRIDES gives them, or `<Parameter>Enum`. A blank value (no
    filter) stays allowed.
    """
    from drf_spectacular.drainage import warn
    from inflection import camelize

    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    by_values = {
        frozenset(schema["enum"]) - {"", None}: name
        for name, schema in schemas.items()
        if "enum" in schema
    }
    by_values.update(_override_value_sets())
    for _, operation in _operations(result):
        for parameter in operation.get("parameters", []):
            holder = parameter.get("schema", {})  # none on a $ref to a shared parameter
            if holder.get("type") == "array":
                holder = holder["items"]
            if "enum" not in holder:
                continue
            values = [value for value in holder["enum"] if value not in ("", None)]
            name = by_values.get(frozenset(values)) or f"{camelize(parameter['name'])}Enum"
            if name in schemas and set(schemas[name].get("enum", ())) != set(values):
                warn(
                    f"the choices {values} of query parameter {parameter['name']!r} need a"
                    f" name ({name} is taken): add one to ENUM_NAME_OVERRIDES"
                )
                continue
            by_values[frozenset(values)] = name
            schemas.setdefault(name, {"enum": values, "type": holder.get("type", "string")})
            ref = {"$ref": f"#/components/schemas/{name}"}
            if "" in holder["enum"]:
                schemas.setdefault("BlankEnum", {"enum": [""]})
                ref = {"oneOf": [ref, {"$ref": "#/components/schemas/BlankEnum"}]}
            for key in ("enum", "type"):
                holder.pop(key, None)
            holder.update(ref)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
