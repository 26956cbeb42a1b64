"""Checks that docs/openapi.yaml is a valid OpenAPI 3.1 document and agrees with the code.

- it validates as OpenAPI 3.1 (openapi-spec-validator) and schemathesis loads every operation;
- its routes are exactly the HttpApi routes of template.yaml and of Cargo.toml's
  `cargo lambda watch` router, and the ones it documents without a token (`security: []`)
  exactly the template's routes without the JWT authorizer;
- its error codes are exactly the ones the HTTP crate can answer with;
- the query parameters it lists are exactly the ones the list functions and the report accept
  (any other is a 400, so a parameter missing from either side is a bug in the other);
- the event types it lists are exactly the ones the domain announces (`EVENT_TYPES`);
- every example it gives (bodies, answers, parameters, schemas; the routes and what a webhook
  receives) is valid against its schema.

The running API is checked against it by tests/fuzz.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from .cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "openapi.yaml"
TEMPLATE = ROOT / "template.yaml"
CARGO_TOML = ROOT / "Cargo.toml"
ERRORS_RS = ROOT / "shared" / "http" / "src" / "error.rs"
LIST_TICKETS_RS = ROOT / "functions" / "list-tickets" / "src" / "lib.rs"
LIST_MESSAGES_RS = ROOT / "functions" / "list-thread-messages" / "src" / "lib.rs"
LIST_DELIVERIES_RS = ROOT / "functions" / "list-webhook-deliveries" / "src" / "lib.rs"
GET_REPORT_RS = ROOT / "functions" / "get-report" / "src" / "lib.rs"
HISTORY_RS = ROOT / "shared" / "domain" / "src" / "history.rs"

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def spec_routes(spec: dict) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def template_routes() -> set[tuple[str, str]]:
    template = load_template(TEMPLATE)
    routes = set()
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                properties = event["Properties"]
                routes.add((properties["Method"].upper(), properties["Path"]))
    return routes


def router_routes() -> set[tuple[str, str]]:
    cargo = tomllib.loads(CARGO_TOML.read_text(encoding="utf-8"))
    router = cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
    routes = set()
    for path, targets in router.items():
        # `"/path" = "function"` routes every method; `"/path" = [{method, function}, ...]` one each.
        entries = [{"method": "ANY"}] if isinstance(targets, str) else targets
        routes.update((entry["method"].upper(), path) for entry in entries)
    return routes


def operation(spec: dict, method: str, path: str) -> dict:
    return spec["paths"][path][method.lower()]


def query_parameters(spec: dict, method: str, path: str) -> set[str]:
    names = set()
    for parameter in operation(spec, method, path).get("parameters", []):
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            names.add(parameter["name"])
    return names


def rust_strings(text: str) -> set[str]:
    return set(re.findall(r'"([^"]+)"', text))


def resolved(spec: dict, node: dict) -> dict:
    """NODE, or what its local `$ref` (`#/components/...`) names."""
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def examples(spec: dict) -> list[tuple[str, dict, object]]:
    """(where, schema, example) for every example of the spec: request and response bodies and
    parameters of the routes and of what a webhook receives, and examples inside schemas."""
    found = []
    operations = [
        (f"{method.upper()} {path}", item, op)
        for section in ("paths", "webhooks")
        for path, item in spec.get(section, {}).items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    for label, item, op in operations:
        for parameter in item.get("parameters", []) + op.get("parameters", []):
            parameter = resolved(spec, parameter)
            if "example" in parameter:
                found.append((f"{label} {parameter['name']}", parameter["schema"], parameter["example"]))
        bodies = [("request", op.get("requestBody", {}))] + list(op.get("responses", {}).items())
        for name, body in bodies:
            for media, content in resolved(spec, body).get("content", {}).items():
                if "example" in content:
                    found.append((f"{label} {name} {media}", content["schema"], content["example"]))

    def walk(where: str, schema: object) -> None:
        if isinstance(schema, dict):
            if "example" in schema and isinstance(schema.get("example"), (str, int, list, dict)):
                found.append((where, {k: v for k, v in schema.items() if k != "example"}, schema["example"]))
            for key, value in schema.items():
                walk(f"{where}/{key}", value)
        elif isinstance(schema, list):
            for index, value in enumerate(schema):
                walk(f"{where}/{index}", value)

    for name, schema in spec["components"]["schemas"].items():
        walk(f"#/components/schemas/{name}", schema)
    return found


# --------------------------------------------------------------------------------------------


def test_the_spec_is_valid_openapi_3_1(spec: dict) -> None:
    from openapi_spec_validator import OpenAPIV31SpecValidator

    assert str(spec["openapi"]).startswith("3.1."), spec["openapi"]
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in OpenAPIV31SpecValidator(spec).iter_errors()
    ]
    assert not errors, "docs/openapi.yaml is not valid OpenAPI 3.1:\n" + "\n".join(errors)


def test_schemathesis_loads_every_operation() -> None:
    import schemathesis
    from schemathesis.core.result import Ok

    schema = schemathesis.openapi.from_path(SPEC)
    results = list(schema.get_all_operations())
    problems = [repr(result.err()) for result in results if not isinstance(result, Ok)]
    assert not problems, problems
    labels = {result.ok().label for result in results}
    assert labels == {f"{method} {path}" for method, path in spec_routes(schema.raw_schema)}


def test_the_spec_routes_equal_the_template_and_the_local_router(spec: dict) -> None:
    documented, deployed, local = spec_routes(spec), template_routes(), router_routes()
    assert documented == deployed == local, (
        "routes differ between docs/openapi.yaml, template.yaml and Cargo.toml "
        "[workspace.metadata.lambda.watch.router]:\n"
        f"  only in docs/openapi.yaml: {sorted(documented - deployed - local)}\n"
        f"  missing from docs/openapi.yaml: {sorted((deployed | local) - documented)}\n"
        f"  template.yaml vs Cargo.toml: {sorted(deployed ^ local)}"
    )


def public_template_routes() -> set[tuple[str, str]]:
    """The routes template.yaml serves without the JWT authorizer (`Auth: {Authorizer: NONE}`)."""
    template = load_template(TEMPLATE)
    return {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi" and event["Properties"].get("Auth") == {"Authorizer": "NONE"}
    }


def test_the_routes_without_a_token_are_the_ones_the_template_leaves_open(spec: dict) -> None:
    public = {
        (method, path)
        for method, path in spec_routes(spec)
        if operation(spec, method, path).get("security") == []
    }
    assert public == public_template_routes()


def test_every_operation_is_named_and_documents_the_statuses_every_route_can_give(
    spec: dict,
) -> None:
    ids = []
    for method, path in sorted(spec_routes(spec)):
        op = operation(spec, method, path)
        ids.append(op.get("operationId"))
        pages = "pages" in op.get("tags", [])
        if pages:
            # The pages' files are served from the function itself: only a missing file (404)
            # or a failed function (API Gateway's 500); a repeat with the ETag is a 304.
            missing = ({"404", "500"} if "{file}" in path else {"500"}) - set(op["responses"])
        elif op.get("security") == []:
            # A route without a token (the unsubscribe link) reads no caller: its signed link
            # is refused (400) instead, and a function that fails is API Gateway's 500.
            missing = {"400", "500"} - set(op["responses"])
        else:
            # Every function reads the caller first and reaches storage.
            missing = {"401", "500", "503"} - set(op["responses"])
        assert not missing, f"{method} {path} does not document {sorted(missing)}"
        # One success status per route; a download redirects (302) to the file, or names an
        # external link it will not redirect to (200).
        success = sorted(status for status in op["responses"] if status.startswith(("2", "3")))
        if path.endswith("{attachmentId}") and method == "GET":
            expected = ["200", "302"]
        elif pages:
            expected = ["200", "304"]
        else:
            expected = success[:1]
        assert success == expected, f"{method} {path}: success statuses {success}"
        if "{id}" in path:
            assert "404" in op["responses"], f"{method} {path} does not document 404"
    assert None not in ids and len(set(ids)) == len(ids), f"operationIds: {ids}"


def test_the_error_codes_are_the_ones_the_http_crate_answers_with(spec: dict) -> None:
    code = ERRORS_RS.read_text(encoding="utf-8")
    answered = set(re.findall(r'StatusCode::[A-Z_]+,\s*"([A-Z_]+)"', code))
    assert answered, "no codes found in shared/http/src/error.rs"
    documented = set(spec["components"]["schemas"]["ErrorCode"]["enum"])
    assert documented == answered, (
        f"only in docs/openapi.yaml: {sorted(documented - answered)}; "
        f"only in error.rs: {sorted(answered - documented)}"
    )


def test_the_list_query_parameters_are_the_ones_the_functions_accept(spec: dict) -> None:
    tickets = re.search(
        r"const PARAMETERS: &\[&str\] = &\[(.*?)\];",
        LIST_TICKETS_RS.read_text(encoding="utf-8"),
        re.S,
    )
    assert tickets, "PARAMETERS not found in functions/list-tickets/src/lib.rs"
    assert query_parameters(spec, "GET", "/v2/support-tickets") == rust_strings(tickets[1])

    messages = re.search(
        r"QueryParams::read\(req, &\[(.*?)\]\)", LIST_MESSAGES_RS.read_text(encoding="utf-8")
    )
    assert messages, "QueryParams::read not found in functions/list-thread-messages/src/lib.rs"
    assert query_parameters(
        spec, "GET", "/v2/support-tickets/{id}/threads"
    ) == rust_strings(messages[1])


def test_the_deliveries_query_parameters_are_the_ones_the_function_accepts(spec: dict) -> None:
    deliveries = re.search(
        r"QueryParams::read\(req, &\[(.*?)\]\)", LIST_DELIVERIES_RS.read_text(encoding="utf-8")
    )
    assert deliveries, "QueryParams::read not found in functions/list-webhook-deliveries/src/lib.rs"
    assert query_parameters(
        spec, "GET", "/v2/webhooks/{id}/deliveries"
    ) == rust_strings(deliveries[1])


def test_the_report_query_parameters_are_the_ones_the_function_accepts(spec: dict) -> None:
    report = re.search(
        r"const PARAMS: \[&str; \d+\] = \[(.*?)\];", GET_REPORT_RS.read_text(encoding="utf-8"), re.S
    )
    assert report, "PARAMS not found in functions/get-report/src/lib.rs"
    assert query_parameters(spec, "GET", "/v2/reports") == rust_strings(report[1])


def test_the_event_types_are_the_ones_the_domain_announces(spec: dict) -> None:
    listed = re.search(
        r"pub const EVENT_TYPES: &\[&str\] = &\[(.*?)\];",
        HISTORY_RS.read_text(encoding="utf-8"),
        re.S,
    )
    assert listed, "EVENT_TYPES not found in shared/domain/src/history.rs"
    documented = spec["components"]["schemas"]["EventType"]["enum"]
    assert len(documented) == len(set(documented)), documented
    assert set(documented) == rust_strings(listed[1])


def test_every_example_is_valid_against_its_schema(spec: dict) -> None:
    from jsonschema import Draft202012Validator

    found = examples(spec)
    assert found, "no examples found in docs/openapi.yaml"
    problems = []
    for where, schema, example in found:
        # The schema sits beside the spec's components, so that its `#/components/...` refer there.
        validator = Draft202012Validator({"components": spec["components"], "allOf": [schema]})
        problems.extend(
            f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(example)
        )
    assert not problems, "examples that their schemas refuse:\n" + "\n".join(problems)
