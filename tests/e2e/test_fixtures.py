"""`cargo lambda invoke <function> --data-file events/<function>.json` works for every function,
against the running local stack."""

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists())


def test_every_function_has_a_fixture():
    fixtures = sorted(p.stem for p in (ROOT / "events").glob("*.json"))
    assert fixtures == FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_cargo_lambda_invoke_runs_the_function_with_its_fixture(api_url, function):
    cargo_lambda = Path(sys.executable).parent / "cargo-lambda"
    run = subprocess.run(
        [
            str(cargo_lambda), "lambda", "invoke", function,
            "--data-file", str(ROOT / "events" / f"{function}.json"),
            "--invoke-address", "127.0.0.1", "--invoke-port", str(urlparse(api_url).port),
        ],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert "errorMessage" not in run.stdout, run.stdout
