"""What the sidebar and the URL say, as plain data, and how it becomes ``queries.Filters``.

Owns: ``FilterState`` (snapshot, the dimensions' selections, language, amount unit),
the names of the URL parameters (= the widget keys, because the sidebar binds its widgets
to the query string), parsing of raw URL/widget values with unknown values dropped, and
the translation to ``queries.Filters``. Access control's ``allowed_regions`` is never a
user choice: it is passed in by the caller and restricts in SQL.
Pure: must not import streamlit or duckdb (tests/test_filters.py tests it as data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from queries import Filters
from queries.dimensions import DIMENSIONS
from queries.dimensions import KEYS as DIMENSION_KEYS
from queries.filters import Selection

# URL parameter names. They are also the widget keys in sidebar.py (bind="query-params"
# uses the key as the parameter name), so renaming one breaks every shared link. The
# dimensions' parameters are their keys (queries/dimensions.py: region, grade, owner,
# category, product_line).
KEY_AS_OF = "as_of"
KEY_LANG = "lang"
KEY_UNIT = "unit"
KEY_PROJECT = "project"

DEFAULT_LANG = "zh"
DEFAULT_UNIT = "wan"
# ?lang= as people type it: the switch writes 中文 / English (its labels), and a link with
# the code or the name in any case opens the same language.
LANG_ALIASES = {"zh": "zh", "cn": "zh", "zh-cn": "zh", "chinese": "zh", "中文": "zh",
                "en": "en", "english": "en"}

@dataclass(frozen=True)
class FilterState:
    """Everything the user chose in the sidebar. ``as_of`` None = the latest snapshot;
    ``selected``: (dimension key, values) of the narrowed dimensions, registry order."""

    as_of: date | None = None
    selected: Selection = ()
    lang: str = DEFAULT_LANG
    unit: str = DEFAULT_UNIT

    def values(self, key: str) -> tuple[str, ...]:
        """The values chosen for dimension ``key`` (empty = every value)."""
        return dict(self.selected).get(key, ())

    def to_filters(self, *, since: date | None = None, allowed_regions: Sequence[str] | None) -> Filters:
        """The query parameters; ``allowed_regions`` comes from access control, not the user
        (required: None stays None, and the query then refuses to run)."""
        return Filters(as_of=self.as_of, since=since, selected=self.selected,
                       allowed_regions=None if allowed_regions is None else tuple(allowed_regions))

    def query_params(self) -> dict[str, str | list[str]]:
        """The URL form of the filters (defaults left out, as Streamlit's binding does)."""
        out: dict[str, str | list[str]] = {}
        if self.as_of is not None:
            out[KEY_AS_OF] = self.as_of.isoformat()
        for key, values in self.selected:
            out[key] = list(values)
        if self.lang != DEFAULT_LANG:
            out[KEY_LANG] = self.lang
        if self.unit != DEFAULT_UNIT:
            out[KEY_UNIT] = self.unit
        return out

    @property
    def is_narrowed(self) -> bool:
        return bool(self.selected)


def offered_dimensions(options: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The dimensions the sidebar offers for a snapshot's filter options: every one, but an
    optional one (a product line) only when the snapshot has values for it."""
    return tuple(d.key for d in DIMENSIONS if not d.optional or options.get(d.key))


def parse_date(value: Any) -> date | None:
    """An ISO date from the URL or a widget; anything else (typo, garbage) is None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def as_list(value: Any) -> list[str]:
    """A URL parameter may arrive as one string or as a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value != "" else []
    return [str(v) for v in value if v is not None and str(v) != ""]


def known_only(values: Iterable[str], options: Iterable[str] | None) -> tuple[str, ...]:
    """Keep the values that are real options, in order, without duplicates.

    ``options`` None means "don't know the options" (keep everything)."""
    allowed = None if options is None else set(options)
    out: list[str] = []
    for v in values:
        if (allowed is None or v in allowed) and v not in out:
            out.append(v)
    return tuple(out)


def from_values(
    values: Mapping[str, Any],
    *,
    snapshots: Sequence[date] | None = None,
    options: Mapping[str, Sequence[str]] | None = None,
) -> FilterState:
    """Build a FilterState from widget values or URL parameters (same keys).

    Unknown regions/owners/… and a snapshot date that does not exist are dropped, so an
    old link still opens (on the latest snapshot, unfiltered where the value vanished)."""
    options = options or {}
    as_of = parse_date(values.get(KEY_AS_OF))
    if as_of is not None and snapshots is not None and as_of not in set(snapshots):
        as_of = None
    lang = lang_from(values.get(KEY_LANG))
    unit = values.get(KEY_UNIT)
    chosen = ((key, known_only(as_list(values.get(key)), options.get(key))) for key in DIMENSION_KEYS)
    return FilterState(
        as_of=as_of,
        selected=tuple((key, vals) for key, vals in chosen if vals),
        lang=lang if lang in ("zh", "en") else DEFAULT_LANG,
        unit=unit if unit in ("wan", "yuan") else DEFAULT_UNIT,
    )


def lang_from(value: Any) -> str | None:
    """The language a ``?lang=`` value names ("en", "EN", "English", "zh", "中文" …), else None."""
    values = as_list(value)
    return LANG_ALIASES.get(values[0].strip().lower()) if values else None


def previous_snapshot(snapshots: Sequence[date], as_of: date | None) -> date | None:
    """The snapshot before ``as_of`` (None = latest) — what "since last week" compares with."""
    ordered = sorted(set(snapshots))
    if not ordered:
        return None
    current = as_of if as_of is not None else ordered[-1]
    earlier = [d for d in ordered if d < current]
    return earlier[-1] if earlier else None


def effective_as_of(snapshots: Sequence[date], as_of: date | None) -> date | None:
    if as_of is not None:
        return as_of
    return max(snapshots) if snapshots else None


def project_id_from(value: Any) -> str | None:
    """``?project=ID``: a project id is a label; only trim it (it is bound, never spliced)."""
    values = as_list(value)
    if not values:
        return None
    text = values[0].strip()
    return text[:200] or None
