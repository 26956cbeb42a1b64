"""The repository stands on its own: no file points outside it, or to an issue tracker.

Every file git knows (tracked, and new files that are not ignored, so that a file is checked
before its first commit) is read as UTF-8 text; other files are skipped. A finding names the
file and the line. Flagged:

- a relative path into the `shared` directory beside the repository, or an absolute path into
  the machine's `/work` directory: documents the repository does not contain;
- a Markdown link whose relative target resolves outside the repository;
- a section reference to an outside design document ("DESIGN" followed by a section sign); the
  project's own design is docs/DESIGN.md, referred to by section name;
- an issue or pull-request number: the word issue(s), PR or pull request followed by a number,
  anywhere; and a bare number sign followed by digits in prose (Markdown files, and the comments
  of code and configuration files). Identifiers that only contain a number sign are not
  references and are not flagged: key prefixes such as `T#1` or `COUNTER#ALL#3`, Rust
  attributes, raw strings, Markdown headings, HTML entities and colours.

Run alone: .venv/bin/python -m pytest tests/infra/test_repository.py -q -p no:cacheprovider
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A path out of the repository: the sibling directory of the first design, or the machine's
# absolute layout.
OUTSIDE_PATH = re.compile(r"\.\./shared\b|(?<![\w./-])/work(?=/)")
# A section of an outside design document.
DESIGN_SECTION = re.compile(r"\bDESIGN(?:\.md)?\s*§")
# An issue or pull request named with its number.
ISSUE_WORD = re.compile(r"\b(?:[Ii]ssues?|PRs?|[Pp]ull [Rr]equests?)\s*#?\d+\b")
# A bare reference such as a number sign and digits in prose; not when glued to a word, another
# number sign or an entity's ampersand, and not when more digits or letters follow (colours).
BARE_NUMBER = re.compile(r"(?<![\w#&])#\d{1,5}\b")
# Markdown inline links: [text](target).
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")

PROSE = {".md", ".markdown", ".txt", ".rst"}
# Line comments: `//` (and `///`, `//!`) in Rust; `#` elsewhere. A comment marker counts only at
# the start of a line or after whitespace, so `https://` and `T#1` are not comments.
SLASH_COMMENT = re.compile(r"(?:^|\s)//(.*)$")
HASH_COMMENT = re.compile(r"(?:^|\s)#(.*)$")
SLASH_COMMENTED = {".rs", ".js", ".ts", ".c", ".h", ".go", ".java"}
HASH_COMMENTED = {".py", ".sh", ".bash", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".env"}
HASH_COMMENTED_NAMES = {".gitignore", "Dockerfile", "Makefile", "requirements.txt", "run"}


def repository_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"not a git work tree ({err})")
    paths = sorted({name for name in listed.decode("utf-8").split("\0") if name})
    return [ROOT / name for name in paths if (ROOT / name).is_file() and not (ROOT / name).is_symlink()]


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def comment_of(path: Path, line: str) -> str | None:
    """The comment part of a line of code or configuration, or None when it has none."""
    if path.suffix in SLASH_COMMENTED:
        match = SLASH_COMMENT.search(line)
    elif path.suffix in HASH_COMMENTED or path.name in HASH_COMMENTED_NAMES:
        match = HASH_COMMENT.search(line)
    else:
        return None
    return match.group(1) if match else None


def link_leaves_repository(path: Path, target: str) -> bool:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return False  # a URL, an anchor in the same page, or a site-absolute link
    relative = target.split("#", 1)[0]
    if not relative:
        return False
    resolved = os.path.normpath(os.path.join(path.parent, relative))
    return os.path.commonpath([resolved, str(ROOT)]) != str(ROOT)


def findings_in(path: Path, text: str) -> list[str]:
    where = path.relative_to(ROOT)
    prose = path.suffix in PROSE
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        problems = []
        if OUTSIDE_PATH.search(line):
            problems.append("a path outside the repository")
        if DESIGN_SECTION.search(line):
            problems.append("a section of an outside design document (use docs/DESIGN.md)")
        if ISSUE_WORD.search(line):
            problems.append("an issue or pull-request number")
        scope = line if prose else comment_of(path, line)
        if scope is not None and BARE_NUMBER.search(scope):
            problems.append("a bare issue-style number")
        if path.suffix == ".md":
            for target in MARKDOWN_LINK.findall(line):
                if link_leaves_repository(path, target):
                    problems.append(f"a link out of the repository ({target})")
        findings.extend(f"{where}:{number}: {problem}: {line.strip()}" for problem in problems)
    return findings


def test_the_patterns_flag_references_and_spare_identifiers() -> None:
    # The flagged samples are assembled, so that this file does not flag itself.
    sign = "#"
    flagged = [
        "See issue " + sign + "12 for why.",
        "fixed in Issue " + "7",
        "issues " + sign + "3 and " + sign + "4",
        "as PR " + sign + "41 did",
        "pull request " + "9",
        "The benchmark (" + sign + "7) measures it.",
        "DESIGN " + "§4 says so",
        "see .." + "/shared/notes.md",
    ]
    spared = [
        "`T#1` and `COUNTER#ALL#3` are key prefixes",
        "V#0000000001#00#status",
        "#[derive(Debug)]",
        "## 3. Storage",
        "color: #fff; background: #123456",
        "&#35; is a number sign",
        'r#"raw"#',
        "issues are tracked elsewhere",
        "see docs/DESIGN.md, Workflow",
        "https://example.com/work/notes",
    ]

    def flags(line: str) -> bool:
        return bool(
            OUTSIDE_PATH.search(line)
            or DESIGN_SECTION.search(line)
            or ISSUE_WORD.search(line)
            or BARE_NUMBER.search(line)
        )

    assert [line for line in flagged if not flags(line)] == []
    assert [line for line in spared if flags(line)] == []
    assert comment_of(Path("x.rs"), 'let url = "https://example.com/"; // note') == " note"
    assert comment_of(Path("x.py"), 'key = "T#1"') is None
    assert link_leaves_repository(ROOT / "README.md", "../elsewhere/file.md")
    assert not link_leaves_repository(ROOT / "docs" / "API.md", "../README.md")
    assert not link_leaves_repository(ROOT / "docs" / "API.md", "DESIGN.md#permissions")


def test_no_file_refers_outside_the_repository_or_to_issue_numbers() -> None:
    findings = []
    checked = 0
    for path in repository_files():
        text = read_text(path)
        if text is None:
            continue
        checked += 1
        findings.extend(findings_in(path, text))
    assert checked > 0, "no files to check"
    assert not findings, (
        "the repository must stand on its own (no references to files outside it, no issue "
        "numbers; the design is docs/DESIGN.md):\n  " + "\n  ".join(findings)
    )
