"""The local user pool (moto's Cognito), as the template's pool is in AWS: groups `agents` and
`admins` (the groups claim is where roles come from), and an app client that reads `email` and
`email_verified`. Used by bootstrap.py (creates the pool), the tests, the fuzzing and the scale
run; run as a script (through `infra/token`), it prints a token:

    infra/token USER ROLE [--email ADDRESS] [--endpoint URL] [--prefix PREFIX]

ROLE is client, agent or admin. On first use the user is created (with ADDRESS as its verified
e-mail) and, for agent and admin, added to the `agents` or `admins` group: the role comes from the
group, never from anything the user can write. A user keeps its first role. Defaults:
$MOTO_ENDPOINT and $STACK_PREFIX when set, else the run command's server (http://127.0.0.1:5005)
and names (support-tickets). Tokens last one hour.

Every moto pool signs with the same built-in key, so what tells pools apart is the issuer (the
pool) and the audience (the app client); the functions check both.
"""

import argparse
import json
import os
import sys
import urllib.request

import boto3

REGION = "us-east-1"
GROUPS = {"agent": "agents", "admin": "admins"}
ROLES = ("client", "agent", "admin")
# Local users only: moto keeps the password; nobody outside loopback reaches it.
PASSWORD = "Local-Passw0rd!"
# A custom attribute users may write themselves: proof that writing it grants nothing.
SELF_WRITABLE = "custom:role"


def client(endpoint: str):
    return boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def pool_name(prefix: str) -> str:
    return f"{prefix}-users"


def find_pool(cognito, prefix: str) -> tuple[str, str] | None:
    """(pool id, app client id) of PREFIX's pool, when it exists."""
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    for pool in pools:
        if pool["Name"] == pool_name(prefix):
            clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)
            for app in clients["UserPoolClients"]:
                if app["ClientName"] == f"{prefix}-api":
                    return pool["Id"], app["ClientId"]
    return None


def ensure_pool(endpoint: str, prefix: str) -> tuple[str, str]:
    """The pool, its groups and its app client; creates what is missing."""
    cognito = client(endpoint)
    found = find_pool(cognito, prefix)
    if found:
        return found
    pool = cognito.create_user_pool(
        PoolName=pool_name(prefix),
        Schema=[{"Name": "role", "AttributeDataType": "String", "Mutable": True}],
        AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    for group in GROUPS.values():
        cognito.create_group(UserPoolId=pool, GroupName=group)
    app = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=f"{prefix}-api",
        # The dashboard signs in from the browser with the user's password (USER_PASSWORD_AUTH),
        # as the template's app client allows; the tests sign in as an administrator.
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
        ReadAttributes=["email", "email_verified"],
        WriteAttributes=["email", SELF_WRITABLE],
    )["UserPoolClient"]["ClientId"]
    return pool, app


def issuer(pool: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool}"


def jwks(endpoint: str, pool: str) -> str:
    """The pool's public keys, as its issuer serves them (moto routes on the Host header)."""
    request = urllib.request.Request(
        f"{endpoint}/{pool}/.well-known/jwks.json",
        headers={"Host": f"cognito-idp.{REGION}.amazonaws.com"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.dumps(json.loads(response.read()), separators=(",", ":"))


def function_env(endpoint: str, prefix: str) -> dict[str, str]:
    """What the functions need to verify the pool's tokens themselves (local runs only)."""
    pool, app = ensure_pool(endpoint, prefix)
    return {
        "LOCAL_JWKS": jwks(endpoint, pool),
        "JWT_ISSUER": issuer(pool),
        "JWT_AUDIENCE": app,
        # Where the dashboard's browser signs in: the local pool (serve-pages reads the app
        # client from JWT_AUDIENCE).
        "PAGES_COGNITO_ENDPOINT": f"{endpoint}/",
    }


def ensure_user(endpoint: str, prefix: str, user: str, role: str, email: str | None = None) -> str:
    """Creates USER (with EMAIL) in ROLE's group on first use; returns its `sub`, the caller id
    the API knows it by. A user's group is set once: asking for another role is an error."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    cognito = client(endpoint)
    pool, _ = ensure_pool(endpoint, prefix)
    try:
        found = cognito.admin_get_user(UserPoolId=pool, Username=user)
    except cognito.exceptions.UserNotFoundException:
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=user,
            UserAttributes=attributes if email else [],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True
        )
        if role in GROUPS:
            cognito.admin_add_user_to_group(
                UserPoolId=pool, Username=user, GroupName=GROUPS[role]
            )
        found = cognito.admin_get_user(UserPoolId=pool, Username=user)
    groups = {
        g["GroupName"]
        for g in cognito.admin_list_groups_for_user(UserPoolId=pool, Username=user)["Groups"]
    }
    has = next((r for r, g in GROUPS.items() if g in groups), "client")
    if has != role:
        raise ValueError(f"user {user} exists as {has}, not {role}")
    return next(a["Value"] for a in found["UserAttributes"] if a["Name"] == "sub")


def sign_in(endpoint: str, prefix: str, user: str) -> dict:
    """The AuthenticationResult of USER's sign-in: IdToken, AccessToken, ..."""
    cognito = client(endpoint)
    pool, app = ensure_pool(endpoint, prefix)
    return cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=app,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]


def id_token(endpoint: str, prefix: str, user: str, role: str, email: str | None = None) -> str:
    """An ID token for USER in ROLE (created on first use), as a caller sends it."""
    ensure_user(endpoint, prefix, user, role, email)
    return sign_in(endpoint, prefix, user)["IdToken"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="infra/token", description="Prints an ID token of the local user pool.")
    parser.add_argument("user")
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--email")
    parser.add_argument("--endpoint", default=os.environ.get("MOTO_ENDPOINT", "http://127.0.0.1:5005"))
    parser.add_argument("--prefix", default=os.environ.get("STACK_PREFIX", "support-tickets"))
    args = parser.parse_args()
    try:
        print(id_token(args.endpoint, args.prefix, args.user, args.role, args.email))
    except ValueError as err:
        sys.exit(f"infra/token: {err}")


if __name__ == "__main__":
    main()
