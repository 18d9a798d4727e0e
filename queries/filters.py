"""The filter parameters every query takes, as plain data (no database, no UI).

``Filters`` is what the sidebar, the URL and the CLI all produce; ``params()`` turns it
into the named parameters the .sql files declare: ``$as_of``, ``$since``, ``$filters`` (one
``varchar[]`` per dimension of ``queries/dimensions.py``; empty = no filter) and
``$allowed_regions``. The user's choices are given by dimension key:
``Filters(as_of=d, region=("华东",), grade=("A",))``; :meth:`Filters.values` reads one back.

``allowed_regions`` is the caller's access scope, set by access control (the UI: from the
signed-in user's entry in the access list; the CLI: the operator, unscoped), never by the
user. It is deny-by-default:

* ``ALL_REGIONS`` (``("*",)``) — every region; only ``admin``/``head_office`` get it;
* a tuple of region names — those regions only;
* ``()`` — NO region: every query returns nothing;
* ``None`` (the default: nobody said) — ``params()`` raises :class:`ScopeMissing`, so a
  lost identity or a call outside the page run can never turn into the whole company.

Must not import streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from queries.dimensions import KEYS, no_filters

# The one explicit value for "every region" (queries/macros/dimensions.sql knows it).
ALL_REGIONS: tuple[str, ...] = ("*",)


class ScopeMissing(RuntimeError):
    """A data call without an access scope: refused, never defaulted to all regions."""


def check_scope(allowed_regions: Any) -> tuple[str, ...]:
    """``allowed_regions`` as a valid scope, or :class:`ScopeMissing` / ValueError."""
    if allowed_regions is None:
        raise ScopeMissing("no access scope for this data call: refused (a scope is captured during the page run; "
                           "the command line passes queries.ALL_REGIONS)")
    scope = tuple(allowed_regions)
    if "*" in scope and scope != ALL_REGIONS:
        raise ValueError(f"allowed_regions mixes '*' (all regions) with region names: {scope!r}")
    if any(not isinstance(r, str) or not r for r in scope):
        raise ValueError(f"allowed_regions must be region names, got {scope!r}")
    return scope


Selection = tuple[tuple[str, tuple[str, ...]], ...]


def _selection(selected: Selection | Mapping[str, Iterable[str]], dims: Mapping[str, Iterable[str]]) -> Selection:
    given = dict(selected) | dict(dims)
    unknown = sorted(set(given) - set(KEYS))
    if unknown:
        raise TypeError(f"unknown filter dimension(s) {', '.join(unknown)}; the dimensions are {', '.join(KEYS)} "
                        "(queries/dimensions.py)")
    for key, values in given.items():
        if isinstance(values, str):  # ("East") instead of ("East",): would filter on 'E', 'a', 's', 't'
            raise TypeError(f"filter {key} must be a sequence of values, got the string {values!r}")
    # registry order, empty selections left out: equal filters compare (and hash) equal
    return tuple((key, tuple(given[key])) for key in KEYS if given.get(key))


@dataclass(frozen=True, init=False)
class Filters:
    as_of: date | None  # which snapshot; None = the latest
    since: date | None  # the earlier snapshot for comparisons; None = the one before as_of
    selected: Selection  # (dimension key, values) for the narrowed dimensions, registry order
    allowed_regions: tuple[str, ...] | None  # access scope; None = not given -> refused

    def __init__(self, as_of: date | None = None, since: date | None = None,
                 allowed_regions: Iterable[str] | None = None,
                 selected: Selection | Mapping[str, Iterable[str]] = (), **dims: Iterable[str]):
        object.__setattr__(self, "as_of", as_of)
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "selected", _selection(selected, dims))
        object.__setattr__(self, "allowed_regions", None if allowed_regions is None else tuple(allowed_regions))

    def values(self, key: str) -> tuple[str, ...]:
        """The values chosen for dimension ``key`` (empty = no filter)."""
        if key not in KEYS:
            raise KeyError(f"unknown filter dimension {key!r}; the dimensions are {', '.join(KEYS)}")
        return dict(self.selected).get(key, ())

    def narrowed(self, **dims: Iterable[str]) -> Filters:
        """A copy with the given dimensions' selections replaced."""
        return Filters(self.as_of, self.since, self.allowed_regions, self.selected, **dims)

    def params(self) -> dict[str, Any]:
        """Named SQL parameters: ``$filters`` is a struct of ``varchar[]``, one per dimension
        (empty list = no filter; empty ``allowed_regions`` = no region). Raises ScopeMissing
        without a scope."""
        return {
            "as_of": self.as_of,
            "since": self.since,
            "filters": no_filters() | {key: list(values) for key, values in self.selected},
            "allowed_regions": list(check_scope(self.allowed_regions)),
        }
