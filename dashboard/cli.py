"""The `dashboard` command: ingest exports, list imports, run query modules, load or remove
the demo data, rebuild the derived tables, start the app (`serve --empty`: a first start
without the demo data), maintain the access list (`access list|grant|revoke`) and read the
audit (`audit`).

The command line is the server operator's tool and is NOT scoped by the access list: it
reads every region and writes as ``cli:<os user>`` (the audit says so). Give it only to
whoever runs the server (docs/DEPLOY.md).

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
from queries.dimensions import KEYS as DIMENSION_KEYS


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


def _existing_db(args: argparse.Namespace, missing: str) -> Path | None:
    """The database the command reads (``--db``, else the default), or None after saying on
    stderr that there is none (``missing`` ends the sentence: "yet", ": nothing to remove")."""
    db: Path = args.db or store.default_db_path()
    if db.exists():
        return db
    sep = "" if missing.startswith(":") else " "
    print(f"no database at {db}{sep}{missing}", file=sys.stderr)
    return None


def cmd_imports(args: argparse.Namespace) -> int:
    db = _existing_db(args, "yet: run `dashboard ingest FILE` first")
    if db is None:
        return 1
    hub = store.ReadHub(db)
    cur = hub.cursor()
    import queries

    df = queries.run(cur, "import_history", queries.Filters(allowed_regions=queries.ALL_REGIONS)).select(
        "import_id", "file_name", "kind", "sheet", "as_of", "rows_accepted", "rows_skipped", "imported_at", "status",
        "imported_by", "regions", "sha256",
    ).sort("import_id")
    _print_frame(df, args.format)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """`dashboard audit`: every import, removal, mapping and access change, newest first."""
    import queries

    db = _existing_db(args, "yet")
    if db is None:
        return 1
    store.ensure_database(db)  # an older file gets the audit table (empty)
    df = queries.runner.run_plain(store.ReadHub(db).cursor(), "audit_log", limit=args.limit)
    _print_frame(df, args.format)
    return 0


def cmd_access(args: argparse.Namespace) -> int:
    """`dashboard access list|grant|revoke`: the access list (unscoped operator tool)."""
    from dashboard import access

    db = args.db or store.default_db_path()
    if args.action == "list":
        if _existing_db(args, "yet") is None:
            return 1
        store.ensure_database(db)
        _print_frame(__import__("queries").runner.run_plain(store.ReadHub(db).cursor(), "access_list"), args.format)
        return 0
    if not args.principal:
        print(f"dashboard access {args.action}: give the e-mail address or group:NAME", file=sys.stderr)
        return 2
    actor = access.cli_operator().who
    try:
        if args.action == "grant":
            if not args.role:
                print("dashboard access grant: give --role " + "|".join(access.ROLES), file=sys.stderr)
                return 2
            p, role, regions = access.grant(db, args.principal, args.role, args.region or [], actor=actor, note=args.note)
            print(f"{p}: {role}, regions {', '.join(regions) if regions != ('*',) else 'all'} (by {actor})")
            return 0
        if access.revoke(db, args.principal, actor=actor):
            print(f"{access.normalize_principal(args.principal)}: removed from the access list (by {actor})")
            return 0
        print(f"{args.principal}: not on the access list; nothing changed", file=sys.stderr)
        return 1
    except access.AccessError as exc:
        print(f"dashboard access {args.action}: {exc}", file=sys.stderr)
        return 2
    except store.StoreBusy as exc:
        print(f"busy: {exc}; nothing changed", file=sys.stderr)
        return 3


def cmd_query(args: argparse.Namespace) -> int:
    import queries

    db = _existing_db(args, "yet: run `dashboard ingest FILE` first")
    if db is None:
        return 1
    filters = queries.Filters(
        as_of=args.as_of,
        since=args.since,
        selected={key: tuple(getattr(args, key) or ()) for key in DIMENSION_KEYS},
        # The command line is the server operator's tool: unscoped (docs/DEPLOY.md).
        allowed_regions=queries.ALL_REGIONS,
    )
    extra = {"by": args.by} if args.by else {}
    from queries.runner import RENAMED

    if args.name in RENAMED:
        print(f"note: query {args.name} is now called {RENAMED[args.name]} (same columns)", file=sys.stderr)
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
        if _existing_db(args, ": nothing to remove") is None:
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


def cmd_rebuild(args: argparse.Namespace) -> int:
    """`dashboard rebuild`: every derived table again from the stored rows (one write)."""
    import time

    db = _existing_db(args, ": nothing to rebuild")
    if db is None:
        return 1
    started = time.perf_counter()
    try:
        counts = store.rebuild(db)
    except store.StoreBusy as exc:
        print(f"busy: {exc}; nothing was changed", file=sys.stderr)
        return 3
    except store.StoreOutOfMemory as exc:
        print(f"dashboard rebuild: {exc.message('en')}", file=sys.stderr)
        return 1
    print(f"rebuilt the derived tables of {db} in {time.perf_counter() - started:.1f} s: "
          f"{counts['snapshot_dates']} snapshots, {counts['project_facts']:,} project rows, "
          f"{counts['stage_event_facts']:,} stage entries, {counts['pair_facts']:,} week-over-week pairs "
          f"(the newest weeks), {counts['sign_slips']:,} sign-date slips")
    return 0


def _option(args: list[str], name: str) -> str | None:
    """The value of a Streamlit ``--name value`` / ``--name=value`` option in ``args``."""
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _sign_in_configured(args: list[str]) -> bool:
    """An [auth] section in the secrets files Streamlit will read (the app checks it again)."""
    import tomllib

    given = _option(args, "--secrets.files")
    files = [Path(f) for f in given.strip("[]").split(",")] if given else [
        Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]
    for f in files:
        try:
            if "auth" in tomllib.loads(f.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def cmd_serve(args: argparse.Namespace) -> int:
    import subprocess

    from dashboard import demo

    app = Path(__file__).with_name("streamlit_app.py")
    extra = list(args.streamlit_args)
    if extra[:1] == ["--"]:  # `dashboard serve -- --server.port 8502`: the rest is Streamlit's
        extra = extra[1:]
    address = _option(extra, "--server.address")
    if address is None:  # loopback unless told otherwise: without sign-in the app refuses any other address
        extra = ["--server.address", "127.0.0.1", *extra]
    elif address not in ("127.0.0.1", "localhost", "::1") and not _sign_in_configured(extra) \
            and os.environ.get("PIPELINE_UNSAFE_NO_SIGN_IN_ON_NETWORK") != "1":
        print(f"dashboard serve: refused to serve {address} without sign-in: anyone who reaches it would see every "
              "region. Configure [auth] in .streamlit/secrets.toml (copy .streamlit/secrets.example.toml; "
              "docs/DEPLOY.md), or serve on 127.0.0.1.", file=sys.stderr)
        return 2
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

    p = sub.add_parser("audit", help="who imported, removed, mapped or changed access, and when (newest first)")
    _add_db(p)
    p.add_argument("--limit", type=int, default=None, help="at most this many rows")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("access", help="the access list: who sees which regions, who imports (operator tool, unscoped)")
    p.add_argument("action", choices=["list", "grant", "revoke"])
    p.add_argument("principal", nargs="?", help="an e-mail address, or group:NAME (a value of the sign-in's groups claim)")
    p.add_argument("--role", choices=["admin", "head_office", "regional", "regional_importer"])
    p.add_argument("--region", action="append", help="a region the entry sees (repeat; regional roles only)")
    p.add_argument("--note", help="free text: who this is")
    _add_db(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_access)

    p = sub.add_parser("query", help="run a query module and print its result")
    p.add_argument("name")
    _add_db(p)
    p.add_argument("--as-of", type=_date)
    p.add_argument("--since", type=_date)
    for key in DIMENSION_KEYS:  # queries/dimensions.py: --region, --grade, --owner, --category, --product-line
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, action="append", metavar=key.upper(),
                       help=f"keep only this {key.replace('_', ' ')} (repeat for several)")
    p.add_argument("--by", choices=list(DIMENSION_KEYS),
                   help="segment (funnel, win_rate, aging_summary, margin_summary, forecast, slips_summary, visits_mix, "
                        "visits_frequency, revisits_summary, receivables_aging; targets: region, owner or category)")
    p.add_argument("--project", help="project id (the `project`, `project_visits` and `project_money` queries)")
    p.add_argument("--all-snapshots", action="store_true",
                   help="win_probabilities: the probabilities learned at every snapshot up to --as-of, not only at it")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("demo", help="load the demo data into a database without real imports, or remove it")
    p.add_argument("action", choices=["load", "remove"])
    _add_db(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("rebuild", help="rebuild every derived table from the stored rows (imports keep them "
                                        "current; use after changing the data by hand)")
    _add_db(p)
    p.set_defaults(func=cmd_rebuild)

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
