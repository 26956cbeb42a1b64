"""The README's examples, run as printed against the local API (only the address differs; the
token tool is pointed at the test stack's user pool through its environment)."""

import json
import os
import re
import subprocess
from pathlib import Path

from .conftest import PREFIX, moto_endpoint

README = Path(__file__).resolve().parents[2] / "README.md"


def examples(name: str = "examples") -> str:
    text = README.read_text()
    block = re.search(rf"<!-- {name}:start -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->", text, re.S)
    assert block, f"README.md has no {name} block"
    return block.group(1)


def run_as_printed(script: str, timeout: int) -> subprocess.CompletedProcess:
    # The local tools find the test stack's server and names through the environment.
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=timeout,
        cwd=README.parent, env={**os.environ, "STACK_PREFIX": PREFIX, "MOTO_ENDPOINT": moto_endpoint()},
    )


def test_the_readme_curl_examples_work_as_printed(api_url):
    run = run_as_printed(examples().replace("http://127.0.0.1:9000", api_url), 120)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    successes = [line for line in lines if line.startswith('{"success":true')]
    # create, read, list, two updates, two messages, the thread, delete, restore, history
    assert len(successes) == 11, run.stdout
    thread = next(line for line in lines if line.startswith('{"success":true,"data":[{"_id"') and "It happens again" in line)
    assert "load balancer" not in thread
    assert '"status":"resolved"' in run.stdout
    assert '"code":"NOT_FOUND"' in lines[2], run.stdout
    assert '"code":"INVALID_PARAMETERS"' in lines[-1], run.stdout


def test_the_readme_mail_walkthrough_works_as_printed(api_url, ids):
    # Erin is new to the desk, as the walkthrough has her, at every run on the same stack; the
    # pauses wait for the relay and the functions behind it, longer on a loaded machine.
    script = (
        examples("mail-examples")
        .replace("http://127.0.0.1:9000", api_url)
        .replace("erin@example.org", f"erin-{ids.run}@example.org")
        .replace("infra/token erin ", f"infra/token erin-{ids.run} ")
    )
    script = re.sub(r"^sleep (\d+)$", lambda m: f"sleep {int(m.group(1)) * 4}", script, flags=re.M)
    run = run_as_printed(script, 300)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    out = run.stdout
    # The delivered message's id, then the receipt and the agents' notice, as `sent` prints them.
    told = {tuple(mail["to"]): mail["subject"] for mail in map(json.loads, lines[1:3])}
    assert set(told) == {(f"erin-{ids.run}@example.org",), ("agents@desk.example",)}, out
    assert all("floor 3" in subject for subject in told.values()), out
    answer = lines.index(next(line for line in lines if "Please use the left tray" in line and line.startswith('{"success":true,"data":{')))
    # Her notice: its subject, its Reply-To, then its text (the answer among its lines).
    subject, reply_to, *text = lines[answer + 1 : answer + 6]
    assert "floor 3" in subject and reply_to.startswith("support+") and reply_to.endswith("@desk.example"), out
    assert "Please use the left tray while we order a new roller." in text, out
    thread = next(line for line in lines if "Thanks, the left tray works." in line and line.startswith('{"success":true,"data":['))
    assert "On Tue, 1 Dec 2026" not in thread, out
    # Unsubscribed; then signed in: the first call starts the move, and a moment later her
    # ticket is in her list and her choice came with her.
    first, mine, settled = (json.loads(line) for line in lines[-3:])
    assert first["data"]["address"] is None, out
    assert [t["title"] for t in mine["data"]] == ["The printer on floor 3 jams"], out
    assert settled["data"] == {"address": f"erin-{ids.run}@example.org", "email": False}, out
