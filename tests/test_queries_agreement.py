"""The SQL queries agree with an independent plain-Python implementation of the same
definitions (docs/ANALYSES.md), on generated data, on the demo seeds and on the Maven CRM
export imported through its mapping.

The reference reads the raw stored tables (project_snapshots, stage_events) and walks each
project's history in Python: no staging view, no facts table, no SQL beyond `select *`.
"""

from __future__ import annotations

import importlib.util
import statistics
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import queries
from dashboard import store
from dashboard.config import get_config
from queries import ALL_REGIONS, Filters

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
CFG = get_config()
T = CFG.thresholds
ORDER = {s.code: s.order for s in CFG.stages}
LAST = max(ORDER.values())
CLOSED = ("lost", "dropped", "won", "completed")


# --- the reference implementation ---------------------------------------------------------


class Reference:
    def __init__(self, con):
        snaps = con.execute("select * from project_snapshots order by as_of, project_id, import_id").fetchall()
        cols = [c[0] for c in con.execute("select * from project_snapshots limit 0").description]
        self.snapshots = defaultdict(list)  # pid -> rows by as_of (the later import wins a duplicate)
        by_key = {}
        for values in snaps:
            r = dict(zip(cols, values, strict=True))
            by_key[(r["as_of"], r["project_id"])] = r
        for (_, pid), r in sorted(by_key.items()):
            self.snapshots[pid].append(r)
        self.dates = sorted({k[0] for k in by_key})
        raw = con.execute("select project_id, stage, entered_on, source from stage_events").fetchall()
        unique = {}
        for pid, stage, day, source in raw:
            key = (pid, stage, day)
            unique[key] = min(unique.get(key, source), source)  # 'history' wins over 'stage_dates'
        self.events = defaultdict(list)
        for (pid, stage, day), source in unique.items():
            if stage in ORDER:
                self.events[pid].append((day, ORDER[stage], stage, source))
        for pid, rows in self.snapshots.items():
            if pid not in self.events:  # derived: each time it is seen at a new stage
                prev = None
                for r in rows:
                    s = _eff(r)
                    if s is None:
                        continue
                    if s != prev:
                        self.events[pid].append((r["as_of"], ORDER[s], s, "snapshot"))
                    prev = s
        for evs in self.events.values():
            evs.sort(key=lambda e: (e[0], e[1]))

    def facts(self, as_of):
        out = {}
        for pid, rows in self.snapshots.items():
            rows = [r for r in rows if r["as_of"] <= as_of]
            if not rows or rows[-1]["as_of"] != as_of:
                continue
            cur = rows[-1]
            evs = [e for e in self.events.get(pid, []) if e[0] <= as_of]
            seen = {e[1] for e in evs} | {ORDER[_eff(r)] for r in rows if _eff(r)}
            furthest = max(seen) if seen else None
            firsts = [o for o in ([evs[0][1]] if evs else []) + [ORDER[_eff(r)] for r in rows if _eff(r)][:1]]
            first = min(firsts) if firsts else None
            if cur["status"] in ("lost", "dropped"):
                outcome = cur["status"]
            elif furthest == LAST:
                outcome = "won"
            else:
                outcome = "open"
            cur_stage = "delivery" if outcome == "won" else _eff(cur)
            delivery_on = min((e[0] for e in evs if e[2] == "delivery"), default=None)
            run_start = None
            for r in reversed(rows):
                if _eff(r) != _eff(cur):
                    break
                run_start = r["as_of"]
            if evs and evs[-1][2] == cur_stage:
                entered = evs[-1][0]
            elif outcome == "won" and delivery_on is not None:
                entered = delivery_on
            else:
                entered = run_start
            close_seen = None
            for i, r in enumerate(rows):
                if r["status"] in CLOSED and (i == 0 or rows[i - 1]["status"] not in CLOSED):
                    close_seen = r["as_of"]
            closed_on = None
            if outcome == "won":
                closed_on = delivery_on or close_seen or as_of
            elif outcome in ("lost", "dropped"):
                closed_on = close_seen or as_of
            margins = [(r["as_of"], _margin(r)) for r in rows if _margin(r) is not None]
            out[pid] = dict(
                row=cur, furthest=furthest, first=first, seen=seen, outcome=outcome, cur_stage=cur_stage,
                cur_order=ORDER.get(cur_stage), entered=entered, closed_on=closed_on, margin=_margin(cur),
                earliest=margins[0][1] if margins else None, first_seen=rows[0]["as_of"],
                skipped={k for k in range(first + 1, furthest) if k not in seen} if furthest and first else set(),
            )
        return out

    # the analyses, each straight from its definition

    def funnel(self, as_of, keep=lambda f: True):
        facts = [f for f in self.facts(as_of).values() if keep(f)]
        out = []
        for code, s in ORDER.items():
            reached = sum(1 for f in facts if (f["furthest"] or 0) >= s)
            advanced = sum(1 for f in facts if (f["furthest"] or 0) > s)
            closed = sum(1 for f in facts if f["furthest"] == s and f["outcome"] in ("lost", "dropped"))
            out.append(dict(
                stage=code, reached=reached, n_advanced=advanced, n_closed_at_furthest=closed,
                n_open_here=sum(1 for f in facts if f["cur_order"] == s and f["outcome"] == "open"),
                n_won_here=sum(1 for f in facts if f["cur_order"] == s and f["outcome"] == "won"),
                n_lost_here=sum(1 for f in facts if f["cur_order"] == s and f["outcome"] == "lost"),
                n_dropped_here=sum(1 for f in facts if f["cur_order"] == s and f["outcome"] == "dropped"),
                n_skipped=sum(1 for f in facts if s in f["skipped"]),
                n_before_first_seen=sum(1 for f in facts if f["first"] is not None and f["first"] > s),
                expected_amount=sum((f["row"]["expected_amount"] or 0 for f in facts
                                     if (f["furthest"] or 0) >= s), Decimal(0)),
                decided_conversion=(advanced / (advanced + closed)) if s < LAST and advanced + closed else None,
            ))
        for i, row in enumerate(out):
            nxt = out[i + 1]["reached"] if i + 1 < len(out) else None
            row["step_conversion"] = nxt / row["reached"] if nxt is not None and row["reached"] else None
            row["cumulative_conversion"] = row["reached"] / out[0]["reached"] if out[0]["reached"] else None
        return out

    def aging(self, as_of):
        out = {}
        for pid, f in self.facts(as_of).items():
            if not (f["outcome"] == "open" or (f["outcome"] == "won" and f["row"]["status"] != "completed")):
                continue
            days = (as_of - f["entered"]).days if f["entered"] else None
            limit = T.age_limit(f["cur_stage"], f["row"]["customer_grade"]) if f["cur_stage"] else None
            out[pid] = (f["cur_stage"], f["entered"], days, limit,
                        bool(days is not None and limit is not None and days > limit))
        return out

    def margin_checks(self, as_of):
        facts = self.facts(as_of)
        ratios = defaultdict(list)
        for f in facts.values():
            amount = _amount(f["row"])
            if amount and amount > 0 and f["row"]["expense_actual"] is not None:
                ratios[f["row"]["customer_grade"]].append(float(f["row"]["expense_actual"]) / float(amount))
        out = {}
        for pid, f in facts.items():
            if f["outcome"] in ("lost", "dropped"):
                continue
            r, m = f["row"], f["margin"]
            floor = T.margin_floor_by_category.get(r["category"], T.margin_floor_by_grade.get(r["customer_grade"],
                                                                                             T.margin_floor))
            if m is not None and m < 0:
                out[(pid, "negative_margin")] = m
            if m is not None and m < floor:
                out[(pid, "below_floor")] = m
            if m is not None and f["earliest"] is not None and round((f["earliest"] - m) * 100, 9) >= T.erosion_points:
                out[(pid, "eroded")] = round((f["earliest"] - m) * 100, 9)
            cost = _cost(r)
            bid = float(r["bid_amount"]) if r["bid_amount"] is not None else None
            bid_margin = (bid - cost) / bid if bid and bid > 0 and cost is not None else m
            if (f["furthest"] or 0) >= ORDER["tender"] and bid_margin is not None and bid_margin < floor:
                out[(pid, "bid_below_floor")] = bid_margin
            if (f["furthest"] or 0) > ORDER["approval"] and m is None:
                out[(pid, "missing_estimate")] = None
            amount = _amount(r)
            peers = ratios.get(r["customer_grade"])
            if peers and amount and amount > 0 and r["expense_actual"] is not None:
                ratio, median = float(r["expense_actual"]) / float(amount), statistics.median(peers)
                if median > 0 and ratio > T.expense_ratio_factor * median:
                    out[(pid, "high_expense_ratio")] = ratio
        return out

    def waterfall(self, since, as_of):
        before, after = self.facts(since), self.facts(as_of)
        steps = defaultdict(Decimal)

        def open_amount(f):
            return (f["row"]["expected_amount"] or Decimal(0)) if f and f["outcome"] == "open" else Decimal(0)

        for pid in set(before) | set(after):
            b, a = before.get(pid), after.get(pid)
            ob, oa = bool(b and b["outcome"] == "open"), bool(a and a["outcome"] == "open")
            delta = open_amount(a) - open_amount(b)
            steps["start"] += open_amount(b)
            steps["end"] += open_amount(a)
            if ob and oa:
                steps["increased" if delta > 0 else "decreased"] += delta
            elif ob:
                steps["vanished" if a is None else a["outcome"]] += delta
            elif oa:
                if b is not None:
                    steps["reopened"] += delta
                elif a["first_seen"] > since:
                    steps["new"] += delta
                else:
                    steps["reappeared"] += delta
        return dict(steps)

    def win_rate(self, as_of, since=None):
        closed = [f for f in self.facts(as_of).values() if f["outcome"] != "open"
                  and f["closed_on"] <= as_of and (since is None or f["closed_on"] > since)]
        won = sum(1 for f in closed if f["outcome"] == "won")
        return won, len(closed)


def _eff(r):
    return "delivery" if r["status"] in ("won", "completed") else (r["stage"] if r["stage"] in ORDER else None)


def _amount(r):
    return r["contract_amount"] if r["contract_amount"] is not None else r["expected_amount"]


def _cost(r):
    amount = _amount(r)
    if amount is None:
        return None
    if r["estimated_cost"] is not None:
        return float(r["estimated_cost"])
    if r["estimated_margin"] is not None:
        return float(amount) * (1 - r["estimated_margin"])
    return None


def _margin(r):
    amount, cost = _amount(r), _cost(r)
    if amount is None or amount <= 0 or cost is None:
        return None
    return (float(amount) - cost) / float(amount)


# --- the comparisons ---------------------------------------------------------------------


def assert_agree(con, as_of, since=None):
    ref = Reference(con)
    f = Filters(allowed_regions=ALL_REGIONS, as_of=as_of)
    got = queries.run(con, "funnel", f).to_dicts()
    for mine, theirs in zip(got, ref.funnel(as_of), strict=True):
        for key, value in theirs.items():
            if isinstance(value, float):
                assert mine[key] == pytest.approx(value), (theirs["stage"], key)
            else:
                assert mine[key] == value, (theirs["stage"], key)
    east = sorted({r["region"] for rows in ref.snapshots.values() for r in rows if r["region"]})[:1]
    if east:
        sub = queries.run(con, "funnel", Filters(allowed_regions=ALL_REGIONS, as_of=as_of, region=tuple(east)))
        assert sub["reached"].to_list() == [r["reached"] for r in ref.funnel(as_of, lambda x: x["row"]["region"] == east[0])]

    aging = {r["project_id"]: (r["stage"], r["entered_on"], r["days_in_stage"], r["limit_days"], r["is_stalled"])
             for r in queries.run(con, "aging", f).iter_rows(named=True)}
    assert aging == ref.aging(as_of)

    checks = {(r["project_id"], r["check"]): r["value"] for r in queries.run(con, "margin", f).iter_rows(named=True)}
    expected = ref.margin_checks(as_of)
    assert set(checks) == set(expected)
    for key, value in expected.items():
        assert checks[key] == pytest.approx(value), key

    won, closed = ref.win_rate(as_of, since)
    w = queries.run(con, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=as_of, since=since))
    assert (w["n_won"][0], w["n_closed"][0]) == (won, closed)

    if since is not None:
        steps = dict(zip(*queries.run(con, "changes_summary", Filters(allowed_regions=ALL_REGIONS, as_of=as_of, since=since))
                         .select("step", "amount"), strict=True))
        for step, amount in ref.waterfall(since, as_of).items():
            assert steps[step] == amount, step
        assert all(v == 0 for k, v in steps.items() if k not in ref.waterfall(since, as_of))


def _bench_generate():
    spec = importlib.util.spec_from_file_location("bench_queries", ROOT / "bench" / "bench_queries.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def test_the_queries_agree_with_the_reference_on_generated_histories():
    con = store.connect_memory()
    _bench_generate()(con, 1500, n_snapshots=4, seed=11, refresh=False)
    # a third of the projects lose their history export: their stages come from the snapshots
    con.execute("delete from stage_events where hash(project_id) % 3 = 0")
    # and some history rows arrive twice
    con.execute("insert into stage_events select * from stage_events where hash(project_id) % 7 = 1")
    queries.refresh(con)
    dates = [r[0] for r in con.execute("select distinct as_of from project_snapshots order by 1").fetchall()]
    assert_agree(con, dates[-1], since=dates[-2])  # the week before: pairs stored at refresh
    assert_agree(con, dates[1], since=dates[0])
    assert_agree(con, dates[-1], since=dates[0])  # an earlier week: pairs computed on the fly
    # Both ways of pairing give the same rows, for every pair of snapshots and filter.
    for i, at in enumerate(dates):
        for since in [None, *dates[:i]]:
            for regions, grades in (([], []), (["华东"], []), (["华东", "西南"], ["A"])):
                args = {"at": at, "since": since,
                        "filters": Filters(allowed_regions=ALL_REGIONS, region=regions, grade=grades).params()["filters"]}
                sql = "select * from {}($at, $since, $filters, ['*']) order by project_id"
                stored = con.execute(sql.format("snapshot_pairs"), args).fetchall()
                computed = con.execute(sql.format("snapshot_pairs_computed"), args).fetchall()
                assert stored == computed, (at, since, regions, grades)
                assert stored or regions, (at, since)  # every snapshot has projects


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from dashboard.ingest import commit, prepare

    paths = [ROOT / "seeds" / n for n in ("2026-11-16_crm-export.csv", "2026-11-23_ledger.xlsx",
                                          "2026-11-23_stage-history.csv")]
    if not all(p.exists() for p in paths):
        pytest.skip("seed exports not found in seeds/")
    db = tmp_path_factory.mktemp("seeds") / "pipeline.duckdb"
    commit(db, [prepare(p.name, p.read_bytes()) for p in paths])
    return db


def test_the_queries_agree_with_the_reference_on_the_demo_seeds(seeded):
    con = store.connect_read_only(seeded)
    assert_agree(con, date(2026, 11, 23), since=date(2026, 11, 16))


def test_the_queries_agree_with_the_reference_on_the_maven_crm_export(tmp_path):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"third-party CRM exports not found at {SHARED_DATA} (they live outside the repo)")
    from dashboard.ingest import commit, load_mapping, prepare

    mapping, _ = load_mapping(ROOT / "mappings" / "maven-crm.toml").resolve_lookups(SHARED_DATA / "maven-crm")
    path = SHARED_DATA / "maven-crm" / "sales_pipeline.csv"
    db = tmp_path / "maven.duckdb"
    commit(db, [prepare(path.name, path.read_bytes(), as_of=date(2017, 12, 31), mapping=mapping)])
    con = store.connect_read_only(db)
    assert_agree(con, date(2017, 12, 31))
    # and what the numbers are: 4 238 won of 6 711 closed (the export's own Won/Lost counts)
    w = queries.run(con, "win_rate", Filters(allowed_regions=ALL_REGIONS, as_of=date(2017, 12, 31)))
    assert (w["n_won"][0], w["n_closed"][0]) == (4238, 4238 + 2473)
