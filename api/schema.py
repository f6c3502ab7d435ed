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
