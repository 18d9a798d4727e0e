"""Benchmark (not a test): what sign-in and the access list add to a rerun (issue 10:
"the access lookup must not add more than 20 ms to a rerun").

    python bench/bench_access.py                       # prints; --out FILE writes the Markdown
    python bench/bench_access.py --entries 1000 --rounds 5 --reps 15

1. A database: the demo exports imported as a company's own (10 weeks, ~1,800 projects),
   plus ``--entries`` access-list entries (e-mail and group principals, written in one
   transaction), so the lookup scans a realistic sales organisation's list.
2. The lookup itself, with no cache: ``access.lookup(cursor, email, groups)`` (the query
   ``access_list`` + matching), for a user matched by e-mail, by group, and unlisted.
3. A rerun of the weekly review in AppTest (the real app; the page's queries cached, as
   after the first view) in unsigned local mode vs signed in as head office (the same
   data: every region) — ``--rounds`` rounds, interleaved (local, signed, local, signed …),
   ``--reps`` reruns each; median wall ms per round. The difference is what the sign-in
   gate + the access lookup cost a rerun.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboard" / "streamlit_app.py")
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
                 "client_id": "dashboard", "client_secret": "s",
                 "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}}


def build(folder: Path, entries: int) -> Path:
    from dashboard import demo, ingest, store

    db = folder / "pipeline.duckdb"
    ingest.commit(db, demo.prepare_seeds(), actor="bench")
    regions = ["华东", "华南", "华北", "华中", "西南", "西北"]
    with store.write_transaction(db) as con:
        rows = [(f"user{i:05d}@example.com", "regional", [regions[i % 6]]) for i in range(entries - 50)]
        rows += [(f"group:team-{i:03d}", "regional", [regions[i % 6], regions[(i + 1) % 6]]) for i in range(49)]
        rows += [("head@example.com", "head_office", ["*"])]
        con.executemany("insert into access_list (principal, role, regions, granted_by, granted_at) "
                        "values (?, ?, ?, 'bench', now())", rows)
    return db


def median_ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def lookup_costs(db: Path, reps: int) -> dict[str, float]:
    from dashboard import access, store

    hub = store.ReadHub(db)
    cur = hub.cursor()
    cases = {"by e-mail (entry 900)": ("user00900@example.com", ()),
             "by group (3 groups)": ("x@example.com", ("team-007", "team-008", "other")),
             "unlisted": ("nobody@example.com", ("nothing",))}
    out = {}
    for label, (email, groups) in cases.items():
        access.lookup(cur, email, groups)  # warm
        out[label] = median_ms(lambda: access.lookup(cur, email, groups), reps)  # noqa: B023 (called here)
    hub.close()
    return out


def rerun_costs(db: Path, rounds: int, reps: int) -> list[tuple[float, float]]:
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    config.set_option("server.address", "127.0.0.1")
    os.environ["PIPELINE_DB"] = str(db)

    def app(signed: bool) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        if signed:
            at.secrets.update(AUTH)
            at.user = {"is_logged_in": True, "email": "head@example.com", "groups": []}
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        assert len(at.metric) > 0
        return at

    local, signed = app(False), app(True)
    for at in (local, signed):  # warm every cache
        at.run()
    out = []
    for _ in range(rounds):
        a = median_ms(local.run, reps)
        b = median_ms(signed.run, reps)
        out.append((a, b))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=1000, help="access-list entries (default 1000)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--lookup-reps", type=int, default=200)
    ap.add_argument("--out", help="write the Markdown result here")
    args = ap.parse_args(argv)
    started = datetime.now().strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = build(Path(tmp), args.entries)
        lookups = lookup_costs(db, args.lookup_reps)
        reruns = rerun_costs(db, args.rounds, args.reps)
    load_after = os.getloadavg()
    diffs = [b - a for a, b in reruns]
    lines = [
        f"### Sign-in on: what the access lookup adds to a rerun (issue 10), {started} UTC",
        "",
        f"Command: `python bench/bench_access.py --entries {args.entries} --rounds {args.rounds} --reps {args.reps}`; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.1f} before / {load_after[0]:.1f} after (shared machine).",
        "",
        f"The lookup alone, uncached (`access.lookup` on a read cursor, {args.entries} entries), median of "
        f"{args.lookup_reps}:",
        "",
        "| user | ms |",
        "|---|---|",
        *[f"| {k} | {v:.2f} |" for k, v in lookups.items()],
        "",
        "A rerun of the weekly review (AppTest, caches warm), unsigned local mode vs signed in as head "
        f"office (same data), interleaved; median of {args.reps} reruns per round:",
        "",
        "| round | local mode ms | signed in ms | difference ms |",
        "|---|---|---|---|",
        *[f"| {i + 1} | {a:.1f} | {b:.1f} | {b - a:+.1f} |" for i, (a, b) in enumerate(reruns)],
        "",
        f"Median difference {statistics.median(diffs):+.1f} ms (spread {min(diffs):+.1f} … {max(diffs):+.1f}); "
        f"target: ≤ 20 ms.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
