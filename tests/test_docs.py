"""The README and docs/ tell the truth about what is in the repository.

Every path written in backticks exists; every `make X` is a target of the Makefile; every
`dashboard …` command parses with the CLI's real parser; every query a heading of
docs/ANALYSES.md names in backticks is one `dashboard query NAME` accepts, and every query
the CLI accepts is defined there. Read as text, no network, no database.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import queries
from dashboard.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE_SPANS = re.compile(r"`([^`\n]+)`")

# Paths the docs name that a user creates or a run writes; they are not in the repository.
CREATED_BY_USER_OR_RUN = {
    ".streamlit/secrets.toml",  # the operator's secrets (secrets.example.toml is committed)
    "data/", "./data/pipeline.duckdb", "data/sso-demo/",  # written by `make run` / `make run-sso`
}
# The first path segments that are this repository's (others are URLs, routes, /proc …).
TOP = {p.name for p in ROOT.iterdir()} | {"app_pages", "ingest", "migrations", "derived", "staging", "macros", "results"}
# UI helper queries and internal ones need no section of their own in ANALYSES.md.
UNDOCUMENTED_OK = {"snapshots", "filter_options", "import_history", "projects_reached", "projects_closed", "funnel_region_grade"}


def _spans() -> list[tuple[str, str]]:
    return [(doc.relative_to(ROOT).as_posix(), m.group(1).strip())
            for doc in DOCS for m in CODE_SPANS.finditer(doc.read_text(encoding="utf-8"))]


def _is_repo_path(span: str) -> bool:
    if " " in span or span.startswith(("/", "../", "http")) or "<" in span or "…" in span:
        return False
    first = span.lstrip("./").split("/")[0]
    return "/" in span and first in TOP


def _exists(span: str) -> bool:
    rel = span.removeprefix("./")
    if "*" in rel:
        return any(ROOT.glob(rel)) or any(ROOT.rglob(rel))
    if (ROOT / rel).exists():
        return True
    # A path relative to a package the sentence is about (`app_pages/_ui.py`, `derived/*.sql`).
    return any(p.as_posix().endswith("/" + rel.rstrip("/")) for p in ROOT.rglob(rel.rstrip("/").split("/")[-1]))


def test_every_path_in_the_docs_exists():
    missing = [f"{doc}: `{span}`" for doc, span in _spans()
               if _is_repo_path(span) and span not in CREATED_BY_USER_OR_RUN and not _exists(span)]
    assert missing == []


def test_every_file_name_in_the_docs_exists_somewhere_in_the_repository():
    names = {p.name for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    pattern = re.compile(r"^[\w.-]+\.(py|sql|toml)$")
    external = {"secrets.toml"}  # the operator's file (see CREATED_BY_USER_OR_RUN)
    missing = [f"{doc}: `{span}`" for doc, span in _spans()
               if pattern.match(span) and span not in external and span not in names]
    assert missing == []


def _makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, flags=re.M))


def test_every_make_command_in_the_docs_is_a_target():
    targets = _makefile_targets()
    wrong = [f"{doc}: `{span}`" for doc, span in _spans()
             if span.startswith("make ") and span.split()[1] not in targets]
    assert wrong == []


def _cli_commands() -> list[tuple[str, list[str]]]:
    out = []
    for doc, span in _spans():
        words = span.split()
        if not words or words[0] not in ("dashboard", ".venv/bin/dashboard") or "…" in span or len(words) < 2:
            continue
        out.append((f"{doc}: `{span}`", shlex.split(span)[1:]))
    return out


@pytest.mark.parametrize("where, argv", _cli_commands(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_dashboard_command_in_the_docs_parses(where, argv):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0 and "--help" in argv:  # `dashboard query --help` prints and exits 0
            return
        pytest.fail(f"{where} does not parse (exit {exc.code})")
    if getattr(args, "command", None) == "query" or argv[0] == "query":
        assert args.name in queries.QUERY_NAMES, f"{where}: no query named {args.name!r}"


def _analyses_headings() -> set[str]:
    text = (ROOT / "docs" / "ANALYSES.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for heading in re.findall(r"^#{2,4} .*$", text, flags=re.M):
        names.update(m.group(1) for m in CODE_SPANS.finditer(heading) if " " not in m.group(1))
    return names


def _analyses_spans() -> set[str]:
    return set(CODE_SPANS.findall((ROOT / "docs" / "ANALYSES.md").read_text(encoding="utf-8")))


def test_every_query_named_in_an_analyses_heading_exists():
    assert sorted(_analyses_headings() - set(queries.QUERY_NAMES)) == []


def test_every_query_the_cli_accepts_is_named_in_the_analyses():
    assert sorted(set(queries.QUERY_NAMES) - _analyses_spans() - UNDOCUMENTED_OK) == []
