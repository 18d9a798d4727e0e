"""The runner: names, parameters, headers, thresholds bound at query time."""

from __future__ import annotations

import re
from datetime import date

import pytest
from test_queries_helpers import load

import queries
from dashboard import config, store
from queries import ALL_REGIONS, Filters
from queries.runner import NO_SQL_FILE, SQL_DIR, STAGING, sql_text


def test_every_sql_file_starts_with_a_header_naming_query_grain_params_and_output():
    for path in [*SQL_DIR.glob("*.sql"), *(SQL_DIR / "staging").glob("*.sql"), *(SQL_DIR / "macros").glob("*.sql")]:
        head = path.read_text(encoding="utf-8").splitlines()[:12]
        text = "\n".join(head)
        for field in ("-- query:", "-- grain:", "-- output:"):
            assert field in text, f"{path.name} lacks {field}"


def test_every_metric_query_ends_with_its_final_cte_and_reads_no_raw_table():
    for name in queries.QUERY_NAMES:
        if name in NO_SQL_FILE:
            continue
        sql = sql_text(name)
        assert re.search(r"select \* (exclude \([^)]*\) )?from final", sql), name
        raw = r"\bfrom (project_snapshots|stage_events)\b" if name == "import_history" else \
            r"\bfrom (project_snapshots|stage_events|imports)\b"  # the import log is itself the subject there
        assert not re.search(raw, sql), name


def test_every_query_runs_on_an_empty_database(mem_con):
    for name in queries.QUERY_NAMES:
        extra = {"project_id": "nobody"} if name == "project" else {}
        df = queries.run(mem_con, name, Filters(allowed_regions=ALL_REGIONS), **extra)
        assert df.height in (0, 6, 1, 11), name  # funnel: six stages; win_rate: one row; waterfall: 11 steps


def test_an_unknown_query_or_segment_is_refused_before_any_sql_runs(mem_con):
    with pytest.raises(KeyError):
        queries.run(mem_con, "drop table imports", Filters(allowed_regions=ALL_REGIONS))
    with pytest.raises(ValueError):
        queries.run(mem_con, "funnel", Filters(allowed_regions=ALL_REGIONS), by="region; drop table imports")
    with pytest.raises(ValueError):
        queries.run(mem_con, "project", Filters(allowed_regions=ALL_REGIONS))


def test_thresholds_are_read_at_query_time_so_a_config_change_needs_no_reimport(tmp_path, monkeypatch):
    con = store.connect_memory()
    load(con, [dict(as_of="2026-03-09", project_id="P", stage="proposal", customer_grade="B",
                    expected_amount=100, estimated_margin=0.14)])
    f = Filters(allowed_regions=ALL_REGIONS, as_of=date(2026, 3, 9))
    assert [c for c in queries.run(con, "margin", f)["check"]] == ["below_floor"]  # 14 % < 15 %
    text = config.DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("margin_floor = 0.15", "margin_floor = 0.10")
    custom = tmp_path / "domain.toml"
    custom.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PIPELINE_CONFIG", str(custom))
    assert queries.run(con, "margin", f).height == 0  # 14 % >= 10 %, same database, no refresh


def test_thresholds_never_appear_in_the_sql_text():
    for name in [*queries.QUERY_NAMES, *STAGING]:
        if name in NO_SQL_FILE:
            continue
        sql = sql_text(name)
        assert "0.15" not in sql and "0.12" not in sql, name
        assert "prior_strength = " not in sql and "negotiation'" not in sql, name  # [forecast] is bound too


def test_every_per_project_list_is_cached_as_a_large_result():
    """A query whose grain is one row per project (tens of MB at 100k projects) must sit in
    data.py's small large-result cache, not in the 256-entry cache of aggregates."""
    from dashboard.data import LARGE_QUERIES

    per_project = set()
    for path in SQL_DIR.glob("*.sql"):
        grain = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("-- grain:")), "")
        if re.search(r"per \(?(open )?project\b", grain) and "$project_id" not in grain:
            per_project.add(path.stem)
    assert {"projects", "aging", "slips", "forecast_projects"} <= per_project  # the rule reads the headers
    assert per_project <= LARGE_QUERIES, sorted(per_project - LARGE_QUERIES)
