"""The README's examples, run as printed against the local API (only the address differs; the
token tool is pointed at the test stack's user pool through its environment)."""

import os
import re
import subprocess
from pathlib import Path

from .conftest import PREFIX

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> str:
    text = README.read_text()
    block = re.search(r"<!-- examples:start -->\s*```bash\n(.*?)```\s*<!-- examples:end -->", text, re.S)
    assert block, "README.md has no examples block"
    return block.group(1)


def test_the_readme_curl_examples_work_as_printed(api_url):
    script = examples().replace("http://127.0.0.1:9000", api_url)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120,
        cwd=README.parent, env={**os.environ, "STACK_PREFIX": PREFIX},
    )
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
