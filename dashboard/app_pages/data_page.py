"""Data: upload CRM exports through the browser, see each file's validation report before
anything is written, correct its as-of date, map unknown columns / stage names (saved and
reused for the next file like it), commit; the import history with removal; blank templates.
While demo data is loaded, the page says before the import that importing removes it (in
the same transaction), and offers to remove it in one click.

By role (issue 10; the navigation shows this page only to roles that import): ``admin``
imports whole dates, removes imports, saves mappings, edits the access list and reads the
audit; a ``regional_importer``'s files replace only their regions' rows (refused, naming
the rows, when they reach outside), and they see only their own imports.

Everything from the file (names, headers, values, messages quoting them) is shown through
st.dataframe / st.text, never Markdown or HTML. The importer runs in a child process
(dashboard.ingest.prepare); the database is written only by ingest.commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import access, data, downloads, i18n, store
from dashboard.app_pages import _ui
from dashboard.config import STATUSES, get_config, normalize
from dashboard.sidebar import context, show_snapshot_after_import

ctx = context()
lang = ctx.lang
caller = ctx.run.access
st.title(ctx.t("page_data"))
if caller is None or not caller.can_import:  # not in this caller's navigation; never by URL either
    st.stop()
is_admin = caller.is_admin

try:
    from dashboard import ingest
except ImportError:  # the importer ships separately; the page still shows the history
    ingest = None

_PREPARED = "_data_prepared"  # session: (name, sha, as_of, mapping) -> Prepared
_FLASH = "_data_flash"
_UPLOADER_GEN = "_data_uploader_gen"
MAPPING_DIR = data.db_path().parent / "mappings"
NO_MAPPING = "—"

demo = _ui.demo_imports(ctx)  # (a failure is shown by the banner above the page)
demo_first = demo_last = None
if demo.height:
    _dates = demo.get_column("as_of").drop_nulls()
    demo_first, demo_last = i18n.fmt_date(_dates.min(), lang), i18n.fmt_date(_dates.max(), lang)

flash = st.session_state.pop(_FLASH, None)
if flash:
    kind, text, detail = flash
    (st.success if kind == "ok" else st.error)(text)
    if detail:
        st.text(detail)


def _saved_mappings() -> dict[str, object]:
    out = {}
    if ingest is None or not MAPPING_DIR.is_dir():
        return out
    for path in sorted(MAPPING_DIR.glob("*.toml")):
        try:
            m = ingest.load_mapping(path)
        except Exception:  # an unreadable mapping file is skipped, not fatal
            continue
        out[m.name] = m
    return out


def _prepare(name: str, blob: bytes, sha: str, as_of: date | None, mapping) -> object:
    cache = st.session_state.setdefault(_PREPARED, {})
    key = (name, sha, as_of.isoformat() if as_of else None, getattr(mapping, "name", None))
    if key not in cache:
        with st.spinner(ctx.t("progress_reading")):  # never the file name: spinner text is Markdown
            cache[key] = ingest.prepare(name, blob, as_of=as_of, mapping=mapping)
        while len(cache) > 12:  # many as-of/mapping variants of one file: keep the recent ones
            cache.pop(next(iter(cache)))
    return cache[key]


def _unknown_stages(report) -> list[str]:
    return sorted({str(e.value) for e in report.errors if e.code == "bad_stage" and e.value not in (None, "")})


def _auto_mapping(report, saved: dict) -> str:
    """The saved mapping that knows most of this file's unknown columns / stage words."""
    ignored = {normalize(c) for c in report.ignored_columns}
    stages = {normalize(s) for s in _unknown_stages(report)}
    best, score = NO_MAPPING, 0
    for name, m in saved.items():
        hit = len(ignored & {normalize(k) for k in m.columns}) + len(stages & {normalize(k) for k in m.stages})
        if hit > score:
            best, score = name, hit
    return best


def _web_messages(r) -> list[str]:
    """The report's messages, worded for this page: the importer's "no date in the file" note
    tells a CLI user to give ``--as-of``; here the fix is the date field above the report."""
    warnings = [
        dataclasses.replace(i, zh=i18n.t("as_of_today_web", "zh", today=r.as_of), en=i18n.t("as_of_today_web", "en", today=r.as_of))
        if i.code == "as_of_today" else i
        for i in r.warnings
    ]
    return dataclasses.replace(r, warnings=warnings).messages(lang)


def _report_view(p, idx: int) -> None:
    r = p.report
    if r.ok:
        st.success(ctx.t("report_ok", accepted=i18n.fmt_int(r.rows_accepted), skipped=i18n.fmt_int(r.rows_skipped)))
    else:
        st.error(ctx.t("report_refused", n=len(r.errors) + sum(r.issues_not_listed.values())))
    if r.ok:
        counts = [("rows_read", i18n.fmt_int(r.rows_read)), ("rows_accepted", i18n.fmt_int(r.rows_accepted)),
                  ("rows_skipped", i18n.fmt_int(r.rows_skipped))]
    else:  # nothing is accepted from a refused file: say what was read, what is wrong, what is written
        error_rows = len({e.row for e in r.errors if e.row is not None})
        more = "+" if r.issues_not_listed else ""
        counts = [("rows_read", i18n.fmt_int(r.rows_read)), ("rows_with_errors", i18n.fmt_int(error_rows) + more),
                  ("rows_to_write", ctx.t("rows_to_write_none"))]
    pairs = [("file_name", r.file_name), ("sheet", r.sheet), ("header_row", r.header_row),
             ("kind", i18n.kind_label(r.kind, lang) or None), ("encoding", r.encoding), *counts,
             ("as_of", r.as_of.isoformat() if r.as_of else None),
             ("as_of_found", i18n.as_of_source_label(r.as_of_source, lang) or None)]
    facts = pl.DataFrame(
        {
            ctx.t("metric"): [ctx.t(k) for k, _ in pairs],
            ctx.t("value"): [str(v) if v is not None else i18n.MISSING for _, v in pairs],
        }
    )
    c1, c2 = st.columns([2, 3])
    with c1:
        _ui.dataframe(facts, key=f"data_facts_{idx}")
    if r.columns:
        cols = pl.DataFrame(
            {
                "header": [c.header for c in r.columns],
                "field": [i18n.field_label(c.canonical, lang) for c in r.columns],
                "how": [i18n.how_label(c.how, lang) for c in r.columns],
                "unit": [c.unit or "" for c in r.columns],
            }
        ).rename({"header": "表头" if lang == "zh" else "Header", "field": "字段" if lang == "zh" else "Field",
                  "how": "识别方式" if lang == "zh" else "How", "unit": "单位" if lang == "zh" else "Unit"})
        c2.caption(ctx.t("columns_recognised"))
        with c2:
            _ui.dataframe(cols, height=250, key=f"data_columns_{idx}")
    messages = _web_messages(r)
    if messages:
        st.caption(ctx.t("errors") if r.errors or r.issues_not_listed else ctx.t("notes"))  # a note is not an error
        # One wrapped plain-text line per message (st.text: never Markdown): a table cell cut
        # the long ones off at its edge, right where the expected format is spelled out.
        with st.container(border=True, height=min(34 * len(messages) + 30, 320) if len(messages) > 8 else "content",
                          key=f"data_errors_{idx}"):
            for m in messages:
                st.text(m, width="stretch")


def _mapping_form(p, idx: int, sha8: str) -> None:
    """Unknown columns / stage words -> fields / stage codes; saved as a mapping file."""
    r = p.report
    unknown_cols = [c for c in r.ignored_columns if not c.startswith("(")]
    unknown_stages = _unknown_stages(r)
    if not unknown_cols and not unknown_stages:
        return
    if not is_admin:  # saved mappings are changed by the sales office only
        st.info(ctx.t("mapping_admin_only"))
        return
    cfg = get_config()
    with st.expander(ctx.t("mapping_title"), expanded=not r.ok):
        st.caption(ctx.t("mapping_help"))
        with st.form(key=f"data_mapping_form_{sha8}"):
            name = st.text_input("Name" if lang == "en" else "映射名称", value=Path(r.file_name).stem[:40] or "mapping",
                                 key=f"data_mapping_name_{sha8}")
            fields = [""] + sorted(k for k in cfg.headers if k != "as_of")
            col_choice = {}
            for j, col in enumerate(unknown_cols):
                st.text(col)  # the file's header, as text (widget labels render Markdown)
                col_choice[col] = st.selectbox(
                    f"column {j + 1}", options=fields, key=f"data_map_col_{sha8}_{j}", label_visibility="collapsed",
                    format_func=lambda f: ctx.t("mapping_ignore") if f == "" else (f"{ctx.t(f)} · {f}" if f in i18n.STRINGS else f),
                )
            targets = list(cfg.stage_codes) + list(STATUSES)
            stage_choice = {}
            for j, word in enumerate(unknown_stages):
                st.text(word)
                stage_choice[word] = st.selectbox(
                    f"stage {j + 1}", options=targets, key=f"data_map_stage_{sha8}_{j}", label_visibility="collapsed",
                    format_func=lambda c: i18n.stage_label(c, lang) if c in cfg.stage_codes else i18n.status_label(c, lang),
                )
            if st.form_submit_button(ctx.t("mapping_save"), key=f"data_mapping_save_{sha8}"):
                base = st.session_state.get(f"data_mapping_pick_{sha8}")
                saved = _saved_mappings()
                old = saved.get(base) if base and base != NO_MAPPING else None
                mapping = ingest.Mapping(
                    name=(name or "mapping").strip()[:60],
                    columns={**(old.columns if old else {}), **{k: v for k, v in col_choice.items() if v}},
                    stages={**(old.stages if old else {}), **stage_choice},
                    constants=dict(old.constants) if old else {},
                )
                try:  # saved and audited together (a failed save leaves no audit row)
                    with store.write_transaction(data.db_path()) as con:
                        path = ingest.save_mapping(mapping, MAPPING_DIR)
                        text = path.read_bytes()
                        access.record(con, caller.who, "mapping_save", file_name=path.name,
                                      sha256=hashlib.sha256(text).hexdigest(),
                                      detail={"name": mapping.name, "based_on": getattr(old, "name", None),
                                              "columns": mapping.columns, "stages": mapping.stages})
                except Exception as exc:  # a bad choice is a message, not a traceback
                    _ui.problem(ctx.t("mapping_failed"), str(exc), level="error")
                else:
                    # The picker already exists in this run: hand the choice to the next run.
                    st.session_state[f"_pending_data_mapping_pick_{sha8}"] = mapping.name
                    st.session_state[_FLASH] = ("ok", ctx.t("mapping_saved"), path.name)
                    st.rerun()


# --------------------------------------------------------------------------- upload
st.subheader(ctx.t("upload_title"))
if not is_admin:
    st.info(ctx.t("regional_import_note", regions="、".join(caller.import_regions) if lang == "zh" else ", ".join(caller.import_regions)))
if ingest is None:
    st.info(ctx.t("ingest_missing"))
else:
    gen = st.session_state.get(_UPLOADER_GEN, 0)
    files = st.file_uploader(
        ctx.t("upload_label", mb=st.get_option("server.maxUploadSize")), type=["csv", "xlsx"], accept_multiple_files=True,
        key=f"data_upload_{gen}", help=ctx.t("upload_help"),
    )
    prepared = []
    saved = _saved_mappings()
    for idx, f in enumerate(files or []):
        blob = f.getvalue()
        sha = hashlib.sha256(blob).hexdigest()
        sha8 = sha[:10]
        with st.container(border=True, key=f"data_file_{idx}"):
            st.subheader(ctx.t("report_heading"), anchor=False)
            st.text(f.name)
            pick_key = f"data_mapping_pick_{sha8}"
            saved = _saved_mappings()
            pending = st.session_state.pop(f"_pending_{pick_key}", None)
            if pending is not None:
                st.session_state[pick_key] = pending
            mapping_name = st.session_state.get(pick_key)
            first = _prepare(f.name, blob, sha, None, saved.get(mapping_name))
            if mapping_name is None:  # first look: reuse a saved mapping that fits this file
                auto = _auto_mapping(first.report, saved)
                if auto != NO_MAPPING:
                    st.session_state[pick_key] = auto
                    mapping_name = auto
                    first = _prepare(f.name, blob, sha, None, saved.get(auto))
            c1, c2 = st.columns(2)
            if first.report.kind == "targets":  # not a snapshot: no as-of date, the years it replaces
                as_of = None
                c1.caption(first.report.summary(lang).splitlines()[0])
            else:
                as_of = c1.date_input(
                    ctx.t("as_of_for"), value=first.report.as_of, key=f"data_asof_{sha8}", format="YYYY-MM-DD",
                    help=ctx.t("as_of_source", source=i18n.as_of_source_label(first.report.as_of_source, lang) or "–"),
                )
            options = [NO_MAPPING] + list(saved)
            if st.session_state.get(pick_key) not in options:
                st.session_state[pick_key] = NO_MAPPING
            mapping_name = c2.selectbox("Mapping" if lang == "en" else "映射", options=options, key=pick_key)
            mapping = saved.get(mapping_name)
            p = first
            if as_of != first.report.as_of or mapping is not None:
                p = _prepare(f.name, blob, sha, as_of, mapping)
            _report_view(p, idx)
            _mapping_form(p, idx, sha8)
            prepared.append(p)
    # Keep only the reports of the files still in the uploader (parsed frames are big).
    current = {hashlib.sha256(f.getvalue()).hexdigest() for f in files or []}
    cache = st.session_state.get(_PREPARED, {})
    for key in [k for k in cache if k[1] not in current]:
        del cache[key]
    if prepared:
        all_ok = all(p.ok for p in prepared)
        if all_ok and demo.height and is_admin:  # said before the user confirms (ingest.commit removes it)
            st.warning(ctx.t("demo_will_be_removed", n=demo.height, first=demo_first, last=demo_last),
                       icon=":material/science:")
        if st.button(ctx.t("commit"), type="primary", disabled=not all_ok, key="data_commit", icon=":material/database_upload:"):
            progress = st.progress(0.0, text=ctx.t("progress_writing"))
            try:
                results = ingest.commit(data.db_path(), prepared, actor=caller.who, regions=caller.import_regions)
            except ingest.ScopeRefused as exc:  # a regional file reaching outside: the rows, in the user's language
                progress.empty()
                _ui.problem(ctx.t("scope_refused"), exc.message(lang), level="error")
            except Exception as exc:  # refused, busy, disk, memory: say so; nothing was written
                progress.empty()
                detail = exc.message(ctx.lang) if isinstance(exc, store.StoreOutOfMemory) else str(exc)
                _ui.problem(ctx.t("commit_failed"), detail, level="error")
            else:
                progress.progress(1.0)
                removed = results[0].demo_removed if results else []
                done = ctx.t("commit_done", n=len(results))
                done += "".join(" " + r.message(lang) for r in results if r.kind == "targets")  # the years it replaced
                if removed:
                    done += " " + ctx.t("demo_removed_note", n=len(removed))
                # a visit report says how its visits matched projects, a receivables file its unknown ids (issue 13)
                said = "\n".join(r.message(lang) for r in results if r.kind in ("visits", "collections")) or None
                st.session_state[_FLASH] = ("ok", done, said)
                st.session_state[_UPLOADER_GEN] = gen + 1  # a fresh, empty uploader
                st.session_state.pop(_PREPARED, None)
                # With the demo gone, the snapshot shown may have gone too: show the newest import.
                show_snapshot_after_import(None if removed else ctx.as_of,
                                           [r.as_of for r in results if r.kind in ("projects", "history")])
                st.rerun()

# --------------------------------------------------------------------------- demo data
if demo.height and ingest is not None and is_admin:
    st.divider()
    st.subheader(ctx.t("demo_title"))
    st.caption(ctx.t("demo_remove_help"))
    if st.button(ctx.t("remove_demo"), key="data_remove_demo", icon=":material/delete:"):
        try:
            removed = ingest.remove_imports(data.db_path(), demo.get_column("import_id").to_list(), actor=caller.who)
        except Exception as exc:  # busy, or a real import removed it meanwhile: say so
            _ui.problem(ctx.t("commit_failed"), str(exc), level="error")
        else:
            st.session_state[_FLASH] = ("ok", ctx.t("demo_removed_note", n=len(removed)), None)
            st.rerun()

# --------------------------------------------------------------------------- history
st.divider()
st.subheader(ctx.t("history_title"))
# admin: every import; a regional importer: only their own (imported_by is bound, not filtered here)
history = _ui.load(ctx, "import_history", ctx.filters(), imported_by=None if is_admin else caller.who)
if not is_admin:
    st.caption(ctx.t("history_mine"))
if history is not None and history.height == 0:
    st.info(ctx.t("no_imports"))
elif history is not None:
    shown = history.select(
        "import_id", "file_name", "kind", "sheet", "as_of", "rows_accepted", "rows_skipped", "imported_at", "status",
        "is_demo", "imported_by",
        pl.col("regions").list.join(", ").fill_null(ctx.t("all")).alias("regions"),
    )
    table, config = _ui.localise(ctx, shown)
    _ui.dataframe(table, column_config=config, height=500, key="data_history")
    _ui.download_buttons(ctx, table, "imports", "data_history", config)
    active = history.filter(pl.col("status") == "active")
    if ingest is not None and active.height and is_admin:
        with st.expander(ctx.t("remove_import")):
            labels = {int(r["import_id"]): f"{r['import_id']} · {r['as_of']} · {r['file_name']}" for r in active.iter_rows(named=True)}
            pick = st.selectbox(ctx.t("remove_pick"), options=list(labels), format_func=labels.get, key="data_remove_pick")
            sure = st.checkbox(ctx.t("remove_confirm"), key="data_remove_confirm")
            if st.button(ctx.t("remove_import"), disabled=not sure, key="data_remove", type="primary"):
                try:
                    ingest.remove_import(data.db_path(), int(pick), actor=caller.who)
                except Exception as exc:
                    _ui.problem(ctx.t("commit_failed"), str(exc), level="error")
                else:
                    st.session_state[_FLASH] = ("ok", ctx.t("removed", id=int(pick)), None)
                    st.rerun()

# --------------------------------------------------------------------------- access list and audit (admin)
AUDIT_ROWS = 200
if is_admin:
    st.divider()
    st.subheader(ctx.t("access_title"))
    st.caption(ctx.t("access_help"))
    try:
        entries = data.access_list(ctx.run)
    except Exception as exc:  # shown, never hidden
        _ui.failed(ctx, "access_list", exc)
        entries = None
    if entries is not None:
        table, config = _ui.localise(ctx, entries.with_columns(pl.col("regions").list.join(", ")))
        _ui.dataframe(table, column_config=config, key="data_access_list")
        with st.form(key="data_access_form"):
            c1, c2, c3 = st.columns([2, 1, 2])
            principal = c1.text_input(ctx.t("principal"), key="data_access_principal", max_chars=200)
            role = c2.selectbox(ctx.t("role"), options=list(access.ROLES), format_func=lambda r: i18n.role_label(r, lang),
                                key="data_access_role")
            known = ctx.options.get("region", [])
            regions = c3.multiselect(ctx.t("regions"), options=known, key="data_access_regions",
                                     help="admin / head_office: " + ctx.t("all"))
            note = st.text_input(ctx.t("note"), key="data_access_note", max_chars=200)
            b1, b2 = st.columns(2)
            do_grant = b1.form_submit_button(ctx.t("access_grant"), type="primary", key="data_access_grant")
            do_revoke = b2.form_submit_button(ctx.t("access_revoke"), key="data_access_revoke")
        if do_grant or do_revoke:
            try:
                if do_grant:
                    stored, _, _ = access.grant(data.db_path(), principal, role, regions, actor=caller.who, note=note or None)
                else:
                    stored = access.normalize_principal(principal)
                    if not access.revoke(data.db_path(), stored, actor=caller.who):
                        raise access.AccessError(f"{stored}: not on the access list", f"{stored}：不在访问名单中")
            except access.AccessError as exc:  # a bad entry is a message (plain text: it quotes the input)
                _ui.problem(ctx.t("access_failed"), exc.message(lang), level="error")
            except Exception as exc:  # busy, disk: said, nothing changed
                _ui.problem(ctx.t("access_failed"), str(exc), level="error")
            else:
                st.session_state[_FLASH] = ("ok", ctx.t("access_saved"), stored)
                st.rerun()

    st.divider()
    st.subheader(ctx.t("audit_title"))
    st.caption(ctx.t("audit_help", n=AUDIT_ROWS))
    try:
        audit = data.audit_log(ctx.run, AUDIT_ROWS)
    except Exception as exc:
        _ui.failed(ctx, "audit_log", exc)
        audit = None
    if audit is not None:
        table, config = _ui.localise(ctx, audit.with_columns(pl.col("regions").list.join(", ")))
        _ui.dataframe(table, column_config=config, height=400, key="data_audit")
        _ui.download_buttons(ctx, table, "audit", "data_audit", config)

# --------------------------------------------------------------------------- templates
st.divider()
st.subheader(ctx.t("template_title"))
row = st.container(horizontal=True)
headers = get_config().headers
row.download_button(ctx.t("template_zh"), data=lambda: downloads.template_xlsx(headers, "zh"),
                    file_name="项目台账模板.xlsx", mime=downloads.XLSX_MIME, key="data_template_zh", on_click="ignore")
row.download_button(ctx.t("template_en"), data=lambda: downloads.template_xlsx(headers, "en"),
                    file_name="pipeline-template.xlsx", mime=downloads.XLSX_MIME, key="data_template_en", on_click="ignore")
visit_headers = get_config().visits.headers  # issue 13: the daily visit report
row.download_button(ctx.t("template_visits_zh"), data=lambda: downloads.visit_template_xlsx(visit_headers, "zh"),
                    file_name="销售日报模板.xlsx", mime=downloads.XLSX_MIME, key="data_template_visits_zh", on_click="ignore")
row.download_button(ctx.t("template_visits_en"), data=lambda: downloads.visit_template_xlsx(visit_headers, "en"),
                    file_name="visit-report-template.xlsx", mime=downloads.XLSX_MIME, key="data_template_visits_en",
                    on_click="ignore")
money_headers = get_config().collections.headers  # issue 13: the receivables ledger
row.download_button(ctx.t("template_collections_zh"), data=lambda: downloads.collection_template_xlsx(money_headers, "zh"),
                    file_name="回款台账模板.xlsx", mime=downloads.XLSX_MIME, key="data_template_collections_zh",
                    on_click="ignore")
row.download_button(ctx.t("template_collections_en"), data=lambda: downloads.collection_template_xlsx(money_headers, "en"),
                    file_name="receivables-template.xlsx", mime=downloads.XLSX_MIME, key="data_template_collections_en",
                    on_click="ignore")
row = st.container(horizontal=True)
row.download_button(ctx.t("template_targets_zh"), data=lambda: downloads.targets_template_xlsx(headers, "zh"),
                    file_name="目标模板.xlsx", mime=downloads.XLSX_MIME, key="data_template_targets_zh", on_click="ignore",
                    help=ctx.t("template_targets_help"))
row.download_button(ctx.t("template_targets_en"), data=lambda: downloads.targets_template_xlsx(headers, "en"),
                    file_name="targets-template.xlsx", mime=downloads.XLSX_MIME, key="data_template_targets_en",
                    on_click="ignore", help=ctx.t("template_targets_help"))
