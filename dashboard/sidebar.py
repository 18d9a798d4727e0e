"""The shared sidebar: language, amount unit and the filters every page uses.

Every widget is bound to the URL (``bind="query-params"``, key = parameter name from
``dashboard.filters``), so a copied link or a reload reopens the same view; values that
are no longer valid (a region that vanished) are dropped by Streamlit and by
``filters.from_values``. The entry script calls :func:`language` before building the
navigation (page titles are translated) and :func:`render` after it; pages read the
result with :func:`context`. No SQL here: options come from ``dashboard.data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import streamlit as st

from dashboard import data, filters, i18n
from dashboard.access import Access
from dashboard.filters import FilterState
from queries import Filters

_CTX_KEY = "_pipeline_ctx"
_LANG_RERUN = "_pipeline_lang_rerun"
# A page that changed the data (an import) asks for a snapshot here; the sidebar applies it
# at the start of the next run, before the bound ``as_of`` widget exists (a widget's state
# can only be set before it is drawn in a run).
PENDING_AS_OF = "_pending_as_of"
# Bound widgets put the *formatted* option into the URL, so every format_func here must
# not depend on the language (else switching language would orphan the parameter).
LANG_NAMES = {"zh": "中文", "en": "English"}
UNIT_NAMES = {"wan": "万元", "yuan": "元"}


@dataclass(frozen=True)
class Context:
    """Everything a page needs for this script run."""

    run: data.Run
    state: FilterState
    snapshots: tuple[date, ...]
    as_of: date | None  # effective snapshot (the latest when none is chosen)
    since: date | None  # the snapshot before it, for "since last week"
    options: dict[str, list[str]] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.state.lang

    @property
    def unit(self) -> str:
        return self.state.unit

    @property
    def empty(self) -> bool:
        return not self.snapshots

    def filters(self, **overrides) -> Filters:
        """queries.Filters for this view (snapshot resolved, access scope applied).
        ``overrides``: ``as_of`` / ``since``, ``selected=()`` (no user filter at all), or a
        dimension key with the values that replace its selection (``region=("华东",)``)."""
        f = self.state.to_filters(since=self.since, allowed_regions=self.run.allowed_regions)
        return Filters(as_of=overrides.pop("as_of", self.as_of), since=overrides.pop("since", f.since),
                       allowed_regions=f.allowed_regions, selected=overrides.pop("selected", f.selected), **overrides)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The filter dimensions offered in this view (queries/dimensions.py; an optional one
        only when the snapshot has values for it): the keys for labels and the pack."""
        return filters.offered_dimensions(self.options)

    def t(self, key: str, **kw) -> str:
        return i18n.t(key, self.lang, **kw)


def language() -> str:
    """The language switch (first in the sidebar, before the navigation is built).

    A link with ``?lang=en`` / ``zh`` (any case, or the name; the switch itself writes
    English / 中文) opens that language: on a session's first run the URL is rewritten to
    the switch's own form and the page runs again (:func:`rerun_for_language`, called once
    the navigation knows the page), so the link keeps its language on a reload."""
    raw = st.query_params.get_all(filters.KEY_LANG)
    wanted = filters.lang_from(raw)
    if wanted is not None and raw[0] not in LANG_NAMES.values() and filters.KEY_LANG not in st.session_state:
        st.query_params[filters.KEY_LANG] = LANG_NAMES[wanted]  # not bound yet in this session
        st.session_state[_LANG_RERUN] = True
        return wanted
    lang = st.sidebar.radio(
        "Language · 语言",
        options=list(i18n.LANGS),
        format_func=LANG_NAMES.get,
        horizontal=True,
        key=filters.KEY_LANG,
        bind="query-params",
    )
    return lang if lang in i18n.LANGS else filters.DEFAULT_LANG


def rerun_for_language() -> None:
    """After ``st.navigation``: run again (same page) when :func:`language` rewrote the URL."""
    if st.session_state.pop(_LANG_RERUN, False):
        st.rerun()


def render(lang: str, caller: Access) -> Context:
    """Draw the filters, store and return the Context for the page that runs next.
    ``caller`` is the access the entry script established for this run (dashboard/auth.py);
    every query of the run reads under its regions."""
    run = data.open_run(caller)
    snaps = tuple(data.snapshots(run))
    sb = st.sidebar
    unit = sb.radio(
        i18n.t("unit", lang),
        options=list(i18n.UNITS),
        format_func=UNIT_NAMES.get,
        # The option text is the URL value, so it stays 万元/元 in both languages; English
        # readers get the unit's English name under it.
        captions=[i18n.UNIT_CAPTIONS_EN[u] for u in i18n.UNITS] if lang == "en" else None,
        help=i18n.t("unit_help", lang),
        horizontal=True,
        key=filters.KEY_UNIT,
        bind="query-params",
    )
    sb.subheader(i18n.t("filters", lang))
    options: dict[str, list[str]] = {}
    as_of_value = None
    if snaps:
        pending = st.session_state.pop(PENDING_AS_OF, None)
        if pending in {d.isoformat() for d in snaps}:
            st.session_state[filters.KEY_AS_OF] = pending
        as_of_value = sb.selectbox(
            i18n.t("as_of", lang),
            options=[d.isoformat() for d in snaps],  # newest first: the default is the latest
            key=filters.KEY_AS_OF,
            bind="query-params",
            help=i18n.t("as_of_help", lang),
        )
        options = data.filter_options(run, filters.parse_date(as_of_value))
        values: dict[str, object] = {}
        for key in filters.offered_dimensions(options):  # no empty product-line filter to puzzle over
            values[key] = sb.multiselect(
                i18n.t(key, lang),
                options=options.get(key, []),
                key=key,
                bind="query-params",
                placeholder=i18n.t("all", lang),
            )
        values[filters.KEY_AS_OF] = as_of_value
    else:
        values = {}
    values[filters.KEY_LANG] = lang
    values[filters.KEY_UNIT] = unit
    state = filters.from_values(values, snapshots=list(snaps), options=options)
    as_of = filters.effective_as_of(snaps, state.as_of)
    since = filters.previous_snapshot(snaps, as_of)
    if snaps:
        sb.caption(i18n.t("link_hint", lang))
    ctx = Context(run=run, state=state, snapshots=snaps, as_of=as_of, since=since, options=options)
    st.session_state[_CTX_KEY] = ctx
    return ctx


def show_snapshot_after_import(shown: date | None, imported: list[date | None]) -> None:
    """After an import: move this session to the newest imported snapshot when it is later
    than the one shown (a session on "the latest" follows the new latest; one looking back
    at an older week is left alone by a back-filled import). Applied on the next run."""
    newest = max((d for d in imported if d is not None), default=None)
    if newest is not None and (shown is None or newest > shown):
        st.session_state[PENDING_AS_OF] = newest.isoformat()


def context() -> Context:
    """The Context the entry script computed for this run."""
    ctx = st.session_state.get(_CTX_KEY)
    if ctx is None:  # a page run on its own, without the entry script's sign-in: no data
        raise RuntimeError("this page runs only inside the app (streamlit run dashboard/streamlit_app.py): "
                           "no caller was established for this run")
    return ctx
