"""The domain configuration: stages, grades, stage/status words, header aliases, thresholds,
the forecast's rules, and (issue 13) the visit and collection settings.

Owns reading ``dashboard/domain.toml`` (or the file named by ``PIPELINE_CONFIG``) into a
frozen, typed object, and the one text-normalisation rule every matcher uses.
Must not import streamlit, duckdb or anything from ingest/queries.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path(__file__).with_name("domain.toml")

STATUSES = ("open", "won", "lost", "dropped", "completed")

# What the analyses need to know about a stage (``role`` in domain.toml): every role is
# given to exactly one stage; ``first`` must be the first stage and ``won`` the last.
STAGE_ROLES = ("first", "approval", "bid", "won")

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Fold a header/stage/status word for matching: NFKC (full-width -> half-width),
    lower case, no white space at all. ``'预计签约金额 （万元）'`` -> ``'预计签约金额(万元)'``."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).lower()


@dataclass(frozen=True)
class Stage:
    code: str
    order: int  # 1..n, as listed
    zh: str
    en: str
    milestone_zh: str
    milestone_en: str
    role: str | None = None  # one of STAGE_ROLES, or none

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Thresholds:
    margin_floor: float
    erosion_points: float
    expense_ratio_factor: float
    amount_change_share: float
    margin_change_points: float
    margin_floor_by_category: dict[str, float] = field(default_factory=dict)
    margin_floor_by_grade: dict[str, float] = field(default_factory=dict)
    stage_age_limit_days: dict[str, int] = field(default_factory=dict)
    stage_age_limit_days_by_grade: dict[str, dict[str, int]] = field(default_factory=dict)

    def age_limit(self, stage: str, grade: str | None) -> int:
        by_grade = self.stage_age_limit_days_by_grade.get(grade or "", {})
        return int(by_grade.get(stage, self.stage_age_limit_days[stage]))


@dataclass(frozen=True)
class ForecastSettings:
    """``[forecast]`` in domain.toml: the Beta prior, commit / best-case rules, slip flag."""

    prior_strength: float
    commit_stages: tuple[str, ...]
    commit_stable_days: int
    best_case_stages: tuple[str, ...]
    slip_flag_count: int


# --- [visits] and [collections] (issue 13) ------------------------------------------------

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


def _section(raw: dict[str, Any], name: str, keys: tuple[str, ...], path: Path) -> dict[str, Any]:
    """The table ``[name]`` of domain.toml, which must hold every key of ``keys``."""
    table = raw.get(name)
    if table is None:
        raise ValueError(f"{path}: the [{name}] table is missing (see dashboard/domain.toml)")
    missing = [k for k in keys if k not in table]
    if missing:
        raise ValueError(f"{path}: [{name}] lacks {missing}")
    return table


def _only(found: dict[str, Any], allowed: tuple[str, ...], message: str) -> None:
    unknown = [k for k in found if k not in allowed]
    if unknown:
        raise ValueError(f"{message} {unknown}; use {list(allowed)}")


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


def _visits(raw: dict[str, Any], path: Path, grades: tuple[str, ...]) -> VisitSettings:
    v = _section(raw, "visits", ("quota_per_working_day", "revisit_missed_after_days", "four_visit_min",
                                 "frequency_window_days", "alert_days", "target_per_30_days", "headers",
                                 "purpose_words", "category_words"), path)
    for key in ("alert_days", "target_per_30_days"):
        _only(v[key], grades, f"{path}: [visits.{key}] has unknown grades")
    _only(v["headers"], VISIT_FIELDS, f"{path}: [visits.headers] has unknown fields")
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


# --- [collections] -----------------------------------------------------------------------------

ENTRIES = ("contract", "invoice", "payment")
COLLECTION_FIELDS = ("project_id", "project_name", "customer", "contract_amount", "invoiced_amount", "collected_amount",
                     "invoice_on", "payment_on", "receivable_amount", "due_on", "entry", "amount", "entry_on")


@dataclass(frozen=True)
class CollectionSettings:
    won_uncollected_days: int
    headers: dict[str, tuple[str, ...]]
    entry_words: dict[str, str]  # normalised word -> entry code


def _collections(raw: dict[str, Any], path: Path) -> CollectionSettings:
    c = _section(raw, "collections", ("won_uncollected_days", "headers", "entry_words"), path)
    _only(c["headers"], COLLECTION_FIELDS, f"{path}: [collections.headers] has unknown fields")
    s = CollectionSettings(
        won_uncollected_days=int(c["won_uncollected_days"]),
        headers={f: tuple(a) for f, a in c["headers"].items()},
        entry_words=_words(c["entry_words"], ENTRIES, f"{path}: [collections.entry_words]"),
    )
    if s.won_uncollected_days < 0:
        raise ValueError(f"{path}: [collections] won_uncollected_days must be >= 0")
    return s


@dataclass(frozen=True)
class DomainConfig:
    path: Path
    stages: tuple[Stage, ...]
    grades: tuple[str, ...]
    stage_names: dict[str, str]  # normalized word -> stage code
    status_words: dict[str, str]  # normalized word -> status
    headers: dict[str, tuple[str, ...]]  # canonical -> aliases as written in the file
    thresholds: Thresholds
    forecast: ForecastSettings
    visits: VisitSettings  # [visits] (issue 13)
    collections: CollectionSettings  # [collections] (issue 13)

    @property
    def stage_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.stages)

    def stage(self, code: str) -> Stage:
        for s in self.stages:
            if s.code == code:
                return s
        raise KeyError(code)

    def stage_order(self, code: str) -> int:
        return self.stage(code).order

    def role_stage(self, role: str) -> Stage:
        """The stage with this role (``won`` -> delivery in the shipped config)."""
        for s in self.stages:
            if s.role == role:
                return s
        raise KeyError(role)

    def header_index(self) -> dict[str, str]:
        """normalized alias -> canonical field; an alias listed twice is a config error."""
        index: dict[str, str] = {}
        for canonical, aliases in self.headers.items():
            for alias in (canonical, *aliases):
                key = normalize(alias)
                if index.get(key, canonical) != canonical:
                    raise ValueError(
                        f"{self.path}: header alias {alias!r} is listed for both "
                        f"{index[key]!r} and {canonical!r}"
                    )
                index[key] = canonical
        return index


def _stages(raw: list[dict[str, Any]], path: Path) -> tuple[Stage, ...]:
    stages = tuple(
        Stage(
            code=s["code"],
            order=i,
            zh=s["zh"],
            en=s["en"],
            milestone_zh=s.get("milestone_zh", ""),
            milestone_en=s.get("milestone_en", ""),
            role=s.get("role"),
        )
        for i, s in enumerate(raw, start=1)
    )
    codes = [s.code for s in stages]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"{path}: stage codes listed twice: {twice}")
    roles = [s.role for s in stages if s.role is not None]
    unknown = sorted({r for r in roles if r not in STAGE_ROLES})
    if unknown:
        raise ValueError(f"{path}: unknown stage roles {unknown}; use {list(STAGE_ROLES)}")
    for role in STAGE_ROLES:
        if roles.count(role) != 1:
            raise ValueError(f"{path}: exactly one stage must have role = {role!r} (found {roles.count(role)}); "
                             f"give each of {list(STAGE_ROLES)} to one [[stages]] row, as the shipped "
                             f"dashboard/domain.toml does")
    if stages[0].role != "first" or stages[-1].role != "won":
        raise ValueError(f"{path}: the stage with role 'first' must be listed first and the one "
                         f"with role 'won' last")
    return stages


def _forecast(raw: dict[str, Any] | None, codes: set[str], path: Path) -> ForecastSettings:
    if raw is None:
        raise ValueError(f"{path}: the [forecast] table is missing (see dashboard/domain.toml)")
    keys = ("prior_strength", "commit_stages", "commit_stable_days", "best_case_stages", "slip_flag_count")
    missing = [k for k in keys if k not in raw]
    if missing:
        raise ValueError(f"{path}: [forecast] lacks {missing}")
    f = ForecastSettings(
        prior_strength=float(raw["prior_strength"]),
        commit_stages=tuple(raw["commit_stages"]),
        commit_stable_days=int(raw["commit_stable_days"]),
        best_case_stages=tuple(raw["best_case_stages"]),
        slip_flag_count=int(raw["slip_flag_count"]),
    )
    if f.prior_strength <= 0:
        raise ValueError(f"{path}: [forecast] prior_strength must be > 0, got {f.prior_strength}")
    for key in ("commit_stages", "best_case_stages"):
        unknown = [s for s in getattr(f, key) if s not in codes]
        if unknown:
            raise ValueError(f"{path}: [forecast] {key} has unknown stages {unknown}; use {sorted(codes)}")
    if not set(f.commit_stages) <= set(f.best_case_stages):
        raise ValueError(f"{path}: [forecast] every commit stage must also be a best-case stage "
                         f"(commit is part of best case)")
    if f.slip_flag_count < 1 or f.commit_stable_days < 0:
        raise ValueError(f"{path}: [forecast] slip_flag_count must be >= 1 and commit_stable_days >= 0")
    return f


def parse_config(raw: dict[str, Any], path: Path) -> DomainConfig:
    stages = _stages(raw["stages"], path)
    codes = {s.code for s in stages}
    stage_names: dict[str, str] = {}
    for s in stages:
        for word in (s.code, s.zh, s.en):
            stage_names[normalize(word)] = s.code
    for word, code in raw.get("stage_names", {}).items():
        if code not in codes:
            raise ValueError(f"{path}: stage_names[{word!r}] = {code!r} is not one of {sorted(codes)}")
        stage_names[normalize(word)] = code
    status_words: dict[str, str] = {}
    for status, words in raw.get("status_words", {}).items():
        if status not in STATUSES:
            raise ValueError(f"{path}: status_words.{status} is not one of {STATUSES}")
        for word in (status, *words):
            status_words[normalize(word)] = status
    t = raw["thresholds"]
    thresholds = Thresholds(
        margin_floor=float(t["margin_floor"]),
        erosion_points=float(t["erosion_points"]),
        expense_ratio_factor=float(t["expense_ratio_factor"]),
        amount_change_share=float(t["amount_change_share"]),
        margin_change_points=float(t["margin_change_points"]),
        margin_floor_by_category={k: float(v) for k, v in t.get("margin_floor_by_category", {}).items()},
        margin_floor_by_grade={k: float(v) for k, v in t.get("margin_floor_by_grade", {}).items()},
        stage_age_limit_days={k: int(v) for k, v in t["stage_age_limit_days"].items()},
        stage_age_limit_days_by_grade={
            g: {k: int(v) for k, v in limits.items()}
            for g, limits in t.get("stage_age_limit_days_by_grade", {}).items()
        },
    )
    missing = codes - thresholds.stage_age_limit_days.keys()
    if missing:
        raise ValueError(f"{path}: thresholds.stage_age_limit_days lacks {sorted(missing)}")
    forecast = _forecast(raw.get("forecast"), codes, path)
    cfg = DomainConfig(
        path=path,
        stages=stages,
        grades=tuple(raw["grades"]),
        stage_names=stage_names,
        status_words=status_words,
        headers={k: tuple(v) for k, v in raw["headers"].items()},
        thresholds=thresholds,
        forecast=forecast,
        visits=_visits(raw, path, tuple(raw["grades"])),
        collections=_collections(raw, path),
    )
    cfg.header_index()  # fail early on an alias listed twice
    return cfg


def load_config(path: str | Path | None = None) -> DomainConfig:
    path = Path(path or os.environ.get("PIPELINE_CONFIG") or DEFAULT_CONFIG_PATH)
    with open(path, "rb") as fh:
        return parse_config(tomllib.load(fh), path)


@lru_cache(maxsize=4)
def _cached(path: str) -> DomainConfig:
    return load_config(path)


def get_config() -> DomainConfig:
    """The configuration in force (cached per path)."""
    return _cached(str(os.environ.get("PIPELINE_CONFIG") or DEFAULT_CONFIG_PATH))
