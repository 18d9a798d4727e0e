"""Where the bytes of a history store go: build N projects x W weekly exports through the
product's import path (bench_history.build) and print each table's size (DuckDB storage
blocks), columns and rows.

    python3 bench/probe_sizes.py 100000 20 /tmp/h20/h.duckdb   (from the repository root)

An existing file is measured as it is (no build). Results: bench/results/history.md."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
import bench_history  # noqa: E402  (beside this file)

BLOCK = 262144  # DuckDB's default block size


def main(n: int, weeks: int, db: Path) -> None:
    if not db.exists():
        print(f"build {n:,} x {weeks} weeks: {bench_history.build(db, n, range(0, weeks), db.parent):.0f} s")
    con = duckdb.connect(str(db), read_only=True)
    print(f"file {db.stat().st_size / 2**20:,.1f} MB")
    tables = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database()").fetchall()]
    rows = []
    for t in tables:  # names from the catalog, not from input
        blocks = con.execute(f"select count(distinct block_id) from pragma_storage_info('{t}') where block_id >= 0").fetchone()
        cols = con.execute("select count(*) from duckdb_columns() where table_name = $t and database_name = current_database()",
                           {"t": t}).fetchone()
        count = con.execute(f"select count(*) from {t}").fetchone()
        rows.append((t, (blocks[0] if blocks else 0) * BLOCK / 2**20, cols[0] if cols else 0, count[0] if count else 0))
    for t, mb, ncols, nrows in sorted(rows, key=lambda r: -r[1]):
        print(f"{t:28s} {mb:8.1f} MB  {ncols:3d} columns  {nrows:>12,} rows")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
