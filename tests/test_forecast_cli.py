"""`dashboard query forecast|backtest|slips|trends|owners` end to end on two real seed
exports (a week apart), as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dashboard import cli

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "pipeline.duckdb"
    files = [str(SEEDS / "2026-11-16_crm-export.csv"), str(SEEDS / "2026-11-23_ledger.xlsx")]
    assert cli.main(["ingest", *files, "--db", str(db)]) == 0
    return db


@pytest.mark.parametrize("name", ["forecast", "backtest", "slips", "slips_summary", "trends", "owners", "win_probabilities"])
def test_every_forecast_query_prints_json_and_the_same_rows_as_csv(two_weeks, capsys, name):
    assert cli.main(["query", name, "--db", str(two_weeks), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert cli.main(["query", name, "--db", str(two_weeks), "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == len(rows) and (not rows or list(table[0]) == list(rows[0]))
    if name == "forecast":
        assert [(r["period_kind"], r["period"]) for r in rows] == [
            ("month", "2026-11"), ("month", "2026-12"), ("quarter", "2026-Q4"), ("quarter", "2027-Q1")]
    if name == "trends":
        assert [r["as_of"] for r in rows] == ["2026-11-16", "2026-11-23"]
    if name == "backtest":
        assert {r["made_on"] for r in rows} == {"2026-11-16", "2026-11-23"}


def test_forecast_by_region_and_probabilities_at_every_snapshot(two_weeks, capsys):
    assert cli.main(["query", "forecast", "--db", str(two_weeks), "--by", "region", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len({r["segment"] for r in rows}) > 1 and len(rows) == 4 * len({r["segment"] for r in rows})
    assert cli.main(["query", "win_probabilities", "--db", str(two_weeks), "--all-snapshots", "--format", "json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert {r["as_of"] for r in every} == {"2026-11-16", "2026-11-23"}
