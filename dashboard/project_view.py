"""What the project page shows, computed without Streamlit: the stage timeline and the
flags in words.

The timeline is drawn from the SQL's own flags, never from a rule of its own, so the
timeline and the flags beside it cannot disagree:

* a stay is coloured by the flags of the entry that began it (``project_events``, the rows
  of ``stage_event_facts``): ``is_fall_back`` -> "back", ``is_date_out_of_order`` ->
  "out_of_order" (a wide export's date earlier than a lower stage's date: a data error,
  not a fall-back), ``n_stages_skipped`` > 0 -> "skip", else "next" ("start" for the
  first entry);
* a diamond marks each stage the ``process_exceptions`` query flags ``skipped_stage``
  (stages between the first recorded and the furthest stage never entered nor seen), on
  the date of the first entry past it.

Input frames are the ones ``queries.project_detail`` returns. Must not import streamlit.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from dashboard import i18n, pymap
from dashboard.config import get_config

SEGMENT_SCHEMA = {"stage": pl.String, "start": pl.Date, "end": pl.Date, "move": pl.String, "stage_order": pl.Int64}
SKIP_SCHEMA = {"stage": pl.String, "on": pl.Date, "entered": pl.String, "stage_order": pl.Int64}
# project_events' columns the timeline reads
EVENT_COLUMNS = ("seq", "stage", "stage_order", "entered_on", "left_on", "is_fall_back", "n_stages_skipped",
                 "is_date_out_of_order")


def _move(r: dict, first: bool) -> str:
    if first:
        return "start"
    if r["is_fall_back"]:
        return "back"
    if r["is_date_out_of_order"]:
        return "out_of_order"
    return "skip" if (r["n_stages_skipped"] or 0) > 0 else "next"


def timeline_segments(events: pl.DataFrame, end: date | None) -> pl.DataFrame:
    """One bar per stay, in the SQL's entry order (``seq``): stage, start, end (when it was
    left; else ``end``, the snapshot date), how the move into it is flagged (``move``:
    start | next | skip | back | out_of_order) and the stage's order. A same-day stay is
    one day long, so it still shows."""
    rows = events.select(*EVENT_COLUMNS).filter(pl.col("entered_on").is_not_null()).sort("seq").to_dicts()
    out = []
    for i, r in enumerate(rows):
        until = r["left_on"] or end or r["entered_on"]
        if until <= r["entered_on"]:
            until = r["entered_on"] + timedelta(days=1)  # a same-day move still shows as a sliver
        out.append({"stage": r["stage"], "start": r["entered_on"], "end": until, "move": _move(r, i == 0),
                    "stage_order": r["stage_order"]})
    return pl.DataFrame(out, schema=SEGMENT_SCHEMA)


def timeline_skips(events: pl.DataFrame, flags: pl.DataFrame, end: date | None = None) -> pl.DataFrame:
    """One row per stage the flags call skipped (``skipped_stage``): on the date of the first
    entry past it, and the stage that entry entered (the snapshot date ``end`` when no
    entry is past it: the furthest stage was seen in a snapshot only)."""
    cfg = get_config()
    skipped = flags.filter(pl.col("flag") == "skipped_stage").get_column("stage").unique().to_list()
    rows = events.select(*EVENT_COLUMNS).filter(pl.col("entered_on").is_not_null()).sort("seq").to_dicts()
    out = []
    for code in skipped:
        try:
            order = cfg.stage_order(code)
        except KeyError:
            continue
        past = next((r for r in rows if r["stage_order"] > order), None)
        on = past["entered_on"] if past else end
        if on is None:
            continue
        out.append({"stage": code, "on": on, "entered": past["stage"] if past else None, "stage_order": order})
    return pl.DataFrame(out, schema=SKIP_SCHEMA).sort("stage_order")


def flag_label(code: str, lang: str) -> str:
    """A flag's name in words: a margin check's, else a process exception's (stalled,
    repeated_slips and the process exceptions share EXCEPTION_NAMES)."""
    return i18n.check_label(code, lang) if code in i18n.CHECK_NAMES else i18n.exception_label(code, lang)


def flag_detail(r: dict, lang: str) -> str:
    """A flag's detail in words, from its row (flag, value, threshold, stage, detail)."""
    if r["flag"] in i18n.CHECK_NAMES:
        return r["detail_zh"] if lang == "zh" else r["detail"]
    if r["flag"] == "stalled":
        return i18n.stalled_detail(r["value"], r["stage"], r["threshold"], lang)
    if r["flag"] == "repeated_slips":
        return i18n.slips_detail(r["value"], r["threshold"], lang)
    return i18n.exception_detail(r["flag"], r["stage"], lang, r["detail"])


def flags_in_words(flags: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The project's flags as the page lists them: flag (its name in words), severity,
    stage, on_date, detail (in words)."""
    return flags.with_columns(
        pymap.rows(flags, ["flag", "value", "threshold", "detail", "detail_zh", "stage"], lambda r: flag_detail(r, lang),
                   name="detail"),
        pymap.values(flags, "flag", lambda c: flag_label(c, lang)),
    ).select("flag", "severity", "stage", "on_date", "detail")
