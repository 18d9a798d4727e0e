"""The demo data in seeds/: generated deterministically, committed exactly as generated,
shaped like real exports, and telling the story seeds/README.md promises.

These tests read the files with plain Polars (not the importer), so they check the data
itself; the importer tests at the end check that every file imports cleanly.
"""

from __future__ import annotations

import itertools
import importlib.util
import re
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dashboard.config import get_config, normalize

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
STAGES_ZH = ("客户开发", "立项", "提案", "招投标", "商务谈判", "工程实施")
UNIT = re.compile(r"\((万元|元|亿元|亿|%)\)$")


def _load_generator():
    spec = importlib.util.spec_from_file_location("seeds_generate", SEEDS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


# issue 13: the visit reports and the receivables ledger are not weekly pipeline exports
OTHER_RECORDS = ("_visit-reports.xlsx", "_receivables.xlsx", "_targets.xlsx")  # (and issue 12's targets)


def _exports() -> list[Path]:
    """The weekly pipeline exports and the stage history (not the visit/receivable files)."""
    return [p for p in _committed() if not p.name.endswith(OTHER_RECORDS)]


def _committed() -> list[Path]:
    return sorted(p for p in SEEDS.iterdir() if p.suffix in (".csv", ".xlsx"))


def _xlsx_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cells as calamine reads them (what the importer sees)."""
    sheets = pl.read_excel(path, sheet_id=0, has_header=False, drop_empty_rows=False, drop_empty_cols=False)
    return {name: df.rows() for name, df in sheets.items()}


def _same_content(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    # an XLSX written by another xlsxwriter version may differ in bytes, never in cells
    return a.suffix == ".xlsx" and _xlsx_values(a) == _xlsx_values(b)


def _canonical(header: str) -> str:
    key = UNIT.sub("", normalize(header))
    return get_config().header_index()[key]


def _read(path: Path) -> pl.DataFrame:
    """A weekly export as a frame with canonical column names, the 合计 row dropped."""
    if path.suffix == ".xlsx":
        df = pl.read_excel(path, sheet_name="项目台账", read_options={"header_row": 2})
    else:
        df = pl.read_csv(path.read_bytes(), encoding="gb18030", infer_schema=False)
    df = df.rename({c: _canonical(c) for c in df.columns})
    return df.filter(pl.col("project_id") != "合计")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fresh_seeds")
    gen.generate(out)
    return out


@pytest.fixture(scope="module")
def snapshots() -> dict[date, pl.DataFrame]:
    files = [p for p in _exports() if "stage-history" not in p.name]
    return {date.fromisoformat(p.name[:10]): _read(p) for p in files}


@pytest.fixture(scope="module")
def ledgers() -> dict[date, pl.DataFrame]:
    """The XLSX weeks: typed amounts, margins and dates."""
    return {d: _read(p) for p in _exports() if p.suffix == ".xlsx" for d in [date.fromisoformat(p.name[:10])]}


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    (path,) = [p for p in _committed() if "stage-history" in p.name]
    df = pl.read_csv(path.read_bytes(), encoding="gb18030", infer_schema=False)
    order = {zh: i for i, zh in enumerate(STAGES_ZH)}
    return df.with_columns(
        pl.col("阶段").replace_strict(order, return_dtype=pl.Int8).alias("to"),
        pl.col("原阶段").replace_strict(order, default=None, return_dtype=pl.Int8).alias("from"),
    )


# --- generated, deterministic, committed as generated -----------------------------------


def test_the_committed_files_are_exactly_a_fresh_generation(fresh):
    committed = _committed()
    assert [p.name for p in committed] == sorted(p.name for p in fresh.iterdir())
    differing = [p.name for p in committed if not _same_content(p, fresh / p.name)]
    assert not differing, f"hand-edited or stale, run `make seeds`: {differing}"


def test_the_same_seed_gives_identical_files_and_another_seed_other_data(tmp_path):
    a, b, c = (gen.generate(tmp_path / d, n_projects=300, weeks=3, seed=s) for d, s in (("a", 5), ("b", 5), ("c", 6)))
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        if pa.suffix == ".csv":
            assert pa.read_bytes() == pb.read_bytes(), pa.name
        else:
            assert _xlsx_values(pa) == _xlsx_values(pb), pa.name
    assert any(pa.read_bytes() != pc.read_bytes() for pa, pc in zip(a, c, strict=True) if pa.suffix == ".csv")


def test_the_generator_builds_larger_sets_for_benchmarks(tmp_path):
    dataset = gen.build(n_projects=3000, seed=1)
    path = gen.write_snapshot(tmp_path / "big.csv", dataset, dataset.snapshots[-1], "crm_csv")
    assert len(pl.read_csv(path.read_bytes(), encoding="gb18030", infer_schema=False)) > 2900


# --- shaped like real exports --------------------------------------------------------------


def test_csv_exports_are_strict_gb18030_and_not_utf8():
    csvs = [p for p in _committed() if p.suffix == ".csv"]
    assert len(csvs) >= 3
    for path in csvs:
        data = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert "项目编号" in data.decode("gb18030", errors="strict").splitlines()[0]


def test_every_header_is_a_known_alias_so_no_mapping_is_needed():
    for path in _exports():
        if path.suffix == ".xlsx":
            header = pl.read_excel(path, sheet_name="项目台账", read_options={"header_row": 2}).columns
        else:
            header = pl.read_csv(path.read_bytes(), encoding="gb18030", n_rows=1, infer_schema=False).columns
        for h in header:
            assert _canonical(h), (path.name, h)


def test_file_names_carry_monday_as_of_dates_and_the_xlsx_title_row_agrees():
    for path in _exports():
        as_of = date.fromisoformat(path.name[:10])
        assert as_of.weekday() == 0, path.name
        if path.suffix == ".xlsx":
            sheets = pl.read_excel(path, sheet_id=0, has_header=False, drop_empty_rows=False)
            assert list(sheets) == ["填写说明", "项目台账"]
            rows = sheets["项目台账"].rows()
            assert rows[0][0] == f"大客户项目台账（截至{as_of.year}年{as_of.month}月{as_of.day}日）"
            assert all(v is None for v in rows[1])
            assert rows[2][0] == "项目编号"
            assert rows[-1][0] == "合计"


def test_amounts_in_csv_are_text_with_thousands_separators_and_units_in_the_header():
    crm = next(p for p in _committed() if p.name.endswith("_crm-export.csv"))
    df = pl.read_csv(crm.read_bytes(), encoding="gb18030", infer_schema=False)
    assert "预计签约金额(万元)" in df.columns
    amounts = df["预计签约金额(万元)"].drop_nulls()
    assert amounts.str.contains(r"^\d{1,3}(,\d{3})*\.\d{2}$").all()
    assert amounts.str.contains(",").any()
    assert df["毛利率"].drop_nulls().str.ends_with("%").all()
    assert df["创建时间"].str.contains(r"^\d{4}/\d{1,2}/\d{1,2}$").all()
    saved = next(p for p in _committed() if p.name.endswith("_ledger.csv"))
    df = pl.read_csv(saved.read_bytes(), encoding="gb18030", infer_schema=False)
    assert df["创建日期"].drop_nulls().str.contains(r"^\d{4}年\d{1,2}月\d{1,2}日$").all()
    assert df["项目编号"][-1] == "合计"


# --- the story ---------------------------------------------------------------------------


def test_there_are_1000_to_3000_projects_over_at_least_eight_weekly_snapshots(snapshots):
    dates = sorted(snapshots)
    assert len(dates) >= 8 and dates[-1] == date(2026, 11, 23)
    assert all((b - a).days == 7 for a, b in itertools.pairwise(dates))
    ids = pl.concat([df.select("project_id") for df in snapshots.values()]).unique()
    assert 1000 <= len(ids) <= 3000
    assert ids["project_id"].str.contains(r"^KA-20\d\d-\d{5}$").all()


def test_the_organisation_has_six_regions_four_grades_and_a_dozen_owners(ledgers):
    last = ledgers[max(ledgers)]
    assert set(last["region"]) == {"华北", "华东", "华南", "华中", "西南", "西北"}
    grades = last["customer_grade"].value_counts().rows()
    counts = dict(grades)
    assert set(counts) == {"A", "B", "C", "D"} and counts["A"] < counts["D"]
    assert last["owner"].n_unique() >= 12
    # each manager works mostly in one region
    home_share = (
        last.group_by("owner", "region").len().group_by("owner").agg((pl.col("len").max() / pl.col("len").sum()).alias("s"))
    )
    assert home_share["s"].min() > 0.7
    assert last["category"].n_unique() >= 5


def test_the_stage_history_has_skips_fallbacks_and_mid_funnel_starts(history):
    first = history.filter(pl.col("from").is_null())
    assert (first["to"] >= 1).sum() > 100  # first recorded at 立项 or later
    moves = history.filter(pl.col("from").is_not_null())
    fallbacks = moves.filter(pl.col("to") < pl.col("from"))
    assert len(fallbacks) > 10
    assert set(zip(fallbacks["原阶段"], fallbacks["阶段"], strict=True)) == {("商务谈判", "提案")}
    assert len(moves.filter(pl.col("to") > pl.col("from") + 1)) > 50  # skips
    assert history["进入日期"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()


def test_a_fallback_also_shows_between_two_weekly_exports(ledgers):
    dates = sorted(ledgers)
    stage = {zh: i for i, zh in enumerate(STAGES_ZH)}
    backwards = 0
    for a, b in itertools.pairwise(dates):
        joined = ledgers[a].join(ledgers[b], on="project_id", suffix="_b")
        backwards += joined.filter(
            pl.col("stage").replace_strict(stage) > pl.col("stage_b").replace_strict(stage)
        ).height
    assert backwards >= 1


def test_lost_and_dropped_projects_carry_their_reasons_but_a_few_do_not(ledgers):
    last = ledgers[max(ledgers)]
    closed = last.filter(pl.col("status").is_in(["丢单", "输单", "放弃", "未入围", "不投标"]))
    assert set(closed["status"]) == {"丢单", "输单", "放弃", "未入围", "不投标"}
    missing = closed["lost_reason"].null_count()
    assert 0 < missing < 0.1 * len(closed)
    no_bid = closed.filter(pl.col("status") == "不投标")
    assert (no_bid["lost_reason"].drop_nulls().str.contains("毛利低于公司底线")).all()
    assert set(last["status"]) >= {"进行中", "已签约", "已验收"}


def test_margin_problems_are_planted(ledgers):
    last = ledgers[max(ledgers)]
    margin = last["estimated_margin"].drop_nulls()
    assert ((margin >= 0.15) & (margin <= 0.35)).mean() > 0.7  # mostly healthy
    assert (margin < 0.15).sum() > 50  # below the floor
    assert 1 <= (margin < 0).sum() <= 12  # a few negative
    # bid although the margin is below the floor
    assert last.filter(pl.col("bid_amount").is_not_null() & (pl.col("estimated_margin") < 0.15)).height > 10
    # no estimate although past approval (and still alive)
    assert last.filter(
        pl.col("estimated_margin").is_null() & (pl.col("stage") != "客户开发") & pl.col("status").is_in(["进行中", "已签约"])
    ).height >= 20
    # a cost overrun: actual cost above the contract amount
    assert last.filter(pl.col("actual_cost") > pl.col("contract_amount")).height >= 1


def test_some_margins_erode_in_every_weekly_ledger(ledgers):
    dates = sorted(ledgers)
    wide = ledgers[dates[0]].select("project_id", pl.col("estimated_margin").alias("m0"))
    for i, d in enumerate(dates[1:], 1):
        wide = wide.join(ledgers[d].select("project_id", pl.col("estimated_margin").alias(f"m{i}")), on="project_id")
    steps = [pl.col(f"m{i}") < pl.col(f"m{i - 1}") for i in range(1, len(dates))]
    assert wide.filter(pl.all_horizontal(steps)).height >= 10


def test_two_account_managers_spend_far_more_per_project_than_their_peers(ledgers):
    last = ledgers[max(ledgers)]
    ratio = (
        last.group_by("owner")
        .agg((pl.col("expense_actual").sum() / pl.col("expected_amount").sum()).alias("r"))
        .sort("r", descending=True)
    )
    median = ratio["r"].median()
    outliers = ratio.filter(pl.col("r") > 2 * median)["owner"].to_list()
    assert sorted(outliers) == ["孙浩", "赵志强"]


def test_expected_sign_dates_get_pushed_out_and_projects_vanish(snapshots, ledgers):
    dates = sorted(ledgers)
    a, b = ledgers[dates[-2]], ledgers[dates[-1]]
    joined = a.join(b, on="project_id", suffix="_b").filter(pl.col("status_b") == "进行中")
    assert joined.filter(pl.col("expected_sign_on_b") > pl.col("expected_sign_on")).height >= 10
    all_dates = sorted(snapshots)
    ids = [set(snapshots[d]["project_id"]) for d in all_dates]
    vanished = set().union(*ids[:-1]) - ids[-1]
    assert len(vanished) >= 10
    # the duplicates: the same name and customer under two project numbers, early on only
    early = snapshots[all_dates[0]]
    dup = early.group_by("project_name", "customer").len().filter(pl.col("len") > 1)
    assert dup.height >= 5
    assert snapshots[all_dates[-1]].group_by("project_name", "customer").len()["len"].max() == 1


# --- through the importer (the same path as an upload) -----------------------------------


@pytest.fixture(scope="module")
def prepared():
    from dashboard import demo

    return {p.report.file_name: p for p in demo.prepare_seeds()}


def test_every_seed_file_prepares_without_errors_or_warnings(prepared):
    for name, p in prepared.items():
        assert p.report.ok and not p.report.errors, (name, p.report.errors[:3])
        assert not p.report.warnings, (name, p.report.warnings[:3])
        # a targets file has no as-of date (its periods say when; issue 12)
        assert p.report.as_of == (None if p.report.kind == "targets" else date.fromisoformat(name[:10])), name
        assert not any(c.canonical is None for c in p.report.columns), name  # no mapping needed
        skipped = p.report.rows_skipped
        assert skipped == (0 if name.endswith(("crm-export.csv", "stage-history.csv", "visit-reports.xlsx")) else 1), name  # the 合计 row


def test_the_importer_reads_what_the_generator_meant(prepared):
    """Round trip: every export parses back to the simulated values (amounts 万元 -> 元,
    margins from 0.235 / '23.5%' / a % cell, the four date spellings, A级, status words)."""
    dataset = gen.build()
    for name, p in prepared.items():
        as_of = date.fromisoformat(name[:10])
        if p.report.kind == "visits":  # issue 13: one row per visit the generator wrote
            planned = gen.visit_rows(dataset)
            assert p.projects.height == 0, name  # a kind with its own table: its rows in Prepared.tables
            assert p.tables["visits"].height == sum(len(v) for v in planned.values()), name
            assert sorted(set(p.tables["visits"]["reporter"].to_list())) == sorted(planned), name
            continue
        if p.report.kind == "targets":  # Q3 and Q4 per region, 万元 -> 元; the 合计 row not a target
            got = {(r["region"], r["period_start"].month, float(r["target_amount"]))
                   for r in p.tables["targets"].iter_rows(named=True)}
            want = {(region, month, amounts[q] * 10000.0) for region, amounts in gen.QUARTER_TARGETS_WAN.items()
                    for q, month in ((0, 7), (1, 10))}
            assert got == want, name
            continue
        if p.report.kind == "collections":  # contract once per project, every invoice and payment line
            rows = gen.receivable_rows(dataset)
            entries = p.tables["collections"]
            assert entries.filter(pl.col("entry") == "invoice").height == sum(1 for r in rows if r[3]), name
            assert entries.filter(pl.col("entry") == "payment").height == sum(1 for r in rows if r[6]), name
            assert entries.filter(pl.col("entry") == "contract").height == len({r[0] for r in rows}), name
            continue
        if p.report.kind == "history":
            expected = {(pid, gen.STAGE_CODES[s], on) for pid, s, on, _ in dataset.history(as_of)}
            got = set(p.events.select("project_id", "stage", "entered_on").iter_rows())
            assert got == expected, name
            continue
        rows = sorted(dataset.rows(as_of), key=lambda r: r["project_id"])
        got = p.projects.sort("project_id")
        assert got["project_id"].to_list() == [r["project_id"] for r in rows], name
        assert got["stage"].to_list() == [gen.STAGE_CODES[r["stage"]] for r in rows], name
        assert got["status"].to_list() == [r["status"] for r in rows], name
        assert got["customer_grade"].to_list() == [r["customer_grade"] for r in rows], name
        assert got["expected_sign_on"].to_list() == [r["expected_sign_on"] for r in rows], name
        assert got["lost_reason"].to_list() == [r["lost_reason"] for r in rows], name
        for field in ("expected_amount", "bid_amount", "expense_actual"):
            want = [None if r[field] is None else round(r[field] * 10000, 2) for r in rows]
            have = [None if v is None else float(v) for v in got[field].to_list()]
            assert have == pytest.approx(want, abs=0.005) if None not in want else have == want, (name, field)
        margins = [r["estimated_margin"] for r in rows]
        have = got["estimated_margin"].to_list()
        assert [m is None for m in have] == [m is None for m in margins], name
        assert all(abs(a - b) < 1e-9 for a, b in zip(have, margins, strict=True) if a is not None), name


def test_load_seeds_imports_every_file_in_one_commit_and_a_second_commit_changes_nothing(
    db_path, prepared, monkeypatch
):
    from dashboard import demo, ingest, store

    # the files were prepared once by demo.prepare_seeds (fixture); don't parse them twice
    monkeypatch.setattr(demo, "prepare_seeds", lambda seeds_dir=demo.SEEDS_DIR: list(prepared.values()))
    results = demo.load_seeds(db_path)
    assert [r.file_name for r in results] == [p.name for p in _committed()]
    assert all(r.outcome == "added" for r in results)
    con = store.connect_read_only(db_path)
    try:
        n_imports, n_dates, n_projects = con.execute(
            "select (select count(*) from imports where status = 'active'),"
            " (select count(distinct as_of) from project_snapshots),"
            " (select count(distinct project_id) from project_snapshots)"
        ).fetchone()
        sources = dict(con.execute("select source, count(*) from stage_events group by source").fetchall())
        marks = con.execute("select distinct is_demo from imports").fetchall()
    finally:
        con.close()
    assert (n_imports, n_dates) == (len(results), len(results) - 4)  # history, visits, receivables, targets add no snapshot
    assert 1000 <= n_projects <= 3000
    assert sources["history"] > 0 and sources["stage_dates"] > 0
    assert marks == [(True,)]  # demo data, every import (issue 9, B1)
    con = store.connect_read_only(db_path)
    try:  # issue 13: the visits matched the projects loaded in the same commit
        matched, total = con.execute("select count(project_id), count(*) from visits").fetchone()
    finally:
        con.close()
    assert 0.8 * total < matched < total
    again = ingest.commit(db_path, list(prepared.values()), demo=True)
    assert all(r.outcome == "unchanged" for r in again)


def test_a_seed_file_the_importer_refuses_stops_the_load_and_writes_nothing(tmp_path, db_path):
    from dashboard import demo

    bad = tmp_path / "seeds"
    bad.mkdir()
    (bad / "2026-11-23_broken.csv").write_bytes("项目编号,项目名称\nKA-1,甲\nKA-1,甲\n".encode("gb18030"))
    with pytest.raises(demo.SeedsRefused, match="2026-11-23_broken.csv"):
        demo.load_seeds(db_path, bad)
    assert not db_path.exists()


def test_a_large_organisation_gets_unique_project_names_instead_of_hanging():
    """Above ~10k projects the 二期…九期 numerals ran out and build() looped forever."""
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, 'seeds'); import generate as g; "
        "ds = g.build(n_projects=20000); names = [p.name for p in ds.projects]; "
        "print(len(names), len(set(names)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    total, unique = map(int, out.stdout.split())
    assert total == 20_000 and unique == total - 8  # the 8 planted duplicate entries share a name
