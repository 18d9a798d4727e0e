"""The project page's timeline and flags (dashboard/project_view.py): drawn from the SQL's
own fall-back / out-of-order / skipped flags, so the timeline never says something the
flags beside it do not. Unit tests on frames shaped like project_events, and the real
queries on a real DuckDB (project_detail, as the page reads it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from test_queries_helpers import load

import queries
from dashboard import charts, project_view, store
from queries import ALL_REGIONS, Filters

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NO_FLAGS = pl.DataFrame(schema={"flag": pl.String, "stage": pl.String})


def _events(rows: list[tuple]) -> pl.DataFrame:
    """(stage, order, entered_on, left_on, is_fall_back, n_stages_skipped, is_date_out_of_order)
    in entry order, as project_events gives them."""
    return pl.DataFrame(
        [(i + 1, *r) for i, r in enumerate(rows)],
        schema={"seq": pl.Int32, "stage": pl.String, "stage_order": pl.Int32, "entered_on": pl.Date,
                "left_on": pl.Date, "is_fall_back": pl.Boolean, "n_stages_skipped": pl.Int32,
                "is_date_out_of_order": pl.Boolean},
        orient="row",
    )


def test_a_stay_is_coloured_by_the_flags_of_its_entry_not_by_comparing_positions():
    events = _events([
        ("development", 1, date(2026, 1, 1), date(2026, 2, 1), False, 0, False),
        ("proposal", 3, date(2026, 2, 1), date(2026, 3, 1), False, 1, False),
        ("approval", 2, date(2026, 3, 1), date(2026, 3, 1), True, 0, False),
        ("proposal", 3, date(2026, 3, 1), None, False, 0, False),
    ])
    seg = project_view.timeline_segments(events, date(2026, 4, 1))
    assert seg.get_column("move").to_list() == ["start", "skip", "back", "next"]
    assert seg.get_column("end").to_list()[-1] == date(2026, 4, 1)  # the stay goes on to the snapshot
    assert (seg.get_column("end") > seg.get_column("start")).all()  # same-day moves still visible
    # a lower stage after a higher one that the SQL does not call a fall-back is no fall-back
    unflagged = _events([("tender", 4, date(2026, 1, 1), date(2026, 2, 1), False, 0, False),
                         ("approval", 2, date(2026, 2, 1), None, False, 0, False)])
    assert project_view.timeline_segments(unflagged, date(2026, 3, 1))["move"].to_list() == ["start", "next"]


def test_the_skipped_stage_itself_is_marked_on_the_date_of_the_jump_past_it():
    events = _events([  # 立项 -> 招投标 jumps over 提案, as the flag says
        ("development", 1, date(2025, 6, 23), date(2025, 7, 28), False, 0, False),
        ("approval", 2, date(2025, 7, 28), date(2025, 8, 25), False, 0, False),
        ("tender", 4, date(2025, 8, 25), date(2025, 9, 21), False, 1, False),
        ("negotiation", 5, date(2025, 9, 21), None, False, 0, False),
    ])
    flags = pl.DataFrame({"flag": ["skipped_stage", "below_floor"], "stage": ["proposal", "negotiation"]})
    skips = project_view.timeline_skips(events, flags)
    assert skips.select("stage", "on", "entered").rows() == [("proposal", date(2025, 8, 25), "tender")]
    assert project_view.timeline_skips(events, NO_FLAGS).height == 0  # no flag, no diamond
    spec = charts.timeline(project_view.timeline_segments(events, date(2025, 10, 8)), skips, "zh").to_dict()
    bars, marks = spec["layer"]
    bar_rows = spec["datasets"][bars["data"]["name"]]
    mark_rows = spec["datasets"][marks["data"]["name"]]
    assert [(r["stage_label"], r["note"]) for r in mark_rows] == [("提案", "跳过")]
    assert {r["stage_label"]: r["note"] for r in bar_rows}["招投标"] == ""  # entered normally coloured


def test_a_project_whose_stage_dates_are_out_of_order_shows_what_its_flags_say():
    """A wide export dates 立项 after 提案: the flags say "stage dates out of order" (a data
    error), and the timeline says so too, never "moved backwards"."""
    con = store.connect_memory()
    load(con, [dict(as_of="2026-03-02", project_id="K", stage="tender", customer_grade="B")],
         [("K", "development", "2026-01-05", "stage_dates"), ("K", "approval", "2026-02-10", "stage_dates"),
          ("K", "proposal", "2026-02-01", "stage_dates"), ("K", "tender", "2026-02-20", "stage_dates")])
    detail = queries.project_detail(con, "K", Filters(as_of=date(2026, 3, 2), allowed_regions=ALL_REGIONS))
    events, flags = detail["events"], detail["flags"]
    assert set(flags["flag"]) >= {"out_of_order_dates"} and "fell_back" not in set(flags["flag"])
    seg = project_view.timeline_segments(events, date(2026, 3, 2))
    # entries by date: development, proposal (02-01), approval (02-10), tender (after approval
    # in entry order: the SQL counts one stage jumped over; no stage was never entered)
    assert seg.select("stage", "move").rows() == [
        ("development", "start"), ("proposal", "out_of_order"), ("approval", "next"), ("tender", "skip")]
    assert project_view.timeline_skips(events, flags).height == 0
    flagged = set(flags.filter(pl.col("flag") == "out_of_order_dates")["stage"])
    assert flagged == set(seg.filter(pl.col("move") == "out_of_order")["stage"])
    assert not (seg["move"] == "back").any()
    spec = charts.timeline(seg, project_view.timeline_skips(events, flags), "en").to_dict()
    notes = {r["note"] for r in spec["datasets"][spec["layer"][0]["data"]["name"]]}
    assert "Stage dates out of order" in notes and "Moved backwards" not in notes


def test_the_timeline_and_the_flags_agree_on_every_seed_project(tmp_path):
    """Projects of two demo snapshots (with the stage-history export): each fall-back,
    out-of-order date and skipped stage the flags list is on the timeline, and nothing else."""
    from dashboard.ingest import commit, prepare

    db = tmp_path / "p.duckdb"
    paths = [SEEDS / n for n in ("2026-11-16_crm-export.csv", "2026-11-23_ledger.xlsx", "2026-11-23_stage-history.csv")]
    commit(db, [prepare(p.name, p.read_bytes()) for p in paths])
    con = store.connect_read_only(db)
    f = Filters(as_of=date(2026, 11, 23), allowed_regions=ALL_REGIONS)
    # the projects with a fall-back, an out-of-order date or a skip (the first of each kind
    # in id order), and some with none: project_detail per project as the page runs it
    ex = queries.run(con, "process_exceptions", f)
    kinds = ("fell_back", "out_of_order_dates", "skipped_stage")
    ids = sorted({pid for k in kinds
                  for pid in ex.filter(pl.col("exception") == k)["project_id"].unique().sort().head(15)})
    plain = queries.run(con, "projects", f).filter(~pl.col("project_id").is_in(ex["project_id"].implode()))
    ids += plain["project_id"].head(10).to_list()
    seen = {"back": 0, "out_of_order": 0, "skip": 0}
    for pid in ids:
        detail = queries.project_detail(con, pid, f)
        events, flags = detail["events"], detail["flags"]
        seg = project_view.timeline_segments(events, f.as_of)
        skips = project_view.timeline_skips(events, flags, f.as_of)
        for code, move in (("fell_back", "back"), ("out_of_order_dates", "out_of_order")):
            flagged = sorted(flags.filter(pl.col("flag") == code).select("stage", "on_date").rows())
            drawn = sorted(seg.filter(pl.col("move") == move).select("stage", "start").rows())
            assert flagged == drawn, (pid, code)
        assert sorted(flags.filter(pl.col("flag") == "skipped_stage")["stage"]) == sorted(skips["stage"]), pid
        for k in seen:
            seen[k] += int((seg["move"] == k).sum())
    assert seen["back"] > 0 and seen["skip"] > 0, seen  # the seeds exercise both
    assert len(ids) > 20
    con.close()
