"""The pages in a real browser: Debian's chromium, headless, driven by Playwright. `/docs` lists
every operation of the reference and its "try it" creates a ticket through the API that serves
it; `/dashboard` signs an agent in through the user pool (Cognito's InitiateAuth, moto's
locally), and each chart shows exactly the API's series; its CSV download holds the same rows;
a client who signs in gets the API's refusal. Screenshots of both pages are written to
$SCREENSHOTS (default .local/screenshots) for a reviewer to look at."""

import csv
import io
import os
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, sync_playwright

from .conftest import PREFIX, eventually, identity, moto_endpoint, token

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS", ROOT / ".local" / "screenshots"))
# What the machine's closed network needs (every start would otherwise reach for Google's hosts).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("no chromium: infra/test.sh installs Debian's package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, api_url) -> Page:
    context = browser.new_context(base_url=api_url, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    # What a test expects the browser to report (a refusal it provokes) it removes from here.
    page.seen_errors = errors
    yield page
    context.close()
    # A script error, or content the page's policy refused, is a defect.
    assert not errors, errors


def operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    verbs = {"get", "put", "post", "patch", "delete"}
    # The paths' operations, and the webhooks' (what a subscribed URL receives), which the
    # reference lists by name.
    return [
        (verb.upper(), path)
        for section in ("paths", "webhooks")
        for path, item in spec.get(section, {}).items()
        for verb in item
        if verb in verbs
    ]


def test_the_reference_lists_every_operation_and_tries_one(page, api_url, ids):
    page.goto("/docs")
    page.wait_for_selector(".opblock")
    listed = page.eval_on_selector_all(
        ".opblock",
        "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent,"
        " b.querySelector('.opblock-summary-path').getAttribute('data-path')])",
    )
    assert sorted(map(tuple, listed)) == sorted(operations())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs.png"), full_page=False)

    # Authorize with a client's token, then try POST /v2/support-tickets.
    page.click("button.authorize")
    page.fill(".auth-container input[type=text]", ids.token("client"))
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")
    operation = page.locator(".opblock-post", has=page.locator("[data-path='/v2/support-tickets']")).first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    body = '{"title": "Tried from the reference", "description": "Sent by the docs page.", "priority": "low", "category": "general"}'
    operation.locator("textarea.body-param__text").fill(body)
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("201"), status.inner_text()
    answer = operation.locator(".live-responses-table .microlight").first.inner_text()
    created = __import__("json").loads(answer)["data"]
    # The ticket is real: its client reads it through the API.
    import requests

    got = requests.get(
        f"{api_url}/v2/support-tickets/{created['_id']}",
        headers={"Authorization": f"Bearer {ids.token('client')}"},
        timeout=30,
    )
    assert got.status_code == 200 and got.json()["data"]["title"] == "Tried from the reference"
    page.screenshot(path=str(SCREENSHOTS / "docs-try-it.png"), full_page=False)


def sign_in(page: Page, user: str, role: str) -> None:
    identity.ensure_user(moto_endpoint(), PREFIX, user, role, f"{user}@example.com")
    page.goto("/dashboard")
    page.wait_for_selector("body[data-ready]")
    page.fill("#password-form [name=username]", user)
    page.fill("#password-form [name=password]", identity.PASSWORD)
    page.click("#password-form button[type=submit]")


def api_report(api_url: str, bearer: str, **params) -> list[dict]:
    import requests

    answer = requests.get(f"{api_url}/v2/reports", params=params, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def datasets(page: Page, canvas: str) -> dict[str, list]:
    return page.evaluate(
        "id => Object.fromEntries(Chart.getChart(id).data.datasets.map(d => [d.label, d.data]))", canvas
    )


def test_the_dashboard_charts_the_api_s_series(page, api_url, client, agent, ids):
    today = datetime.now(timezone.utc).date()
    period = {"from": str(today - timedelta(days=6)), "to": str(today), "interval": "day"}
    bearer = token(ids.user("agent"), "agent")
    totals = lambda: api_report(api_url, bearer, **period, groupBy="none")["totals"]  # noqa: E731
    before = totals()
    # A seeded day: tickets answered, resolved and rated, so every chart has something to show.
    for n in range(3):
        ticket = client.create(title=f"Dashboard {n}")
        assert agent.request("POST", f"/{ticket['_id']}/threads", json={"message": "On it."}).status_code == 201
        resolved = agent.request("PATCH", f"/{ticket['_id']}", json={"status": "resolved", "resolution": "Done", "assignedTo": ids["agent"]})
        assert resolved.status_code == 200, resolved.text
        assert client.request("PUT", f"/{ticket['_id']}/satisfaction", json={"rating": "good" if n else "bad"}).status_code == 200
    # The reports follow the events a moment later: the page is read once every seeded event has
    # landed and the numbers stand still (a straggler from an earlier test would move one chart).
    def landed():
        now = totals()
        return (
            now["created"] >= before["created"] + 3
            and now["resolved"] >= before["resolved"] + 3
            and now["satisfaction"]["good"] >= before["satisfaction"]["good"] + 2
            and now["satisfaction"]["bad"] >= before["satisfaction"]["bad"] + 1
        )

    assert eventually(landed, 60)

    def standing_still():
        first = totals()
        time.sleep(1)
        return first == totals()

    assert eventually(standing_still, 60)

    sign_in(page, ids.user("agent"), "agent")
    page.wait_for_selector("body[data-shown]")
    page.fill("#query [name=from]", period["from"])
    page.fill("#query [name=to]", period["to"])
    page.select_option("#query [name=groupBy]", "agent")
    page.click("#query button[type=submit]")
    page.wait_for_selector(f"body[data-shown='{period['from']}/{period['to']}/day/agent']")

    overall = api_report(api_url, bearer, **period, groupBy="none")["series"]
    column = lambda pick: [pick(row) for row in overall]  # noqa: E731
    assert datasets(page, "volumes") == {
        "Created": column(lambda r: r["created"]),
        "Resolved": column(lambda r: r["resolved"]),
        "Closed": column(lambda r: r["closed"]),
        "Reopened": column(lambda r: r["reopened"]),
        "Backlog": column(lambda r: r["backlog"]),
    }
    assert datasets(page, "times") == {
        "First response, median": column(lambda r: r["firstResponseMinutes"]["median"]),
        "First response, p90": column(lambda r: r["firstResponseMinutes"]["p90"]),
        "Resolution, median": column(lambda r: r["resolutionMinutes"]["median"]),
        "Resolution, p90": column(lambda r: r["resolutionMinutes"]["p90"]),
    }
    assert datasets(page, "sla") == {"Met": column(lambda r: r["sla"]["met"]), "Breached": column(lambda r: r["sla"]["breached"])}
    assert datasets(page, "satisfaction") == {
        "Good": column(lambda r: r["satisfaction"]["good"]),
        "Bad": column(lambda r: r["satisfaction"]["bad"]),
    }
    assert sum(datasets(page, "satisfaction")["Bad"]) >= 1
    grouped = api_report(api_url, bearer, **period, groupBy="agent")["series"]
    by_group = {}
    for row in grouped:
        by_group.setdefault(row["group"] if row["group"] is not None else "(no agent)", []).append(row["created"])
    assert datasets(page, "groups") == by_group
    assert page.locator("#rows tbody tr").count() == len(grouped)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    # The CSV the page downloads holds the API's rows.
    with page.expect_download() as download:
        page.click("#csv")
    lines = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(l["period"], l["group"], int(l["created"]), int(l["backlog"])) for l in lines] == [
        (r["period"], r["group"] or "", r["created"], r["backlog"]) for r in grouped
    ]


def test_a_client_who_signs_in_gets_the_refusal(page, ids):
    sign_in(page, ids.user("client"), "client")
    message = page.locator("#message")
    message.wait_for()
    assert "only agents and admins read reports" in message.inner_text()
    # The browser reports the refused request; that is the one error expected.
    page.seen_errors.remove("Failed to load resource: the server responded with a status of 403 (Forbidden)")
    assert page.locator("#volumes").is_visible() is False or not page.evaluate("Chart.getChart('volumes')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-client.png"), full_page=False)
