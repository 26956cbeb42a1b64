"""The reference workload (docs/COST.md) replayed against the local stack, and its monthly bill.

The desk: 20 agents, 10,000 tickets a month. Each ticket, as replayed here through the HTTP API:
- its client opens it (a 1,000-character description, two tags) and attaches one 200 KB file
  (declared through the API, uploaded to the presigned URL, checked by the upload trigger);
- six messages of 400 characters, agent and client in turn (the first agent reply is the first
  response); before each agent reply the agent reads the first page of the open queue (20
  tickets, with counts by status) and the ticket; before each client message the client reads
  their ticket;
- the agent resolves it, and the client reads their list once;
- the stream consumer (run by the relay) writes its history and events on the way.
Closing by automation is left out of the replay (it needs days to pass); its hourly query is
added as 720 runs a month of what one empty run costs (docs/COST.md). So is the service-level
job's minute: 43,200 runs a month of one empty index query (half a read unit) each.

The webhook pipeline is paid by every desk, with or without webhooks (this one has none): each
ticket event the bus publishes is copied to the webhook queue and fanned out by
deliver-webhooks, whose read of the subscriptions the proxy counts. Its queue requests happen
inside the local server, so they are added here: per event the rule's `SendMessage`, a receive
and a delete (at this rate Lambda hardly batches: an upper bound), and one invocation; and the
queues' idle polling, for the ingestion and webhook queues alike: `SQS_IDLE_POLLS` long polls a
minute per queue (an assumption: a few pollers, each waiting up to 20 s).

The functions reach DynamoDB, S3 and EventBridge through the counting proxy
(`infra/local_proxy.py --bill`), which prices every request from the real items. The replay's
totals are scaled to 10,000 tickets and priced with infra/prices.json.

Beside it, the same workload on a naive layout, from the same items: one item per ticket holding
its thread and attachments (the ticket item, its messages and attachment records merged), every
write rewriting that item, every read a `GetItem` of it, and every list a `Scan` of the table
(eventually consistent) at a steady-state size of 12 months of tickets.

Usage (./infra/workload.sh starts the stack): python infra/workload.py API_URL PROXY_URL MOTO_URL PREFIX [--tickets N]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import boto3
import requests

sys.path.insert(0, str(Path(__file__).parent))
import billing  # noqa: E402
import identity  # noqa: E402

BASE = "/v2/support-tickets"
AGENTS = 20
TICKETS_PER_MONTH = 10_000
MONTHS_KEPT = 12
LAMBDA_MS = 20  # a warm invocation's billed duration assumed in AWS (docs/COST.md)
# Queue requests per ticket event on its way through the webhook queue (send, receive, delete).
SQS_PER_EVENT = 3
# Long polls a minute by an SQS trigger's pollers on an idle queue (assumed: 5 pollers, 20 s each).
SQS_IDLE_POLLS = 15
SQS_TRIGGERED_QUEUES = 2  # ingestion, webhooks
MINUTES_PER_MONTH = 43_200
PRICES = json.loads((Path(__file__).parent / "prices.json").read_text())


class Desk:
    def __init__(self, api: str, moto: str, prefix: str):
        self.api, self.moto, self.prefix = api, moto, prefix
        self.session = requests.Session()
        self.tokens: dict[str, str] = {}
        self.calls: Counter[str] = Counter()

    def token(self, user: str, role: str) -> str:
        if user not in self.tokens:
            self.tokens[user] = identity.id_token(self.moto, self.prefix, user, role)
        return self.tokens[user]

    def call(self, operation: str, method: str, path: str, user: tuple[str, str], expect: int, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {self.token(*user)}"}
        response = self.session.request(method, f"{self.api}{BASE}{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code != expect:
            raise SystemExit(f"{operation}: {response.status_code} {response.text[:300]}")
        self.calls[operation] += 1
        return response.json()

    def ticket(self, n: int) -> str:
        client = (f"workload-client-{n % 200}", "client")
        agent = (f"workload-agent-{n % AGENTS}", "agent")
        body = {
            "title": f"The export of invoices times out ({n})",
            "description": ("The export page spins and then fails. " * 30)[:1_000],
            "priority": ("low", "medium", "high", "urgent")[n % 4],
            "category": ("technical", "billing", "account", "feature_request", "general")[n % 5],
            "tags": ["export", f"customer-{n % 7}"],
        }
        ticket = self.call("create-ticket", "POST", "", client, 201, json=body)["data"]["_id"]
        data = b"x" * 200_000
        declared = self.call("create-attachment", "POST", f"/{ticket}/attachments", client, 201,
                             json={"filename": "export.log", "size": len(data), "type": "text/plain"})["data"]
        upload = declared["upload"]
        stored = self.session.request(upload["method"], upload["url"], headers=upload["headers"], data=data, timeout=60)
        if stored.status_code != 200:
            raise SystemExit(f"upload: {stored.status_code}")
        for message in range(6):
            text = {"message": (f"Message {message}: " + "we looked into it and " * 30)[:400]}
            if message % 2 == 0:
                self.call("list-tickets", "GET", "", agent, 200, params={"status": "open", "countByStatus": "true"})
                self.call("get-ticket", "GET", f"/{ticket}", agent, 200)
                self.call("add-thread-message", "POST", f"/{ticket}/threads", agent, 201, json=text)
            else:
                self.call("get-ticket", "GET", f"/{ticket}", client, 200)
                self.call("add-thread-message", "POST", f"/{ticket}/threads", client, 201, json=text)
        self.call("update-ticket", "PATCH", f"/{ticket}", agent, 200,
                  json={"status": "resolved", "resolution": "Fixed in the export service."})
        self.call("list-tickets", "GET", "", client, 200)
        return ticket


def take(proxy: str) -> list[dict]:
    return requests.get(f"{proxy}/__bench/take", timeout=120).json()


def bill(records: list[dict]) -> dict:
    """Units and requests of a set of proxy records."""
    out = Counter()
    for r in records:
        if r.get("service") == "dynamodb":
            out["rru"] += r.get("rru", 0)
            out["wru"] += r.get("wru", 0) + sum(r.get("wru_index", {}).values())
            out["wru_index"] += sum(r.get("wru_index", {}).values())
        elif r.get("service") == "s3":
            out["s3_a" if r["op"] in ("PUT", "POST") else "s3_b" if r["op"] in ("GET", "HEAD") else "s3_free"] += 1
        elif r.get("op") == "PutEvents":
            out["events"] += r.get("entries", 0)
    return out


def price(units: dict) -> dict:
    p = PRICES
    return {
        "DynamoDB reads": units["rru"] * p["dynamodb_read_request_unit"],
        "DynamoDB writes": units["wru"] * p["dynamodb_write_request_unit"],
        "S3 requests": units["s3_a"] * p["s3_put_copy_post_list_request"] + units["s3_b"] * p["s3_get_head_request"],
        "EventBridge": units["events"] * p["eventbridge_custom_event"],
        "Lambda": units["invocations"] * (p["lambda_request"] + 0.125 * LAMBDA_MS / 1000 * p["lambda_arm64_gb_second"]),
        "HTTP API": units["api"] * p["http_api_request"],
        "SQS": units["sqs"] * p["sqs_standard_request"],
    }


def naive(moto: str, prefix: str, tickets: list[str], calls: Counter) -> dict:
    """The same workload on one item per ticket (thread and attachments inside), lists by Scan."""
    dynamodb = boto3.client("dynamodb", endpoint_url=moto, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    sizes = []
    for ticket in tickets:
        items = dynamodb.query(TableName=prefix, KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": f"TICKET#{ticket}"}})["Items"]
        merged = {}
        for item in items:
            merged.update({f"{item['sk']['S']}.{k}": v for k, v in item.items() if k not in ("pk", "sk")})
        sizes.append(billing.item_size(merged))
    final = sum(sizes) / len(sizes)
    per_ticket_writes = calls["create-ticket"] + calls["create-attachment"] + calls["add-thread-message"] + calls["update-ticket"]
    per_ticket_writes /= len(tickets)
    # each write rewrites the item as it is at that point: on average half way to its final size
    wru = per_ticket_writes * billing.write_units(int(final * 0.6))
    reads = (calls["get-ticket"] / len(tickets)) * billing.get_cost({"x": {"S": "x" * int(final * 0.6)}}, consistent=True)
    table_bytes = final * TICKETS_PER_MONTH * MONTHS_KEPT
    lists = calls["list-tickets"] / len(tickets)
    scan = billing.read_units(int(table_bytes), consistent=False)
    return {"item_bytes": final, "wru": wru, "rru": reads + lists * scan, "scan_rru": scan,
            "scan_requests": math.ceil(table_bytes / (1024 * 1024))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("api")
    parser.add_argument("proxy")
    parser.add_argument("moto")
    parser.add_argument("prefix")
    parser.add_argument("--tickets", type=int, default=100)
    args = parser.parse_args()
    desk = Desk(args.api, args.moto, args.prefix)
    for user in [f"workload-agent-{n}" for n in range(AGENTS)]:
        desk.token(user, "agent")
    take(args.proxy)
    started = time.monotonic()
    tickets = [desk.ticket(n) for n in range(args.tickets)]
    time.sleep(5)  # the relay runs the stream consumer and the upload check on the last writes
    records = take(args.proxy)
    units = bill(records)
    scale = TICKETS_PER_MONTH / args.tickets
    api_calls = sum(desk.calls.values())
    units["api"] = api_calls
    # one invocation per API call, one upload check per file, the stream consumer about once
    # per write (AWS batches more when busy: an upper bound)
    writes = sum(desk.calls[op] for op in ("create-ticket", "create-attachment", "add-thread-message", "update-ticket"))
    # deliver-webhooks: about one invocation and three queue requests per event
    units["invocations"] = api_calls + args.tickets + writes + units["events"]
    units["sqs"] = units["events"] * SQS_PER_EVENT
    month = {k: v * scale for k, v in units.items()}
    month["sqs"] += SQS_TRIGGERED_QUEUES * SQS_IDLE_POLLS * MINUTES_PER_MONTH
    bill_month = price(month)
    scheduled_runs = 720 + 43_200
    bill_month["Lambda"] += scheduled_runs * (PRICES["lambda_request"] + 0.125 * LAMBDA_MS / 1000 * PRICES["lambda_arm64_gb_second"])
    bill_month["DynamoDB reads"] += 43_200 * 0.5 * PRICES["dynamodb_read_request_unit"]
    total = sum(bill_month.values())

    n = naive(args.moto, args.prefix, tickets, desk.calls)
    naive_month = {
        "DynamoDB reads": n["rru"] * TICKETS_PER_MONTH * PRICES["dynamodb_read_request_unit"],
        "DynamoDB writes": n["wru"] * TICKETS_PER_MONTH * PRICES["dynamodb_write_request_unit"],
    }
    print(f"## Reference workload: {TICKETS_PER_MONTH:,} tickets a month, {AGENTS} agents "
          f"(replayed: {args.tickets} tickets, {api_calls} API calls, {time.monotonic() - started:.0f} s; "
          f"prices of {PRICES['date']})\n")
    print("| per month | this layout | naive layout (one item per ticket, lists by Scan) |\n|---|---:|---:|")
    print(f"| DynamoDB read units | {month['rru']:,.0f} | {n['rru'] * TICKETS_PER_MONTH:,.0f} |")
    print(f"| DynamoDB write units (of which indexes) | {month['wru']:,.0f} ({month['wru_index']:,.0f}) | "
          f"{n['wru'] * TICKETS_PER_MONTH:,.0f} (0) |")
    for name, value in bill_month.items():
        other = naive_month.get(name)
        print(f"| {name} | ${value:,.2f} | {'$' + format(other, ',.2f') if other is not None else 'same'} |")
    naive_total = total - bill_month["DynamoDB reads"] - bill_month["DynamoDB writes"] + sum(naive_month.values())
    print(f"| **total per month** | **${total:,.2f}** | **${naive_total:,.2f}** |")
    print(f"| per 1,000 tickets | ${total / TICKETS_PER_MONTH * 1000:,.2f} | ${naive_total / TICKETS_PER_MONTH * 1000:,.2f} |")
    print(f"\nPer ticket, this layout: {units['rru'] / args.tickets:.1f} RRU, {units['wru'] / args.tickets:.1f} WRU "
          f"({units['wru_index'] / args.tickets:.1f} of them index writes). Naive: a ticket item of "
          f"{n['item_bytes']:,.0f} bytes at the end; each list a Scan of {MONTHS_KEPT} months of tickets: "
          f"{n['scan_rru']:,.0f} RRU in {n['scan_requests']:,} requests of 1 MB.")


if __name__ == "__main__":
    main()
