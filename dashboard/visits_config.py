"""``[visits]`` of dashboard/domain.toml (issue 13): the visit quota, alert and revisit
limits, frequency targets by grade, and the words and headers of visit reports.

Read from the same file as dashboard/config.py (``DomainConfig.path``), validated here so
a wrong value fails on start with the file and key named. Plain data: no streamlit, no
duckdb.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dashboard.config import DomainConfig, get_config, normalize

PURPOSES = ("order", "collection", "development", "service", "other")
CATEGORIES = ("development", "new", "existing")
VISIT_FIELDS = ("visit_on", "reporter", "region", "seq", "customer", "contact", "visit_time", "purpose", "result",
                "customer_category", "revisit_on", "notes", "project_id")


@dataclass(frozen=True)
class VisitSettings:
    quota_per_working_day: float
    revisit_missed_after_days: int
    four_visit_min: int
    frequency_window_days: int
    alert_days: dict[str, int]
    target_per_30_days: dict[str, float]
    headers: dict[str, tuple[str, ...]]
    purpose_words: dict[str, str]  # normalised word -> purpose code
    category_words: dict[str, str]  # normalised word -> category code



def _words(raw: dict[str, Any], codes: tuple[str, ...], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, words in raw.items():
        if code not in codes:
            raise ValueError(f"{where}: {code!r} is not one of {codes}")
        for w in (code, *words):
            key = normalize(w)
            if out.get(key, code) != code:
                raise ValueError(f"{where}: {w!r} is listed for both {out[key]!r} and {code!r}")
            out[key] = code
    return out


def parse_visits(raw: dict[str, Any], path: Path, grades: tuple[str, ...]) -> VisitSettings:
    v = raw.get("visits")
    if v is None:
        raise ValueError(f"{path}: the [visits] table is missing (see dashboard/domain.toml)")
    keys = ("quota_per_working_day", "revisit_missed_after_days", "four_visit_min", "frequency_window_days",
            "alert_days", "target_per_30_days", "headers", "purpose_words", "category_words")
    missing = [k for k in keys if k not in v]
    if missing:
        raise ValueError(f"{path}: [visits] lacks {missing}")
    for key in ("alert_days", "target_per_30_days"):
        unknown = [g for g in v[key] if g not in grades]
        if unknown:
            raise ValueError(f"{path}: [visits.{key}] has unknown grades {unknown}; use {list(grades)}")
    unknown = [f for f in v["headers"] if f not in VISIT_FIELDS]
    if unknown:
        raise ValueError(f"{path}: [visits.headers] has unknown fields {unknown}; use {list(VISIT_FIELDS)}")
    s = VisitSettings(
        quota_per_working_day=float(v["quota_per_working_day"]),
        revisit_missed_after_days=int(v["revisit_missed_after_days"]),
        four_visit_min=int(v["four_visit_min"]),
        frequency_window_days=int(v["frequency_window_days"]),
        alert_days={g: int(d) for g, d in v["alert_days"].items()},
        target_per_30_days={g: float(t) for g, t in v["target_per_30_days"].items()},
        headers={f: tuple(a) for f, a in v["headers"].items()},
        purpose_words=_words(v["purpose_words"], PURPOSES, f"{path}: [visits.purpose_words]"),
        category_words=_words(v["category_words"], CATEGORIES, f"{path}: [visits.category_words]"),
    )
    if s.quota_per_working_day < 0 or s.revisit_missed_after_days < 0 or s.four_visit_min < 1 or s.frequency_window_days < 1:
        raise ValueError(f"{path}: [visits] quota and days must be >= 0, four_visit_min and frequency_window_days >= 1")
    return s


@lru_cache(maxsize=4)
def _load(path: str, grades: tuple[str, ...]) -> VisitSettings:
    with open(path, "rb") as fh:
        return parse_visits(tomllib.load(fh), Path(path), grades)


def visit_settings(config: DomainConfig | None = None) -> VisitSettings:
    """The ``[visits]`` settings of ``config`` (default: the configuration in force)."""
    config = config or get_config()
    return _load(str(config.path), tuple(config.grades))


# --- [collections] -----------------------------------------------------------------------------

ENTRIES = ("contract", "invoice", "payment")
COLLECTION_FIELDS = ("project_id", "project_name", "customer", "contract_amount", "invoiced_amount", "collected_amount",
                     "invoice_on", "payment_on", "receivable_amount", "due_on", "entry", "amount", "entry_on")


@dataclass(frozen=True)
class CollectionSettings:
    won_uncollected_days: int
    headers: dict[str, tuple[str, ...]]
    entry_words: dict[str, str]  # normalised word -> entry code



def parse_collections(raw: dict[str, Any], path: Path) -> CollectionSettings:
    c = raw.get("collections")
    if c is None:
        raise ValueError(f"{path}: the [collections] table is missing (see dashboard/domain.toml)")
    missing = [k for k in ("won_uncollected_days", "headers", "entry_words") if k not in c]
    if missing:
        raise ValueError(f"{path}: [collections] lacks {missing}")
    unknown = [f for f in c["headers"] if f not in COLLECTION_FIELDS]
    if unknown:
        raise ValueError(f"{path}: [collections.headers] has unknown fields {unknown}; use {list(COLLECTION_FIELDS)}")
    s = CollectionSettings(
        won_uncollected_days=int(c["won_uncollected_days"]),
        headers={f: tuple(a) for f, a in c["headers"].items()},
        entry_words=_words(c["entry_words"], ENTRIES, f"{path}: [collections.entry_words]"),
    )
    if s.won_uncollected_days < 0:
        raise ValueError(f"{path}: [collections] won_uncollected_days must be >= 0")
    return s


@lru_cache(maxsize=4)
def _load_collections(path: str) -> CollectionSettings:
    with open(path, "rb") as fh:
        return parse_collections(tomllib.load(fh), Path(path))


def collection_settings(config: DomainConfig | None = None) -> CollectionSettings:
    """The ``[collections]`` settings of ``config`` (default: the configuration in force)."""
    config = config or get_config()
    return _load_collections(str(config.path))
