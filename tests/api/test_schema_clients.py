"""The schema as integrators' tools read it: a client generator, a validator,
and the rules a linter applies (Redocly's recommended set runs in .ci/run).

The schema is rendered in-process, as `manage.py spectacular` writes it; a
drf-spectacular warning fails the rendering.
"""

import importlib
import pkgutil

import pytest
import yaml
from openapi_python_client.strings import ClassName
from openapi_spec_validator import validate

from tests.api.client_support import generate_client, import_client, render_schema

METHODS = {"get", "put", "post", "patch", "delete"}
# Path parameters that are not ids: a metric is looked up by its `key`.
STRING_PATH_PARAMETERS = {"key"}


@pytest.fixture(scope="module")
def schema_path(tmp_path_factory):
    return render_schema(tmp_path_factory.mktemp("schema"))


@pytest.fixture(scope="module")
def document(schema_path):
    return yaml.safe_load(schema_path.read_text())


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def parameters(document, operation):
    """The operation's parameters, those given by reference resolved."""
    shared = document["components"].get("parameters", {})
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = shared[parameter["$ref"].rsplit("/", 1)[-1]]
        yield parameter


def test_openapi_python_client_generates_every_operation_and_model_without_warnings(
    schema_path, document, tmp_path
):
    package, output = generate_client(schema_path, tmp_path)

    # A clean run prints only where it generated; a dropped model or
    # operation, or any other complaint, is a line of its own.
    assert output == [f"Generating {package}"]
    client = import_client(package)
    api = importlib.import_module(f"{client.__name__}.api")
    modules = {
        name.rsplit(".", 1)[-1]
        for _, name, is_package in pkgutil.walk_packages(api.__path__, prefix=f"{api.__name__}.")
        if not is_package
    }
    operation_ids = {operation["operationId"] for _, _, operation in operations(document)}
    assert len(operation_ids) > 60
    assert operation_ids <= modules
    models = importlib.import_module(f"{client.__name__}.models")
    classes = {
        name
        for name, schema in document["components"]["schemas"].items()
        if schema.get("type") == "object" or schema.get("enum") not in (None, [None])
    }
    assert {"Initiative", "Priority", "PaginatedPriorityList", "InitiativeRequest"} <= classes
    missing = {name for name in classes if not hasattr(models, ClassName(name, ""))}
    assert not missing
    # A nullable object field takes None (a typed nullable reference once lost it).
    item = models.EvidenceIngestRequest(source=models.SourceEnum.SURVEY, text="x", experiment=None)
    assert item.to_dict()["experiment"] is None


def test_schema_is_valid_openapi(document):
    validate(document)  # raises on the first problem


def test_every_operation_has_a_summary_a_description_and_declared_tags(document):
    declared = {tag["name"]: tag.get("description") for tag in document["tags"]}
    assert all(declared.values()), "every declared tag has a description"
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        assert operation.get("summary", "").strip(), f"{where} has no summary"
        assert operation.get("description", "").strip(), f"{where} has no description"
        assert operation["tags"], f"{where} has no tag"
        assert set(operation["tags"]) <= set(declared), f"{where}: declare {operation['tags']}"


def test_path_ids_are_integers(document):
    seen = set()
    for path, method, operation in operations(document):
        for parameter in parameters(document, operation):
            if parameter["in"] != "path" or parameter["name"] in STRING_PATH_PARAMETERS:
                continue
            seen.add(parameter["name"])
            assert parameter["schema"]["type"] == "integer", f"{method.upper()} {path}"
    assert "id" in seen
    assert all(name == "id" or name.endswith("_id") for name in seen), seen


def test_enums_are_named_components_not_repeated_inline(document):
    inline = []

    def walk(node, where):
        if isinstance(node, dict):
            # A choice set is a schema component; a header component may hold its one value.
            named = len(where) == 3 and where[:2] == ["components", "schemas"]
            header = len(where) == 4 and where[:2] == ["components", "headers"]
            if "enum" in node and not (named or header):
                inline.append("/".join(map(str, where)))
            for key, value in node.items():
                walk(value, [*where, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, [*where, index])

    walk(document, [])
    assert not inline
    schemas = document["components"]["schemas"]
    assert {"LaneEnum", "RankedStatusEnum", "InitiativeStatusEnum", "SourceEnum"} <= set(schemas)
    # Impact is a number with its allowed values stated: generators drop enums of floats.
    impact = schemas["Initiative"]["properties"]["impact"]
    assert impact["type"] == "number"
    assert "enum" not in impact
    assert "0.25" in impact["description"]


def test_ingest_bodies_are_required(document):
    for path in ("/api/v1/evidence/", "/api/v1/metrics/{key}/readings/"):
        assert document["paths"][path]["post"]["requestBody"]["required"] is True, path


def test_optimistic_locking_headers_are_documented_where_used(document):
    for name in ("initiatives", "objectives", "key-results"):
        item = document["paths"][f"/api/v1/{name}/{{id}}/"]
        assert "ETag" in item["get"]["responses"]["200"]["headers"]
        for method in ("put", "patch"):
            headers = {p["name"] for p in parameters(document, item[method]) if p["in"] == "header"}
            assert "If-Match" in headers, f"{method} {name}"
            for code in ("200", "409"):
                assert "ETag" in item[method]["responses"][code]["headers"], f"{method} {code}"
    # Objects without a version answer without an ETag, and the schema says none.
    segment = document["paths"]["/api/v1/segments/{id}/"]
    assert "ETag" not in segment["get"]["responses"]["200"].get("headers", {})


def test_throttling_and_the_body_limit_are_documented_on_every_operation(document):
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert "Retry-After" in responses["429"]["headers"], f"{method.upper()} {path}"
        assert responses["429"]["content"] == responses["401"]["content"]
        if method in ("post", "put", "patch"):
            assert "413" in responses, f"{method.upper()} {path}"


def test_nullable_always_has_a_type_beside_it(document):
    untyped = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("nullable") and "type" not in node:
                untyped.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document, "")
    assert not untyped
