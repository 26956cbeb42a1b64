"""Checks that template.yaml is valid and agrees with the rest of the repository.

- cfn-lint and `sam validate --lint` pass, offline;
- the table and bucket are the ones infra/storage.json defines (the local stack uses that file);
- the routes are the ones Cargo.toml's `cargo lambda watch` router serves locally;
- one function per functions/<dir>, each with exactly the DynamoDB actions of policies.json;
- nothing in the template turns on the functions' local token verification: deployed, they read
  the claims API Gateway's authorizer verified, and nothing else; the only routes without the
  authorizer are the unsubscribe link's;
- the e-mail channel: SES writes only under inbound/, which only on-email-received reads; only
  send-notifications sends, from the desk's identity through its configuration set; the receipt
  rule set is the stack's, never activated by it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest

from .cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
STORAGE = ROOT / "infra" / "storage.json"
CARGO_TOML = ROOT / "Cargo.toml"
FUNCTIONS_DIR = ROOT / "functions"
POLICIES = Path(__file__).resolve().parent / "policies.json"

TABLE_ID = "TicketsTable"
BUCKET_ID = "AttachmentsBucket"
API_ID = "TicketsApi"
FUNCTION_TYPE = "AWS::Serverless::Function"

# The only resources a function's DynamoDB statements may name.
TABLE_ARN = {"Fn::GetAtt": [TABLE_ID, "Arn"]}
INDEXES_ARN = {"Fn::Sub": "${%s.Arn}/index/*" % TABLE_ID}
# The only resource a function's S3 statements may name: the attachment objects. The bucket's
# name is derived from the stack id (a reference to the bucket would be a dependency cycle).
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
BUCKET_NAME = {"Fn::Sub": ["support-tickets-${StackUuid}", {"StackUuid": STACK_UUID}]}
OBJECTS_ARN = {
    "Fn::Sub": ["arn:${AWS::Partition}:s3:::support-tickets-${StackUuid}/tickets/*", {"StackUuid": STACK_UUID}]
}
# The client exports' archives, beside them: the same object actions.
EXPORTS_ARN = {
    "Fn::Sub": ["arn:${AWS::Partition}:s3:::support-tickets-${StackUuid}/exports/*", {"StackUuid": STACK_UUID}]
}
# The raw mail SES stores: read and removed by the one function that turns it into tickets.
INBOUND_ARN = {
    "Fn::Sub": ["arn:${AWS::Partition}:s3:::support-tickets-${StackUuid}/inbound/*", {"StackUuid": STACK_UUID}]
}
INBOUND_FUNCTION = "OnEmailReceivedFunction"
INBOUND_ACTIONS = {"s3:GetObject", "s3:DeleteObject"}
S3_ACTIONS = {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}
# The bucket itself: listing only, and only for the data jobs (an erased client's archives) and
# on-email-received (without it, S3 answers a missing object 403: a repeated notification of a
# message already moved would fail).
BUCKET_ARN = {"Fn::Sub": ["arn:${AWS::Partition}:s3:::support-tickets-${StackUuid}", {"StackUuid": STACK_UUID}]}
LISTING_FUNCTIONS = {"RunDataJobsFunction", "OnEmailReceivedFunction"}
# The only resource events:PutEvents may name: the tickets bus.
BUS_ARN = {"Fn::GetAtt": ["TicketsEventBus", "Arn"]}
# The queues a function may write to: the webhook queue (sending a delivery, hiding a failed
# one until its retry) and the data jobs' (queueing a job's next step). Queues that trigger
# functions need no statement.
WEBHOOK_QUEUE_ARN = {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
DATA_JOB_QUEUE_ARN = {"Fn::GetAtt": ["DataJobQueue", "Arn"]}
SQS_ACTIONS = {"sqs:SendMessage", "sqs:ChangeMessageVisibility"}
# The one function that sends mail, and the only resources it may send with: the desk's domain
# identity and its configuration set.
SENDING_FUNCTION = "SendNotificationsFunction"
IDENTITY_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailIdentity}"}
CONFIGURATION_SET_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${MailConfigurationSet}"
}
# The routes a signed link reaches without a token (the one-click unsubscribe of mail clients).
UNSUBSCRIBE_ROUTES = {("GET", "/v2/unsubscribe"): "UnsubscribeFunction", ("POST", "/v2/unsubscribe"): "UnsubscribeFunction"}
# The pages and their files: served from the function itself, which calls nothing.
PAGE_ROUTES = {
    ("GET", "/docs"): "ServePagesFunction",
    ("GET", "/dashboard"): "ServePagesFunction",
    ("GET", "/pages/{file}"): "ServePagesFunction",
}
PUBLIC_ROUTES = {**UNSUBSCRIBE_ROUTES, **PAGE_ROUTES}

# What turns on the functions' own token verification (local runs only).
LOCAL_JWKS = "LOCAL_JWKS"
# What lets webhook deliveries reach this machine (local runs only).
LOCAL_LOOPBACK = "WEBHOOK_ALLOW_LOOPBACK"


# --------------------------------------------------------------------------------------------
# Helpers


def tool(name: str) -> Path:
    """A command-line tool installed next to the running Python (the project's .venv/bin)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), (
        f"{name} not found at {path}; run the tests with the project's virtualenv "
        f"(.venv/bin/python -m pytest), which infra/requirements.txt provisions"
    )
    return path


def run(command: list[str | Path], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def report(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def differences(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Every place where two parsed JSON/YAML values differ, as readable lines."""
    where = path or "<root>"
    if isinstance(actual, dict) and isinstance(expected, dict):
        lines = []
        for key in expected.keys() - actual.keys():
            lines.append(f"{path}.{key}: missing from template.yaml (storage.json: {expected[key]!r})")
        for key in actual.keys() - expected.keys():
            lines.append(f"{path}.{key}: only in template.yaml ({actual[key]!r})")
        for key in expected.keys() & actual.keys():
            lines.extend(differences(actual[key], expected[key], f"{path}.{key}"))
        return sorted(lines)
    if isinstance(actual, list) and isinstance(expected, list):
        lines = []
        if len(actual) != len(expected):
            lines.append(f"{where}: {len(actual)} items in template.yaml, {len(expected)} in storage.json")
        for index, (mine, theirs) in enumerate(zip(actual, expected)):
            lines.extend(differences(mine, theirs, f"{path}[{index}]"))
        return lines
    if type(actual) is not type(expected) or actual != expected:
        return [f"{where}: template.yaml has {actual!r}, storage.json has {expected!r}"]
    return []


def pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


def functions_of(template: dict) -> dict[str, dict]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == FUNCTION_TYPE
    }


def code_dir(function: dict) -> str:
    """The function's directory name, from `CodeUri: functions/<name>`."""
    code_uri = function["Properties"]["CodeUri"]
    assert isinstance(code_uri, str), f"CodeUri must be a local path, not {code_uri!r}"
    return Path(code_uri).name


def statements(function: dict) -> Iterator[dict]:
    for policy in as_list(function["Properties"].get("Policies", [])):
        if isinstance(policy, dict):
            yield from as_list(policy.get("Statement", []))


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def walk(value: Any) -> Iterator[Any]:
    """Every key and value nested anywhere in parsed data."""
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def template_text() -> str:
    return TEMPLATE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def storage() -> dict:
    return json.loads(STORAGE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def expected_policies() -> dict[str, list[str]]:
    data = json.loads(POLICIES.read_text(encoding="utf-8"))
    return {name: actions for name, actions in data.items() if not name.startswith("_")}


@pytest.fixture(scope="module")
def router_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> function, from Cargo.toml's `cargo lambda watch` router."""
    cargo = tomllib.loads(CARGO_TOML.read_text(encoding="utf-8"))
    router = cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
    routes: dict[tuple[str, str], str] = {}
    for path, targets in router.items():
        # `"/path" = "function"` routes every method; `"/path" = [{method, function}, ...]` one each.
        entries = [{"method": "ANY", "function": targets}] if isinstance(targets, str) else targets
        for entry in entries:
            route = (entry["method"].upper(), path)
            assert route not in routes, f"router: {route} is declared twice"
            routes[route] = entry["function"]
    return routes


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which the AWS tools cannot reach, or need, the network or credentials.

    - No credentials at all: the AWS variables are dropped, the shared config/credentials files
      point at an empty file, and the EC2 instance metadata lookup (169.254.169.254, which
      botocore's credential chain tries otherwise) is disabled.
    - SAM CLI keeps its state in a throwaway directory (`__SAM_CLI_APP_DIR`, the hook SAM CLI's
      own integration tests use) instead of ~/.aws-sam. That state says telemetry is off and a
      version check has just been made: otherwise `sam validate` asks PyPI for a newer SAM CLI
      (once a week, 5 s timeout, errors ignored), the one network call it makes with --lint.
      With --lint, validation itself is cfn-lint in-process (its bundled SAM translator and
      resource schemas) and needs nothing else.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SAM_", "__SAM_"))
    }
    sam_dir = tmp_path_factory.mktemp("aws-sam")
    (sam_dir / "metadata.json").write_text(
        json.dumps({"telemetryEnabled": False, "lastVersionCheck": time.time()}),
        encoding="utf-8",
    )
    env.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "SAM_CLI_TELEMETRY": "0",
            "__SAM_CLI_APP_DIR": str(sam_dir),
        }
    )
    # Keep the CA bundle setting, if any, for tools that would verify TLS (none should connect).
    if "AWS_CA_BUNDLE" in os.environ:
        env["AWS_CA_BUNDLE"] = os.environ["AWS_CA_BUNDLE"]
    return env


# --------------------------------------------------------------------------------------------
# 1-2. The template is valid


def test_cfn_lint_passes(offline_env: dict[str, str]) -> None:
    result = run([tool("cfn-lint"), TEMPLATE.name], env=offline_env)
    assert result.returncode == 0, f"cfn-lint {TEMPLATE.name} failed:\n{report(result)}"


def test_sam_validate_lint_passes_offline(offline_env: dict[str, str]) -> None:
    result = run([tool("sam"), "validate", "--lint", "--template", TEMPLATE.name], env=offline_env)
    assert result.returncode == 0, f"sam validate --lint failed:\n{report(result)}"
    assert "is a valid SAM Template" in result.stdout + result.stderr, report(result)


# --------------------------------------------------------------------------------------------
# 3. Storage is the one infra/storage.json defines


def test_table_properties_equal_storage_json(template: dict, storage: dict) -> None:
    table = template["Resources"][TABLE_ID]
    assert table["Type"] == "AWS::DynamoDB::Table"
    problems = differences(table.get("Properties", {}), storage["table"], TABLE_ID)
    assert not problems, (
        f"{TABLE_ID}.Properties in template.yaml must equal the \"table\" object of "
        "infra/storage.json (the local stack creates the table from that file):\n  "
        + "\n  ".join(problems)
    )
    assert "TableName" not in table["Properties"], "the table name is CloudFormation's to choose"


def test_table_is_retained_on_delete_and_replace(template: dict) -> None:
    table = template["Resources"][TABLE_ID]
    assert table.get("DeletionPolicy") == "Retain"
    assert table.get("UpdateReplacePolicy") == "Retain"


def test_bucket_encryption_and_public_access_block_equal_storage_json(
    template: dict, storage: dict
) -> None:
    bucket = template["Resources"][BUCKET_ID]
    assert bucket["Type"] == "AWS::S3::Bucket"
    properties = bucket.get("Properties", {})
    expected = storage["bucket"]
    assert {"BucketEncryption", "PublicAccessBlockConfiguration"} <= expected.keys()
    problems = differences({key: properties.get(key) for key in expected}, expected, BUCKET_ID)
    assert not problems, (
        f"{BUCKET_ID} in template.yaml must declare the \"bucket\" settings of "
        "infra/storage.json:\n  " + "\n  ".join(problems)
    )


# --------------------------------------------------------------------------------------------
# 4. The functions' local token verification is never switched on in AWS


def test_local_token_verification_appears_nowhere_in_template(template: dict, template_text: str) -> None:
    assert LOCAL_JWKS not in template_text.upper(), (
        f"template.yaml mentions {LOCAL_JWKS}: deployed functions must read the authorizer's claims"
    )
    environments = {"Globals.Function": template.get("Globals", {}).get("Function", {})}
    environments.update(
        {logical_id: function["Properties"] for logical_id, function in functions_of(template).items()}
    )
    for owner, properties in environments.items():
        variables = properties.get("Environment", {}).get("Variables", {})
        assert LOCAL_JWKS not in variables, f"{owner} sets {LOCAL_JWKS}"
    # Every route is behind the JWT authorizer (but the unsubscribe link's, whose function reads
    # no claims), so a deployed function that reads claims always gets verified ones.
    api = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
    assert api["Properties"]["Auth"]["DefaultAuthorizer"], "the HTTP API has no default authorizer"


def test_webhooks_reach_this_machine_only_in_local_runs(template: dict, template_text: str) -> None:
    """Loopback receivers (and plain http to them) are for the local stack: a deployed function
    that allowed them would let a subscription reach the account's own network."""
    assert LOCAL_LOOPBACK not in template_text, f"template.yaml mentions {LOCAL_LOOPBACK}"
    environments = [template.get("Globals", {}).get("Function", {})]
    environments += [function["Properties"] for function in functions_of(template).values()]
    for properties in environments:
        assert LOCAL_LOOPBACK not in properties.get("Environment", {}).get("Variables", {})
    stack = (ROOT / "infra" / "stack.sh").read_text()
    assert f"{LOCAL_LOOPBACK}=true" in stack, "the local stack no longer allows loopback receivers"


# --------------------------------------------------------------------------------------------
# 5. The routes are the ones served locally


def test_routes_equal_cargo_lambda_watch_router(
    template: dict, router_routes: dict[tuple[str, str], str]
) -> None:
    template_routes: dict[tuple[str, str], str] = {}
    for logical_id, function in functions_of(template).items():
        for event_id, event in function["Properties"].get("Events", {}).items():
            if event["Type"] != "HttpApi":
                continue
            properties = event["Properties"]
            assert properties.get("ApiId") == {"Ref": API_ID}, (
                f"{logical_id}.Events.{event_id} must be on !Ref {API_ID}"
            )
            route = (properties["Method"].upper(), properties["Path"])
            assert route not in template_routes, f"{route} is routed twice in template.yaml"
            template_routes[route] = code_dir(function)

    assert set(template_routes) == set(router_routes), (
        "routes differ between template.yaml and Cargo.toml "
        "[workspace.metadata.lambda.watch.router]:\n"
        f"  only in template.yaml: {sorted(set(template_routes) - set(router_routes))}\n"
        f"  only in Cargo.toml:    {sorted(set(router_routes) - set(template_routes))}"
    )
    mismatched = {
        route: {"template.yaml": template_routes[route], "Cargo.toml": router_routes[route]}
        for route in template_routes
        if template_routes[route] != router_routes[route]
    }
    assert not mismatched, f"routes that reach different functions: {mismatched}"


def test_every_route_requires_the_jwt_authorizer(template: dict) -> None:
    api = template["Resources"][API_ID]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "JwtAuthorizer"
    authorizer = auth["Authorizers"]["JwtAuthorizer"]
    assert authorizer["IdentitySource"] == "$request.header.Authorization"
    # The stack's own pool and app client, or the issuer and audiences given as parameters.
    assert authorizer["JwtConfiguration"] == {
        "issuer": {
            "Fn::If": [
                "CreateUserPool",
                {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"},
                {"Ref": "JwtIssuer"},
            ]
        },
        "audience": {"Fn::If": ["CreateUserPool", [{"Ref": "UserPoolClient"}], {"Ref": "JwtAudience"}]},
    }
    assert {"JwtIssuer", "JwtAudience"} <= template["Parameters"].keys()
    assert template["Conditions"]["CreateUserPool"] == {"Fn::Equals": [{"Ref": "JwtIssuer"}, ""]}


def test_the_stack_pool_gives_roles_by_group_and_lets_no_one_pick_their_own(template: dict) -> None:
    resources = template["Resources"]
    pool = resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    groups = {r["Properties"]["GroupName"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"agents", "admins"}
    app = resources["UserPoolClient"]["Properties"]
    assert {"email", "email_verified"} <= set(app["ReadAttributes"])
    # A user may write nothing that names a role.
    assert not [a for a in app["WriteAttributes"] if a.startswith("custom:")]
    assert app["GenerateSecret"] is False

    for logical_id, function in functions_of(template).items():
        for event_id, event in function["Properties"].get("Events", {}).items():
            if event["Type"] == "HttpApi":
                # An event-level Auth could switch the authorizer off (Authorizer: NONE), or pick
                # another one: only the unsubscribe link's routes switch it off, and nothing else.
                properties = event["Properties"]
                route = (properties["Method"].upper(), properties["Path"])
                if PUBLIC_ROUTES.get(route) == logical_id:
                    assert properties.get("Auth") == {"Authorizer": "NONE"}, f"{logical_id}.Events.{event_id}"
                else:
                    assert "Auth" not in properties, f"{logical_id}.Events.{event_id} overrides Auth"


def test_only_the_signed_unsubscribe_link_and_the_pages_are_reached_without_a_token(template: dict) -> None:
    """The unsubscribe routes are public (a mail client's one-click POST carries no token): the
    function behind them trusts only the link's signature, reads no claims, and may do no more
    than read a person's contact and switch its notifications off. The pages are public too,
    and their function may do nothing at all (it serves what is built into it)."""
    public = {}
    for logical_id, function in functions_of(template).items():
        for event in function["Properties"].get("Events", {}).values():
            properties = event["Properties"]
            if event["Type"] == "HttpApi" and "Auth" in properties:
                public[(properties["Method"].upper(), properties["Path"])] = logical_id
    assert public == PUBLIC_ROUTES
    (pages,) = set(PAGE_ROUTES.values())
    assert not list(statements(functions_of(template)[pages])), "the pages' function is granted nothing"
    (logical_id,) = set(UNSUBSCRIBE_ROUTES.values())
    function = functions_of(template)[logical_id]
    for statement in statements(function):
        # Reads and an update of the table's items: no new item, no delete, no other service.
        assert set(as_list(statement["Action"])) <= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}
        assert as_list(statement["Resource"]) == [TABLE_ARN], statement
    assert {"Fn::Sub": "{{resolve:secretsmanager:${MailSigningSecret}:SecretString}}"} == (
        function["Properties"]["Environment"]["Variables"]["MAIL_SIGNING_KEY"]
    )


# --------------------------------------------------------------------------------------------
# 6. One function per crate under functions/


def test_one_template_function_per_function_directory(template: dict) -> None:
    directories = sorted(
        path.name for path in FUNCTIONS_DIR.iterdir() if path.is_dir() and not path.name.startswith(".")
    )
    assert directories, "no function directories found"
    functions = functions_of(template)

    by_code_uri: dict[str, list[str]] = {}
    for logical_id, function in functions.items():
        code_uri = function["Properties"].get("CodeUri")
        by_code_uri.setdefault(code_uri, []).append(logical_id)

    problems = []
    for directory in directories:
        code_uri = f"functions/{directory}"
        logical_ids = by_code_uri.get(code_uri, [])
        expected_id = pascal_case(directory) + "Function"
        if logical_ids != [expected_id]:
            problems.append(f"{code_uri}: template functions {logical_ids}, expected [{expected_id!r}]")
    for code_uri, logical_ids in by_code_uri.items():
        if not (isinstance(code_uri, str) and code_uri.startswith("functions/")
                and code_uri.removeprefix("functions/") in directories):
            problems.append(f"{logical_ids}: CodeUri {code_uri!r} is not a directory under functions/")
    assert not problems, "\n".join(problems)


def test_each_function_builds_its_own_binary_with_the_makefile(template: dict) -> None:
    """Each function is one binary named after its directory, built by the Makefile's
    `build-<LogicalId>` target, which finds the binary by that name."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "build-%Function:" in makefile
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    assert samconfig["default"]["build"]["parameters"]["build_in_source"] is True
    for logical_id, function in functions_of(template).items():
        name = code_dir(function)
        manifest = tomllib.loads((FUNCTIONS_DIR / name / "Cargo.toml").read_text(encoding="utf-8"))
        binaries = [binary["name"] for binary in manifest.get("bin", [])] or [manifest["package"]["name"]]
        assert binaries == [name], f"functions/{name} must build exactly one binary named {name!r}"
        assert function.get("Metadata") == {"BuildMethod": "makefile", "ProjectRootDirectory": "."}, logical_id
        target = subprocess.run(
            ["make", "-s", "-n", f"build-{logical_id}", "ARTIFACTS_DIR=/artifacts"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.splitlines()[-1]
        assert target == f"cp target/lambda/{name}/bootstrap /artifacts/bootstrap", logical_id


def test_functions_run_as_arm64_custom_runtime_with_table_name(template: dict) -> None:
    settings = template["Globals"]["Function"]
    assert settings["Runtime"] == "provided.al2023"
    assert settings["Architectures"] == ["arm64"]
    assert settings["Handler"] == "bootstrap"
    assert settings["MemorySize"] == 128
    assert settings["Timeout"] == 10
    assert settings["LoggingConfig"] == {"LogFormat": "JSON"}
    assert settings["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": TABLE_ID}
    # One list layout for every function of a deployment (a list must find what a write keyed).
    assert settings["Environment"]["Variables"]["LIST_SHARDS"] == {"Ref": "ListShards"}
    shards = template["Parameters"]["ListShards"]
    assert (shards["Default"], shards["MinValue"], shards["MaxValue"]) == (1, 1, 32)
    overridden = {"Runtime", "Architectures", "Handler"}
    for logical_id, function in functions_of(template).items():
        assert not overridden & function["Properties"].keys(), f"{logical_id} overrides {overridden}"


def test_outputs_name_the_api_url_table_and_bucket(template: dict) -> None:
    values = [output["Value"] for output in template["Outputs"].values()]
    assert {"Fn::Sub": "https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}" % API_ID} in values
    assert {"Ref": TABLE_ID} in values
    assert {"Ref": BUCKET_ID} in values


# --------------------------------------------------------------------------------------------
# 7. Least privilege


def test_function_policies_grant_exactly_the_listed_dynamodb_actions(
    template: dict, expected_policies: dict[str, list[str]]
) -> None:
    functions = functions_of(template)
    names = {code_dir(function): logical_id for logical_id, function in functions.items()}
    assert set(names) == set(expected_policies), (
        f"policies.json lists {sorted(expected_policies)}, template.yaml has {sorted(names)}"
    )
    for name, actions in expected_policies.items():
        assert actions == sorted(set(actions)), f"policies.json: {name}'s actions must be sorted, unique"

    problems = []
    for name, logical_id in sorted(names.items()):
        properties = functions[logical_id]["Properties"]
        if "Role" in properties:
            problems.append(f"{logical_id}: an explicit Role bypasses the checked Policies")
        granted: set[str] = set()
        for policy in as_list(properties.get("Policies", [])):
            # Only inline statements: a managed policy or SAM policy template (a string, or
            # e.g. DynamoDBCrudPolicy) grants more, Scan included.
            if not isinstance(policy, dict) or set(policy) - {"Version", "Statement"}:
                problems.append(f"{logical_id}: policy {policy!r} is not an inline statement list")
                continue
            for statement in as_list(policy["Statement"]):
                if statement.get("Effect") != "Allow" or not {"Action", "Resource"} <= statement.keys():
                    problems.append(f"{logical_id}: {statement!r} must Allow an Action on a Resource")
                granted.update(as_list(statement.get("Action", [])))
        if sorted(granted) != expected_policies[name]:
            problems.append(
                f"{logical_id} ({name}): grants {sorted(granted)}, "
                f"policies.json says {expected_policies[name]}"
            )
    assert not problems, "\n".join(problems)


def test_the_bucket_name_is_the_one_the_functions_are_granted(template: dict) -> None:
    bucket = template["Resources"][BUCKET_ID]["Properties"]
    assert bucket["BucketName"] == BUCKET_NAME
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["BUCKET_NAME"] == BUCKET_NAME


def test_function_policies_name_only_the_table_and_its_indexes(template: dict) -> None:
    problems = []
    for logical_id, function in functions_of(template).items():
        for statement in statements(function):
            for key in ("NotAction", "NotResource", "NotPrincipal"):
                if key in statement:
                    problems.append(f"{logical_id}: {key} is not allowed ({statement!r})")
            actions = as_list(statement.get("Action", []))
            for resource in as_list(statement.get("Resource", [])):
                if resource == BUS_ARN:
                    if set(actions) != {"events:PutEvents"}:
                        problems.append(f"{logical_id}: {actions} granted on the event bus")
                    continue
                if "events:PutEvents" in actions:
                    problems.append(f"{logical_id}: events:PutEvents on {resource!r}")
                    continue
                if resource in (IDENTITY_ARN, CONFIGURATION_SET_ARN):
                    # Sending, by the one function that sends, and nothing else SES offers.
                    if set(actions) != {"ses:SendEmail"} or logical_id != SENDING_FUNCTION:
                        problems.append(f"{logical_id}: {actions} granted on {resource!r}")
                    continue
                if any(action.startswith("ses:") for action in actions):
                    problems.append(f"{logical_id}: SES actions on {resource!r}")
                    continue
                if resource == WEBHOOK_QUEUE_ARN:
                    if set(actions) - SQS_ACTIONS:
                        problems.append(f"{logical_id}: {actions} granted on the webhook queue")
                    continue
                if resource == DATA_JOB_QUEUE_ARN:
                    if set(actions) != {"sqs:SendMessage"}:
                        problems.append(f"{logical_id}: {actions} granted on the data jobs' queue")
                    continue
                if set(actions) & SQS_ACTIONS:
                    problems.append(f"{logical_id}: SQS actions on {resource!r}")
                    continue
                if resource in (OBJECTS_ARN, EXPORTS_ARN):
                    # Objects take only the object actions; nothing bucket-wide.
                    if set(actions) - S3_ACTIONS:
                        problems.append(f"{logical_id}: {actions} granted on the objects {resource!r}")
                    continue
                if resource == BUCKET_ARN:
                    if set(actions) != {"s3:ListBucket"} or logical_id not in LISTING_FUNCTIONS:
                        problems.append(f"{logical_id}: {actions} granted on the bucket")
                    continue
                if resource == INBOUND_ARN:
                    # The raw mail: read and removed by on-email-received only; only SES writes it.
                    if set(actions) - INBOUND_ACTIONS or logical_id != INBOUND_FUNCTION:
                        problems.append(f"{logical_id}: {actions} granted on the raw mail {resource!r}")
                    continue
                if set(actions) & S3_ACTIONS:
                    problems.append(f"{logical_id}: S3 actions on {resource!r}")
                    continue
                if resource == TABLE_ARN:
                    continue
                if resource == INDEXES_ARN:
                    # Indexes serve Query (and Scan, which is never granted); nothing else.
                    if set(actions) - {"dynamodb:Query"}:
                        problems.append(f"{logical_id}: {actions} granted on the indexes")
                    continue
                problems.append(
                    f"{logical_id}: resource {resource!r} is none of the table ({TABLE_ARN}), its "
                    f"indexes ({INDEXES_ARN}), the bucket's prefixes, the bus, the queues and the "
                    "desk's SES identity and configuration set"
                )
    assert not problems, "\n".join(problems)


def test_no_wildcard_or_scan_permissions_anywhere(template: dict, template_text: str) -> None:
    problems = []
    for logical_id, function in functions_of(template).items():
        for statement in statements(function):
            for action in as_list(statement.get("Action", [])):
                if not isinstance(action, str) or "*" in action or "?" in action:
                    problems.append(f"{logical_id}: wildcard action {action!r}")
                elif not (
                    re.fullmatch(r"dynamodb:[A-Z][A-Za-z]+", action)
                    or action in S3_ACTIONS
                    or (action == "s3:ListBucket" and logical_id in LISTING_FUNCTIONS)
                    or action == "events:PutEvents"
                    or action in SQS_ACTIONS
                    or (action == "ses:SendEmail" and logical_id == SENDING_FUNCTION)
                ):
                    problems.append(
                        f"{logical_id}: an action outside DynamoDB, the object actions, the "
                        f"queues', the bus's and sending mail (send-notifications): {action!r}"
                    )
            for resource in as_list(statement.get("Resource", [])):
                if resource == "*" or (isinstance(resource, str) and resource.endswith(":*")):
                    problems.append(f"{logical_id}: wildcard resource {resource!r}")
    assert not problems, "\n".join(problems)
    assert not re.search(r"dynamodb:\*", template_text), "dynamodb:* in template.yaml"
    assert not re.search(r"dynamodb:Scan", template_text, re.IGNORECASE), "Scan granted in template.yaml"
    assert not re.search(r"DynamoDB(Crud|Read|Write)Policy", template_text), (
        "SAM DynamoDB policy templates grant Scan and more"
    )


# --------------------------------------------------------------------------------------------
# Running it: tracing, logs, alarms, failure paths, limits, browsers


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def refs(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref, GetAtt, and ${...} in Sub)."""
    found = set()
    for item in walk(value):
        if isinstance(item, dict):
            if "Ref" in item and isinstance(item["Ref"], str):
                found.add(item["Ref"])
            if "Fn::GetAtt" in item:
                target = item["Fn::GetAtt"]
                found.add(target[0] if isinstance(target, list) else target.split(".")[0])
    return found


def test_every_function_is_traced_keeps_its_logs_a_while_and_has_an_alarm(template: dict) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Tracing"] == "Active"
    log_groups = resources_of(template, "AWS::Logs::LogGroup")
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    for name, function in functions_of(template).items():
        properties = function["Properties"]
        assert properties.get("Tracing", "Active") == "Active", name
        group = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        watching = [a for a, alarm in alarms.items() if name in refs(alarm["Properties"])]
        assert watching, f"no alarm watches {name}"
        for alarm in watching:
            assert alarms[alarm]["Properties"]["AlarmActions"], alarm


def test_the_api_is_throttled_logs_access_and_answers_browsers(template: dict) -> None:
    api = template["Resources"][API_ID]["Properties"]
    assert api["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }
    cors = api["CorsConfiguration"]
    assert cors["AllowOrigins"] == {"Ref": "AllowedOrigins"}
    assert {"authorization", "content-type", "if-match", "idempotency-key"} <= set(cors["AllowHeaders"])
    assert {"etag", "location", "retry-after"} <= set(cors["ExposeHeaders"])
    access = api["AccessLogSettings"]
    assert refs(access["DestinationArn"]) == {"ApiAccessLogs"}
    # Access logs name the route and caller, never a header, query string or body.
    for unsafe in ("header", "querystring", "body", "authorization"):
        assert unsafe not in access["Format"].lower()
    bucket = template["Resources"]["AttachmentsBucket"]["Properties"]
    rule = bucket["CorsConfiguration"]["CorsRules"][0]
    assert rule["AllowedOrigins"] == {"Ref": "AllowedOrigins"}
    assert set(rule["AllowedMethods"]) == {"PUT", "GET"}


def test_every_asynchronous_trigger_and_queue_has_somewhere_to_give_up_to(template: dict) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    failure_queues = set()
    for name, function in functions_of(template).items():
        properties = function["Properties"]
        for event_name, event in properties.get("Events", {}).items():
            kind = event["Type"]
            if kind in ("S3", "Schedule"):  # invoked asynchronously
                destination = properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
                assert destination["Type"] == "SQS", name
                failure_queues |= refs(destination["Destination"])
            elif kind == "DynamoDB":
                failure_queues |= refs(event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
            elif kind == "SQS":
                (queue,) = refs(event["Properties"]["Queue"])
                redrive = queues[queue]["Properties"]["RedrivePolicy"]
                failure_queues |= refs(redrive["deadLetterTargetArn"])
    assert failure_queues, "no failure queue found"
    alarmed = set()
    for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values():
        alarmed |= refs(alarm["Properties"].get("Dimensions", []))
    assert failure_queues <= alarmed, f"failure queues without an alarm: {failure_queues - alarmed}"
    # Every queue that is not a failure queue is read by a trigger that has one.
    for name, queue in queues.items():
        assert name in failure_queues or "RedrivePolicy" in queue["Properties"], name


def test_the_bucket_refuses_plain_http_in_its_one_policy(template: dict) -> None:
    policies = resources_of(template, "AWS::S3::BucketPolicy")
    assert list(policies) == ["AttachmentsBucketPolicy"], "one policy for the bucket"
    statements = policies["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"


def test_reserved_concurrency_is_off_unless_asked_for(template: dict) -> None:
    assert template["Parameters"]["ReservedConcurrency"]["Default"] == 0
    assert template["Globals"]["Function"]["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }


# --------------------------------------------------------------------------------------------
# E-mail: what SES may write, who reads it, who sends, and what the stack leaves to its owner


def event_sources(template: dict, kind: str) -> dict[str, list[dict]]:
    """Function -> the properties of its events of one kind."""
    return {
        logical_id: [e["Properties"] for e in function["Properties"].get("Events", {}).values() if e["Type"] == kind]
        for logical_id, function in functions_of(template).items()
    }


def depends_on(resource: dict) -> set[str]:
    return set(as_list(resource.get("DependsOn", [])))


def test_the_desk_address_is_an_address_whose_plus_forms_are_the_reply_addresses(template: dict) -> None:
    parameters = template["Parameters"]
    desk = re.compile(parameters["DeskAddress"]["AllowedPattern"])
    assert desk.fullmatch(parameters["DeskAddress"]["Default"])
    assert desk.fullmatch("help@desk.example.co.uk")
    # Its plus addresses carry the reply tokens: the desk's own address has none.
    for refused in ("support+x@example.com", "support", "support@localhost", "a b@example.com", ""):
        assert not desk.fullmatch(refused), refused
    agents = re.compile(parameters["NotifyAgentsAddress"]["AllowedPattern"])
    assert parameters["NotifyAgentsAddress"]["Default"] == ""
    assert agents.fullmatch("") and agents.fullmatch("agents@example.com")
    assert not agents.fullmatch("agents")


def test_only_on_email_received_is_told_of_and_reads_the_raw_mail(template: dict) -> None:
    prefixes = {}
    for logical_id, events in event_sources(template, "S3").items():
        for properties in events:
            assert properties["Bucket"] == {"Ref": BUCKET_ID}, logical_id
            (rule,) = properties["Filter"]["S3Key"]["Rules"]
            assert rule["Name"] == "prefix", logical_id
            prefixes.setdefault(logical_id, []).append(rule["Value"])
    # Uploads and raw mail are told to different functions; neither prefix holds the other.
    assert prefixes == {"OnAttachmentUploadedFunction": ["tickets/"], INBOUND_FUNCTION: ["inbound/"]}
    readers = {}
    for logical_id, function in functions_of(template).items():
        for statement in statements(function):
            if INBOUND_ARN in as_list(statement["Resource"]):
                readers.setdefault(logical_id, set()).update(as_list(statement["Action"]))
    assert readers == {INBOUND_FUNCTION: INBOUND_ACTIONS}
    # What it makes of the mail goes under its ticket, as an upload's file would; a reply's
    # file whose ticket closed before it could be attached is deleted again. It reads nothing
    # there.
    written = {
        action
        for statement in statements(functions_of(template)[INBOUND_FUNCTION])
        if OBJECTS_ARN in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    assert written == {"s3:DeleteObject", "s3:PutObject"}


def test_ses_may_only_add_mail_under_inbound_for_the_stacks_rule_set(template: dict) -> None:
    policy = template["Resources"]["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allowed) == 1, "SES's is the bucket policy's one Allow"
    (statement,) = allowed
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    assert as_list(statement["Action"]) == ["s3:PutObject"]
    assert as_list(statement["Resource"]) == [{"Fn::Sub": "${%s.Arn}/inbound/*" % BUCKET_ID}]
    assert not {"NotAction", "NotResource", "NotPrincipal"} & statement.keys()
    condition = statement["Condition"]
    assert condition.get("StringEquals") == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert condition.get("ArnLike") == {
        "aws:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
            "receipt-rule-set/${InboundRuleSet}:receipt-rule/*"
        }
    }


def test_the_receipt_rule_stores_the_desks_mail_under_inbound_once_ses_may_write_there(template: dict) -> None:
    assert list(resources_of(template, "AWS::SES::ReceiptRuleSet")) == ["InboundRuleSet"]
    rules = resources_of(template, "AWS::SES::ReceiptRule")
    assert list(rules) == ["InboundRule"]
    rule = rules["InboundRule"]
    # SES checks (and writes to) the bucket when the rule is created: the policy comes first.
    assert "AttachmentsBucketPolicy" in depends_on(rule)
    properties = rule["Properties"]
    assert properties["RuleSetName"] == {"Ref": "InboundRuleSet"}
    assert not properties.get("After"), "the rule set holds the one rule"
    body = properties["Rule"]
    assert body["Enabled"] is True  # SES's default is a disabled rule
    assert body["ScanEnabled"] is True  # the verdicts tickets-mail reads
    assert body["TlsPolicy"] == "Require"
    # The desk's address only (SES counts its plus addresses in), never the whole domain.
    assert body["Recipients"] == [{"Ref": "DeskAddress"}]
    assert body["Actions"] == [
        {"S3Action": {"BucketName": {"Ref": BUCKET_ID}, "ObjectKeyPrefix": "inbound/"}}
    ]
    assert not resources_of(template, "AWS::SES::ReceiptFilter")


def test_the_stack_never_activates_its_receipt_rule_set(template: dict) -> None:
    """An account has one active rule set per region; activating this one would silently stop
    whatever the active one did. The owner does it, with the command the outputs give."""
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        assert not kind.startswith("Custom::") and kind != "AWS::CloudFormation::CustomResource", logical_id
        for item in walk(resource):
            if isinstance(item, str):
                flat = item.replace("-", "").replace("_", "").lower()
                assert "setactivereceiptruleset" not in flat, f"{logical_id} activates a rule set"
    outputs = {name: output for name, output in template["Outputs"].items()}
    values = [output["Value"] for output in outputs.values()]
    assert {"Ref": "InboundRuleSet"} in values
    command = {
        "Fn::Sub": "aws ses set-active-receipt-rule-set --rule-set-name ${InboundRuleSet} --region ${AWS::Region}"
    }
    (name,) = [name for name, output in outputs.items() if output["Value"] == command]
    assert "replaces the account's active" in " ".join(outputs[name]["Description"].split())


def test_only_send_notifications_sends_and_only_as_the_desk_through_its_configuration_set(
    template: dict,
) -> None:
    resources = template["Resources"]
    identity = resources["MailIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    properties = identity["Properties"]
    assert properties["EmailIdentity"] == {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "DeskAddress"}]}]}
    assert properties["DkimAttributes"] == {"SigningEnabled": True}
    assert properties["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": "MailConfigurationSet"}}
    assert resources["MailConfigurationSet"]["Type"] == "AWS::SES::ConfigurationSet"

    senders = {}
    for logical_id, function in functions_of(template).items():
        for statement in statements(function):
            if any(action.startswith("ses:") for action in as_list(statement["Action"])):
                senders[logical_id] = (as_list(statement["Action"]), as_list(statement["Resource"]))
    assert senders == {SENDING_FUNCTION: (["ses:SendEmail"], [IDENTITY_ARN, CONFIGURATION_SET_ARN])}
    variables = functions_of(template)[SENDING_FUNCTION]["Properties"]["Environment"]["Variables"]
    assert variables["SES_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}
    assert variables["DESK_ADDRESS"] == {"Ref": "DeskAddress"}
    assert variables["NOTIFY_AGENTS_ADDRESS"] == {"Ref": "NotifyAgentsAddress"}
    assert variables["PUBLIC_URL"] == {"Fn::Sub": "https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}" % API_ID}

    # The DNS records to publish: the MX to SES's receiving endpoint and the three DKIM CNAMEs.
    outputs = template["Outputs"].values()
    (records,) = [o["Value"]["Fn::Sub"] for o in outputs if "MailIdentity" in refs_in_sub(o["Value"])]
    assert "MX 10 inbound-smtp.${AWS::Region}.amazonaws.com" in records
    for n in (1, 2, 3):
        assert f"${{MailIdentity.DkimDNSTokenName{n}}} CNAME ${{MailIdentity.DkimDNSTokenValue{n}}}" in records


def refs_in_sub(value: Any) -> set[str]:
    """Logical ids a plain Fn::Sub string names (${Id} and ${Id.Attribute})."""
    if not (isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str)):
        return set()
    return {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", value["Fn::Sub"])}


def test_bounces_and_complaints_of_the_stacks_mail_reach_the_notification_queue(template: dict) -> None:
    resources = template["Resources"]
    destination = resources["MailFeedbackDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    events = destination["EventDestination"]
    assert events["Enabled"] is True
    assert sorted(events["MatchingEventTypes"]) == ["bounce", "complaint"]
    # SES publishes to the default bus only.
    assert events["EventBridgeDestination"] == {
        "EventBusArn": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
    }
    feedback = resources["MailFeedbackRule"]["Properties"]
    assert feedback.get("EventBusName", "default") == "default"
    assert feedback["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Bounced", "Email Complaint Received"],
        # Another application's configuration set bounces are not the desk's to act on.
        "detail": {"mail": {"tags": {"ses:configuration-set": [{"Ref": "MailConfigurationSet"}]}}},
    }
    tickets = resources["NotificationEventsRule"]["Properties"]
    assert tickets["EventBusName"] == {"Ref": "TicketsEventBus"}
    assert tickets["EventPattern"]["source"] == ["support-tickets"]
    assert sorted(tickets["EventPattern"]["detail-type"]) == [
        "SupportTicket.Closed",
        "SupportTicket.Created",
        "SupportTicket.MessageAdded",
        "SupportTicket.Resolved",
    ]
    rule_arns = [{"Fn::GetAtt": ["NotificationEventsRule", "Arn"]}, {"Fn::GetAtt": ["MailFeedbackRule", "Arn"]}]
    for rule in (feedback, tickets):
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": ["NotificationQueue", "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["NotificationDeadLetterQueue", "Arn"]}}
    # Each queue takes messages from those two rules only.
    policies = {
        refs(policy["Properties"]["Queues"]).pop(): policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in resources_of(template, "AWS::SQS::QueuePolicy").values()
    }
    for queue in ("NotificationQueue", "NotificationDeadLetterQueue"):
        (statement,) = policies[queue]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert as_list(statement["Action"]) == ["sqs:SendMessage"]
        assert statement["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arns}}
    # send-notifications reads the queue in batches, reporting the messages that failed.
    (trigger,) = event_sources(template, "SQS")[SENDING_FUNCTION]
    assert trigger["Queue"] == {"Fn::GetAtt": ["NotificationQueue", "Arn"]}
    assert trigger["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = resources["NotificationQueue"]["Properties"]
    timeout = functions_of(template)[SENDING_FUNCTION]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5


def test_the_mail_signing_key_is_generated_and_given_only_to_the_functions_that_sign(
    template: dict, template_text: str
) -> None:
    secret = template["Resources"]["MailSigningSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert "SecretString" not in secret["Properties"], "the key is generated, never written down"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 64 and generated["ExcludePunctuation"] is True
    reference = {"Fn::Sub": "{{resolve:secretsmanager:${MailSigningSecret}:SecretString}}"}
    holders = {
        logical_id
        for logical_id, function in functions_of(template).items()
        if "MAIL_SIGNING_KEY" in function["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert holders == {INBOUND_FUNCTION, SENDING_FUNCTION, "UnsubscribeFunction"}
    for logical_id in holders:
        variables = functions_of(template)[logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["MAIL_SIGNING_KEY"] == reference, logical_id
    assert "MAIL_SIGNING_KEY" not in template["Globals"]["Function"]["Environment"]["Variables"]
    assert template_text.count("resolve:secretsmanager") == len(holders)


def test_refused_raw_mail_expires_and_nothing_else_of_a_ticket_does(template: dict) -> None:
    rules = template["Resources"][BUCKET_ID]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {rule.get("Prefix"): rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule}
    assert expiring == {"exports/": 7, "inbound/": 14}


# --------------------------------------------------------------------------------------------
# What `sam build` made of it (infra/test.sh builds it first and names the directory)

# ELF header: 64-bit, little endian, machine 0xB7 (AArch64).
AARCH64 = 0xB7


def test_sam_build_made_an_arm64_bootstrap_for_every_function(template: dict) -> None:
    built = os.environ.get("SAM_BUILD_DIR")
    if not built:
        pytest.skip("SAM_BUILD_DIR is not set: infra/test.sh runs `sam build` and sets it")
    for name in functions_of(template):
        bootstrap = Path(built) / name / "bootstrap"
        assert bootstrap.is_file(), f"sam build made no {bootstrap}"
        header = bootstrap.read_bytes()[:20]
        assert header[:4] == b"\x7fELF" and header[4] == 2, f"{bootstrap} is not a 64-bit ELF"
        assert int.from_bytes(header[18:20], "little") == AARCH64, f"{bootstrap} is not arm64"
