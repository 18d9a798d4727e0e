"""The demo data: every export in ``seeds/`` imported through the same importer as an
upload, in file-name order (= as-of order), in one commit, marked as demo data.

The app calls :func:`load_seeds` on first start when there is no database yet
(``dashboard/data.py``; ``PIPELINE_DEMO=0`` starts empty instead); ``seeds/README.md``
says what the files are and which problems they carry. A seed file that the importer
refuses is a bug in the seeds or the importer, so loading fails loudly (nothing is
written) instead of starting on partial data.

Demo data never mixes with a company's own: its imports are marked ``is_demo``, every
page shows a banner while they are loaded, the first real import removes them in the same
transaction (``dashboard.ingest.commit``), :func:`remove` takes them out in one step
(the Data page's button, ``dashboard demo remove``), and they are refused into a
database that holds real imports.
Must not import streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dashboard import ingest

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SEED_SUFFIXES = (".csv", ".xlsx")
# PIPELINE_DEMO=0 (`make run DEMO=0`, `dashboard serve --empty`): a first start makes an
# empty database instead of loading the demo data.
DEMO_ENV = "PIPELINE_DEMO"


DEMO_ACTOR = "demo data (seeds/)"  # who the audit says loaded it


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether a first start (no database yet) loads the demo data: yes unless PIPELINE_DEMO
    is 0 / false / no / off."""
    return environ.get(DEMO_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class SeedsRefused(RuntimeError):
    """A seed file did not prepare cleanly; nothing was imported."""


def seed_files(seeds_dir: str | os.PathLike = SEEDS_DIR) -> list[Path]:
    """The exports in ``seeds_dir`` in load order (file name; the names start with the as-of date)."""
    folder = Path(seeds_dir)
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SEED_SUFFIXES),
        key=lambda p: p.name,
    ) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(f"no demo exports (*.csv, *.xlsx) in {folder}; run `make seeds`")
    return files


def prepare_seeds(seeds_dir: str | os.PathLike = SEEDS_DIR) -> list[ingest.Prepared]:
    """Every seed file prepared (parsed and checked in its own child process, a few at a
    time: each takes ~0.4 s, mostly process start-up), in load order. No database."""
    files = seed_files(seeds_dir)
    workers = max(1, min(4, os.cpu_count() or 1, len(files)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: ingest.prepare(p.name, p.read_bytes()), files))


def load_seeds(db_path: str | Path, seeds_dir: str | os.PathLike = SEEDS_DIR) -> list[ingest.CommitResult]:
    """Prepare every seed file and commit them all in one transaction, marked as demo data
    (the database file is created if missing). Returns one CommitResult per file, in load
    order; loading the same seeds again changes nothing (each result says 'unchanged').
    Raises ingest.DemoRefused, writing nothing, when the database holds real imports."""
    prepared = prepare_seeds(seeds_dir)
    refused = [p for p in prepared if not p.report.ok]
    if refused:
        first = refused[0].report.errors[0] if refused[0].report.errors else None
        detail = f": {first.en}" if first is not None else ""
        names = ", ".join(p.report.file_name for p in refused)
        raise SeedsRefused(f"demo data refused by the importer ({names}){detail}")
    return ingest.commit(db_path, prepared, demo=True, actor=DEMO_ACTOR)


def remove(db_path: str | Path) -> list[ingest.RemoveResult]:
    """Take every active demo import out in one write transaction ([] when there is none)."""
    return ingest.remove_imports(db_path, ingest.demo_imports(db_path))
