"""The `dashboard` command: ingest exports, list imports, run query modules, load or remove
the demo data, start the app (`serve --empty`: a first start without the demo data).

Same functions as the pages use (dashboard.ingest, queries); no streamlit import here
except in `serve`, which only launches the server process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

import polars as pl

from dashboard import store


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the DuckDB file (default: $PIPELINE_DB or {store.DEFAULT_DB_PATH})",
    )


def _print_frame(df: pl.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(df.write_csv())
    elif fmt == "json":
        sys.stdout.write(json.dumps(df.to_dicts(), ensure_ascii=False, default=str, indent=1) + "\n")
    else:
        with pl.Config(tbl_rows=200, tbl_cols=30, fmt_str_lengths=40, tbl_width_chars=200):
            print(df)


def cmd_imports(args: argparse.Namespace) -> int:
    db = args.db or store.default_db_path()
    if not db.exists():
        print(f"no database at {db} yet: run `dashboard ingest FILE` first", file=sys.stderr)
        return 1
    hub = store.ReadHub(db)
    cur = hub.cursor()
    df = cur.sql(
        "select import_id, file_name, kind, sheet, as_of, rows_accepted, rows_skipped, "
        "imported_at, status, sha256 from imports order by import_id"
    ).pl()
    _print_frame(df, args.format)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import queries

    db = args.db or store.default_db_path()
    if not db.exists():
        print(f"no database at {db} yet: run `dashboard ingest FILE` first", file=sys.stderr)
        return 1
    filters = queries.Filters(
        as_of=args.as_of,
        since=args.since,
        regions=tuple(args.region or ()),
        grades=tuple(args.grade or ()),
        owners=tuple(args.owner or ()),
        categories=tuple(args.category or ()),
    )
    extra = {"by": args.by} if args.by else {}
    if args.project:
        extra["project_id"] = args.project
    if args.all_snapshots:
        extra["all_snapshots"] = True
    cur = store.ReadHub(db).cursor()
    try:
        df = queries.run(cur, args.name, filters, **extra)
    except (KeyError, ValueError) as exc:
        print(f"dashboard query: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    _print_frame(df, args.format)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from dashboard import ingest

    db = args.db or store.default_db_path()
    return ingest.cli_ingest(db, args.files, as_of=args.as_of, mapping_path=args.mapping, out=sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    """`dashboard demo load|remove`: the demo data in one step (it never mixes with real data)."""
    from dashboard import demo, ingest

    db = args.db or store.default_db_path()
    if args.action == "remove":
        if not db.exists():
            print(f"no database at {db}: nothing to remove", file=sys.stderr)
            return 1
        try:
            removed = demo.remove(db)
        except store.StoreBusy as exc:
            print(f"busy: {exc}; nothing was removed", file=sys.stderr)
            return 3
        if not removed:
            print(f"no demo data in {db}: nothing removed")
        else:
            print(f"removed the demo data from {db}: {len(removed)} imports "
                  f"({', '.join(str(r.import_id) for r in removed)}), "
                  f"{sum(r.snapshot_rows_removed for r in removed):,} snapshot rows; your own imports are untouched")
        return 0
    try:
        results = demo.load_seeds(db)
    except ingest.DemoRefused as exc:
        print(f"dashboard demo load: {exc}", file=sys.stderr)
        return 1
    changed = sum(r.changed_anything for r in results)
    print(f"demo data in {db}: {len(results)} files ({changed} imported now, {len(results) - changed} already there); "
          "every page says so until you import your own exports or run `dashboard demo remove`")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import subprocess

    from dashboard import demo

    app = Path(__file__).with_name("streamlit_app.py")
    extra = list(args.streamlit_args)
    if extra[:1] == ["--"]:  # `dashboard serve -- --server.port 8502`: the rest is Streamlit's
        extra = extra[1:]
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), *extra]
    # glibc keeps freed memory per thread, and Streamlit runs a thread per session:
    # without this the server kept ~400 MB more after 40 sessions (bench/results/ui.md).
    env = {"MALLOC_ARENA_MAX": "2", **os.environ}
    if args.empty:
        env[demo.DEMO_ENV] = "0"
    return subprocess.call(cmd, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dashboard", description="Key-account pipeline dashboard")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="import CSV/XLSX exports into the database")
    p.add_argument("files", nargs="+", type=Path)
    _add_db(p)
    p.add_argument("--as-of", type=_date, help="snapshot date (default: from the file name or title, else today)")
    p.add_argument("--mapping", type=Path, help="a mapping TOML for another CRM's columns and stages")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("imports", help="list the import history")
    _add_db(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser("query", help="run a query module and print its result")
    p.add_argument("name")
    _add_db(p)
    p.add_argument("--as-of", type=_date)
    p.add_argument("--since", type=_date)
    p.add_argument("--region", action="append")
    p.add_argument("--grade", action="append")
    p.add_argument("--owner", action="append")
    p.add_argument("--category", action="append")
    p.add_argument("--by", choices=["region", "grade", "owner", "category"],
                   help="segment (funnel, win_rate, aging_summary, margin_summary, forecast, slips_summary)")
    p.add_argument("--project", help="project id (the `project` query)")
    p.add_argument("--all-snapshots", action="store_true",
                   help="win_probabilities: the probabilities learned at every snapshot up to --as-of, not only at it")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("demo", help="load the demo data into a database without real imports, or remove it")
    p.add_argument("action", choices=["load", "remove"])
    _add_db(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="start the Streamlit dashboard (after `--`, extra args go to streamlit)")
    p.add_argument("--empty", action="store_true",
                   help="on a first start (no database yet) create an empty one instead of loading the demo data")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # `dashboard imports | head`: the reader left; not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
