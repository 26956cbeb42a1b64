"""The code's layout rules that no compiler checks: the domain crate stays pure and free of
module cycles, and the environment is read in one module only (clippy enforces it for Rust;
this test makes sure the rule itself stays configured)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "shared" / "domain"


def module_edges() -> dict[str, set[str]]:
    """Module -> the domain modules it names through `crate::` (tests included: a cycle through
    a test module is still a cycle)."""
    modules = {path.stem for path in (DOMAIN / "src").glob("*.rs")} - {"lib"}
    edges = {}
    for module in modules:
        text = (DOMAIN / "src" / f"{module}.rs").read_text()
        named = set(re.findall(r"crate::([a-z_]+)", text)) & modules
        edges[module] = named - {module, "testing"}
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_domain_modules_form_no_cycle() -> None:
    edges = module_edges()
    assert "access" in edges and edges["access"], "the module graph was read"
    assert cycle(edges) is None, f"module cycle: {' -> '.join(cycle(edges))}"


def test_the_domain_has_no_aws_lambda_or_http_dependency() -> None:
    manifest = tomllib.loads((DOMAIN / "Cargo.toml").read_text())
    dependencies = set(manifest.get("dependencies", {}))
    forbidden = {d for d in dependencies if re.match(r"aws|lambda|tickets-(http|dynamodb|s3|events|lambda|webhooks)|hyper|http|reqwest", d)}
    assert not forbidden, forbidden


def test_the_environment_is_read_in_one_module() -> None:
    clippy = tomllib.loads((ROOT / "clippy.toml").read_text())
    refused = {entry["path"] for entry in clippy["disallowed-methods"]}
    assert {"std::env::var", "std::env::var_os", "std::env::vars", "std::env::vars_os"} <= refused
    sources = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.rs"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    readers = [name for name in sources if re.search(r"std::env::vars?(_os)?\b", (ROOT / name).read_text())]
    assert readers == ["shared/lambda/src/settings.rs"], readers
