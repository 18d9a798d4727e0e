"""The dashboard's pages (one file per page, UI only) and their shared helpers (_ui.py).

Not named ``pages/``: that name triggers Streamlit's old automatic page discovery; the
entry script lists these files in ``st.navigation`` instead.

Widget keys (stable: AppTest finds widgets by them; in the browser every keyed element
carries the CSS class ``st-key-<key>``). The sidebar keys are also the URL parameters.

* sidebar (every page): ``lang`` (radio 中文/English; URL value ``中文``/``English``; a
  link may also say ``en``/``zh`` in any case),
  ``unit`` (radio 万元/元), ``as_of`` (selectbox, ISO dates, newest first), ``region``,
  ``grade``, ``owner``, ``category`` (multiselects). Project page URL: ``?project=ID``.
* every table with project rows: selecting a row opens the project; its downloads are
  ``<table key>_csv`` and ``<table key>_xlsx``.
* every page, while demo data is loaded: the demo banner (st.warning) and, except on the
  Data page, a link to it.
* weekly (url ``/``): ``weekly_pack`` (review pack download), ``weekly_kpis`` (figures),
  ``weekly_drill`` (pills: open/won/lost/win_rate/stalled/margin) → ``weekly_drill_<kind>_table``
  (win_rate: the closed projects the rate counts), ``weekly_stalled_table``,
  ``weekly_margin_table``, ``weekly_waterfall`` (chart; a bar → ``weekly_drill_change_table``),
  ``weekly_change_counts`` (every kind of change: projects and amounts; rows multi-select →
  ``weekly_changes_table`` lists only those kinds), ``weekly_changes_table``.
* funnel (``/funnel``): ``funnel_win_rate_drill`` (toggle → ``funnel_closed_table``, the
  closed projects the win rate counts), ``funnel_chart`` (a bar → ``funnel_projects_table``),
  ``funnel_table``, ``funnel_rg_metric`` (segmented: win_rate/reached_rate/n_open/open_amount),
  ``funnel_rg_heatmap`` (region × grade; a cell → ``funnel_cell_table``, the projects behind
  the cell's figure), ``funnel_by``, ``funnel_metric`` (segmented controls),
  ``funnel_heatmap`` (segment × stage; a cell → ``funnel_projects_table``).
* aging (``/aging``): ``aging_chart`` (a bar segment narrows ``aging_table``),
  ``aging_stalled_only`` (toggle), ``aging_table``, ``aging_durations_by``,
  ``aging_durations_chart``, ``aging_durations_table``.
* margin (``/margin``): ``margin_by`` (segmented), ``margin_by_chart`` (a bar narrows
  ``margin_table``), ``margin_checks`` (pills), ``margin_table``, ``margin_hist``.
* project (``/project?project=ID``): ``project_pick`` (text input), ``project_timeline``,
  ``project_history_amount`` / ``_margin`` / ``_sign``, ``project_flags``,
  ``project_snapshots``, ``project_events``.
* forecast (``/forecast``): ``forecast_drill`` (segmented: month_0/month_1/quarter_0/quarter_1)
  → ``forecast_projects_table``, ``forecast_bars`` (chart), ``forecast_by`` (segmented, none at first) →
  ``forecast_split_table``, ``forecast_probabilities``, ``forecast_probability_table``,
  ``forecast_bt_kind`` (segmented: month/quarter, none at first: the back-test runs on demand),
  ``forecast_backtest_chart``,
  ``forecast_backtest_table``, ``forecast_slips_show`` (segmented: slipped_this_week/out_of_month/out_of_quarter/is_flagged)
  → ``forecast_slips_table``,
  ``forecast_trends_show`` (toggle) → ``forecast_trends_chart``, ``forecast_owners_table``
  (a row → ``forecast_owner_projects``).
* data (``/data``): ``data_remove_demo`` (while demo data is loaded), the uploader ``data_upload_<n>`` (n grows after each import: find it by
  ``[data-testid="stFileUploader"]``), one ``data_file_<i>`` container per file with
  ``data_asof_<sha10>`` (date), ``data_mapping_pick_<sha10>``, the mapping form
  ``data_mapping_form_<sha10>`` (``data_map_col_<sha10>_<j>``, ``data_map_stage_<sha10>_<j>``,
  ``data_mapping_save_<sha10>``); ``data_commit``; ``data_history``;
  ``data_remove_pick``, ``data_remove_confirm``, ``data_remove``; ``data_template_zh``,
  ``data_template_en``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page of the navigation: its key (PAGE_FILES, tests), file, URL path, icon, the
    i18n key of its title; ``importers_only``: listed only for roles that import;
    ``hidden``: reachable by its URL, not in the menu."""

    key: str
    file: str
    url_path: str
    title_key: str
    icon: str | None = None
    default: bool = False
    hidden: bool = False
    importers_only: bool = False


# The one list of pages, in menu order (dashboard/streamlit_app.py builds st.navigation
# from it). Adding a page: its file here in app_pages/, a row here, its title in i18n.py.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("weekly", "app_pages/weekly.py", "review", "page_weekly", ":material/event_note:", default=True),
    PageSpec("funnel", "app_pages/funnel.py", "funnel", "page_funnel", ":material/filter_alt:"),
    PageSpec("aging", "app_pages/aging.py", "aging", "page_aging", ":material/hourglass_bottom:"),
    PageSpec("margin", "app_pages/margin.py", "margin", "page_margin", ":material/percent:"),
    PageSpec("forecast", "app_pages/forecast.py", "forecast", "page_forecast", ":material/trending_up:"),
    PageSpec("visits", "app_pages/visits.py", "visits", "page_visits", ":material/directions_walk:"),
    PageSpec("project", "app_pages/project.py", "project", "page_project", ":material/work:"),
    # the Data page and the import history: for roles that import, after the last listed page
    PageSpec("data", "app_pages/data_page.py", "data", "page_data", ":material/upload_file:", importers_only=True),
    # /weekly (the page's name, typed or bookmarked) shows the review too, filters and all;
    # hidden: the menu keeps one entry. (A redirect to / would drop the filters from the
    # address: Streamlit clears bound query parameters on st.switch_page.)
    PageSpec("weekly_alias", "app_pages/weekly.py", "weekly", "page_weekly", hidden=True),
)
# key -> file, for st.page_link / st.switch_page
PAGE_FILES: dict[str, str] = {p.key: p.file for p in PAGES if not p.hidden}
