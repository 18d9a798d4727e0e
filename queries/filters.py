"""The filter parameters every query takes, as plain data (no database, no UI).

``Filters`` is what the sidebar, the URL and the CLI all produce; ``params()`` turns it
into the named parameters the .sql files declare. For the user's filters (regions,
grades, owners, categories) an empty tuple means "no filter".

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

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The one explicit value for "every region" (queries/staging/in_scope.sql knows it).
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


@dataclass(frozen=True)
class Filters:
    as_of: date | None = None  # which snapshot; None = the latest
    since: date | None = None  # the earlier snapshot for comparisons; None = the one before as_of
    regions: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    allowed_regions: tuple[str, ...] | None = field(default=None)  # access scope; None = not given -> refused

    def params(self) -> dict[str, Any]:
        """Named SQL parameters: lists are passed as varchar[] (empty filter list = no filter;
        empty ``allowed_regions`` = no region). Raises ScopeMissing without a scope."""
        return {
            "as_of": self.as_of,
            "since": self.since,
            "regions": list(self.regions),
            "grades": list(self.grades),
            "owners": list(self.owners),
            "categories": list(self.categories),
            "allowed_regions": list(check_scope(self.allowed_regions)),
        }
