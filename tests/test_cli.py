"""The `dashboard` command end to end: ingest a real seed export, list imports, run queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard import cli

LEDGER = Path(__file__).resolve().parent.parent / "seeds" / "2026-11-23_ledger.xlsx"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "pipeline.duckdb"
    assert cli.main(["ingest", str(LEDGER), "--db", str(db)]) == 0
    return db


def test_ingest_takes_the_as_of_date_from_the_title_row_and_says_so(ingested, capsys):
    assert cli.main(["ingest", str(LEDGER), "--db", str(ingested)]) == 0
    out = capsys.readouterr().out
    assert "as of 2026-11-23" in out
    assert "nothing changed" in out  # the same file again is a no-op


def test_imports_lists_the_imported_file(ingested, capsys):
    assert cli.main(["imports", "--db", str(ingested), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["file_name"], r["as_of"], r["status"]) for r in rows] == [
        ("2026-11-23_ledger.xlsx", "2026-11-23", "active")
    ]


def test_query_funnel_filtered_by_region_and_grade_counts_only_those_projects(ingested, capsys):
    assert cli.main(["query", "projects", "--db", str(ingested), "--region", "华东", "--grade", "A", "--format", "json"]) == 0
    projects = json.loads(capsys.readouterr().out)
    assert projects and {(p["region"], p["grade"]) for p in projects} == {("华东", "A")}
    assert cli.main(["query", "funnel", "--db", str(ingested), "--region", "华东", "--grade", "A", "--format", "json"]) == 0
    funnel = json.loads(capsys.readouterr().out)
    assert [r["stage"] for r in funnel][0] == "development"
    assert funnel[0]["reached"] == len(projects)  # every project reached the first stage


def test_an_unknown_query_name_is_refused_with_the_names_that_exist(ingested, capsys):
    assert cli.main(["query", "nosuch", "--db", str(ingested)]) == 2
    err = capsys.readouterr().err
    assert "unknown query 'nosuch'" in err and "funnel" in err


def test_commands_on_a_missing_database_say_how_to_create_it(tmp_path, capsys):
    assert cli.main(["imports", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "dashboard ingest" in capsys.readouterr().err


def test_serve_refuses_a_network_address_without_sign_in(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PIPELINE_UNSAFE_NO_SIGN_IN_ON_NETWORK", raising=False)
    assert cli.main(["serve", "--", "--server.address", "0.0.0.0"]) == 2  # refused before starting anything
    assert "without sign-in" in capsys.readouterr().err
    secrets = tmp_path / "s.toml"
    secrets.write_text("[other]\nx = 1\n", encoding="utf-8")
    assert not cli._sign_in_configured(["--secrets.files", str(secrets)])
    secrets.write_text('[auth]\nredirect_uri = "https://x/oauth2callback"\n', encoding="utf-8")
    assert cli._sign_in_configured(["--secrets.files", str(secrets)])


def test_access_grant_list_revoke_and_the_audit_say_who(ingested, capsys):
    db = ["--db", str(ingested)]
    assert cli.main(["access", "grant", "East@Example.com", "--role", "regional", "--region", "华东", *db]) == 0
    assert cli.main(["access", "grant", "x@example.com", "--role", "regional", *db]) == 2  # no region
    assert "needs at least one region" in capsys.readouterr().err
    assert cli.main(["access", "list", *db, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["principal"], e["role"], e["regions"]) for e in listed] == [("east@example.com", "regional", ["华东"])]
    assert cli.main(["access", "revoke", "east@example.com", *db]) == 0
    assert cli.main(["audit", *db, "--format", "json"]) == 0
    audit = json.loads(capsys.readouterr().out.split("\n", 1)[1])  # (after revoke's own line)
    assert [a["action"] for a in audit[:2]] == ["access_revoke", "access_grant"]
    assert all(a["actor"].startswith("cli:") for a in audit)  # the operator, named as such
    assert audit[-1]["action"] == "import" and audit[-1]["sha256"]
