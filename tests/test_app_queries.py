"""The UI's helper queries agree with the metric queries they drill into, on the demo seeds:
projects_closed lists exactly the projects win_rate counts; funnel_region_grade's cells add up to
funnel/win_rate run per region and grade."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard import demo, store
from queries import ALL_REGIONS, Filters


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = Path(tmp_path_factory.mktemp("uiq")) / "seeds.duckdb"
    demo.load_seeds(path)
    hub = store.ReadHub(path)
    return hub.cursor()


def _latest(con) -> date:
    return queries.run(con, "snapshots", Filters(allowed_regions=ALL_REGIONS)).get_column("as_of").max()


@pytest.mark.parametrize("since", [None, "previous"])
def test_projects_closed_lists_the_projects_win_rate_counts(con, since):
    as_of = _latest(con)
    snaps = sorted(queries.run(con, "snapshots", Filters(allowed_regions=ALL_REGIONS)).get_column("as_of").to_list())
    since_d = snaps[-2] if since else None
    f = Filters(allowed_regions=ALL_REGIONS, as_of=as_of, since=since_d)
    wr = queries.run(con, "win_rate", f).row(0, named=True)
    closed = queries.run(con, "projects_closed", f)
    assert closed.height == wr["n_closed"] > 0
    counts = closed.group_by("outcome").len().sort("outcome")
    assert dict(counts.iter_rows()) == {k: v for k, v in (("dropped", wr["n_dropped"]), ("lost", wr["n_lost"]), ("won", wr["n_won"])) if v}
    assert closed.get_column("project_id").n_unique() == closed.height


def test_funnel_region_grade_cells_match_funnel_and_win_rate_per_cell(con):
    as_of = _latest(con)
    cells = queries.run(con, "funnel_region_grade", Filters(allowed_regions=ALL_REGIONS, as_of=as_of), stage="tender")
    assert cells.height > 4
    projects = queries.run(con, "projects", Filters(allowed_regions=ALL_REGIONS, as_of=as_of))
    assert cells.get_column("n_projects").sum() == projects.height
    for r in cells.head(6).iter_rows(named=True):
        f = Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=(r["region"],), grade=(r["grade"],))
        fun = queries.run(con, "funnel", f).filter(pl.col("stage") == "tender").row(0, named=True)
        assert r["n_reached"] == fun["reached"]
        assert r["reached_rate"] == pytest.approx(fun["cumulative_conversion"] or 0.0) or r["n_reached"] == 0
        wr = queries.run(con, "win_rate", f).row(0, named=True)
        assert (r["n_won"], r["n_closed"]) == (wr["n_won"], wr["n_closed"])
        assert r["win_rate"] == wr["win_rate"] or (r["win_rate"] is None and wr["win_rate"] is None)


def test_the_drill_downs_old_ui_names_still_run_and_give_the_same_rows(con):
    from queries.runner import RENAMED

    f = Filters(allowed_regions=ALL_REGIONS, as_of=_latest(con))
    for old, new in RENAMED.items():
        extra = {"stage": "tender"} if new in ("projects_reached", "funnel_region_grade") else {}
        assert queries.run(con, old, f, **extra).equals(queries.run(con, new, f, **extra)), old
    assert "ui_reached" not in queries.QUERY_NAMES  # offered under the new name only
