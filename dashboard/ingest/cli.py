"""``dashboard ingest FILE…``: the same prepare/commit the upload page uses, for a terminal.

Prints, per file, the report summary and the as-of date it used; refuses the whole batch
(exit 1, one-line reason last) when any file has errors; says exactly what to do when
another writer holds the database. No streamlit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TextIO

from dashboard import store
from dashboard.ingest.load import commit, demo_imports, demo_removal_note
from dashboard.ingest.mapping import MappingError, load_mapping
from dashboard.ingest.isolated import prepare

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_BUSY = 3


def cli_ingest(
    db_path: str | Path,
    paths: list[Path],
    *,
    as_of: date | None,
    mapping_path: Path | None,
    out: TextIO,
    lang: str = "en",
    lock_timeout_s: float = 60.0,
) -> int:
    db_path = Path(db_path)
    mapping = None
    if mapping_path is not None:
        try:
            mapping = load_mapping(mapping_path)
        except (OSError, MappingError) as exc:
            print(f"dashboard ingest: cannot use mapping {mapping_path}: {exc}", file=out)
            return EXIT_USAGE
    prepared = []
    for path in map(Path, paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"dashboard ingest: cannot read {path}: {exc.strerror or exc}", file=out)
            return EXIT_USAGE
        file_mapping = mapping
        if mapping is not None and mapping_path is not None and mapping.lookups:
            file_mapping, notes = mapping.resolve_lookups(path.parent, Path(mapping_path).parent)
            for note in notes:
                print(f"note: {note}", file=out)
        prep = prepare(path.name, data, as_of=as_of, mapping=file_mapping)
        prepared.append(prep)
        print(prep.report.summary(lang), file=out)
        for line in prep.report.messages(lang):
            print(f"  {line}", file=out)
    refused = [p for p in prepared if not p.ok]
    if refused:
        names = ", ".join(f"{p.report.file_name} ({len(p.report.errors)} errors)" for p in refused)
        print(f"refused: {names}; nothing was imported (fix the rows listed above and run the same command again)", file=out)
        return EXIT_REFUSED
    demo = demo_imports(db_path)
    if demo:  # said before the write, like the Data page's report
        print(demo_removal_note(len(demo), lang), file=out)
    try:
        results = commit(db_path, prepared, lock_timeout_s=lock_timeout_s)
    except store.StoreBusy:
        print(
            f"busy: another import is writing {db_path} right now; nothing was imported — wait until it "
            "finishes and run the same command again (a running dashboard does not block imports)",
            file=out,
        )
        return EXIT_BUSY
    except store.StoreOutOfMemory as exc:
        print(f"refused: {exc.message(lang)}", file=out)
        return EXIT_REFUSED
    for res in results:
        print(res.message(lang), file=out)
    if results and results[0].demo_removed:
        print(demo_removal_note(len(results[0].demo_removed), lang, done=True), file=out)
    print(f"database: {db_path}", file=out)
    return 0
