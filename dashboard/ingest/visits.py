"""Visit reports (销售日报, issue 13): reading, validating, matching to projects, writing.

A visit report arrives as a workbook with one sheet per person (or per day), title rows
above the header (merged: 「销售日报」, 「填报人：张三」, a date), or as a CRM's activity
export (CSV, often GB18030); zh or en headers (``[visits.headers]`` in domain.toml). It
goes the same way as every export: read in the child process (``clean.prepare_local``
hands such a file to :func:`prepare_local` when :func:`sniff` says it is one), a
validation report before anything is written, one write transaction
(``load._commit_one`` hands it to ``visits_load.commit_one``), idempotent, audited, scoped.

Rules (docs/INGEST.md "Visit reports"):
* required per row: the date (a column; for a sheet without one, the date in its title),
  the person (a column; else 「填报人：…」 in the title; else the sheet's name, with a
  warning) and the customer. A blank or unreadable required cell is an error naming the
  row; a planned revisit before its visit is an error;
* purpose words (订货/收款/开发/服务 …) map to codes; other words are kept as written,
  counted as 'other', with a warning naming the rows; customer categories (开发/新增/原有)
  that are not known are errors;
* the same visit twice in one file (person, date, customer, time, purpose, contact, result,
  project id all equal) is skipped and counted;
* replace: a visit file replaces, for each person it names, that person's stored visits
  between the person's first and last date in the file (a corrected day report replaces
  the day; a month's workbook the month), whichever import wrote them; an import left
  with no rows becomes 'replaced'. The same bytes twice change nothing;
* matching (when written, against the projects then known): the file's project id when
  it has one (an id no snapshot knows: ``unknown_id``, not matched); else the customer
  name, folded (NFKC, lower case, no white space), equal to the customer of exactly one
  project (its latest row): ``name``; several projects: ``ambiguous``, not matched, never
  guessed; none: ``unmatched``. The result counts each kind; the rows not matched are
  listed by the ``visits_unmatched`` query;
* region: the file's 区域 column, else 「区域：…」 in the sheet's title, else the matched
  project's region. A visit is *seen* where its matched project is (queries/staging/
  visits_scoped.sql), else in its own region; a regional importer's file must hold only
  visits seen in their regions (else refused, naming rows), and the visits it replaces must
  be of their regions too.
No streamlit.
"""

from __future__ import annotations

import re
from datetime import date
from typing import cast

import polars as pl

from dashboard.config import DomainConfig, VisitSettings, normalize
from dashboard.ingest import values as V
from dashboard.ingest.read import Grid
from dashboard.ingest.records import AliasMatcher, given_or, has_headers, read_tables, refuse_empty
from dashboard.ingest.report import Report

KIND = "visits"
# Headers only a visit report has; a file whose header row holds two of them is one.
_VISIT_ONLY = ("reporter", "visit_time", "purpose", "result", "customer_category", "revisit_on")

VISIT_SCHEMA: dict[str, pl.DataType] = {
    "reporter": pl.String(),
    "region": pl.String(),
    "visit_on": pl.Date(),
    "seq": pl.Int32(),
    "customer": pl.String(),
    "customer_key": pl.String(),
    "contact": pl.String(),
    "visit_time": pl.String(),
    "purpose": pl.String(),
    "purpose_text": pl.String(),
    "result": pl.String(),
    "customer_category": pl.String(),
    "revisit_on": pl.Date(),
    "notes": pl.String(),
    "project_id_given": pl.String(),
    "sheet": pl.String(),
    "source_row": pl.Int32(),
}
# Rows equal in all of these are one visit written twice (skipped, counted).
_SAME_VISIT = ["reporter", "visit_on", "customer_key", "visit_time", "purpose_text", "contact", "result", "project_id_given"]
_TEXT = ("region", "contact", "visit_time", "result", "notes")
_PERSON_IN_TITLE = re.compile(r"(?:填报人|销售人员|业务员|姓名|reporter|salesrep|name)[:：]([^\s,，;；:：]+)")
_REGION_IN_TITLE = re.compile(r"(?:区域|大区|Region)\s*[:：]\s*([^\s,，;；:：]+)", re.IGNORECASE)
_DEFAULT_SHEET = re.compile(r"^(sheet|工作表|表)\s*\d*$", re.IGNORECASE)


def empty_visits() -> pl.DataFrame:
    return pl.DataFrame(schema=VISIT_SCHEMA)


def customer_key(s: pl.Series) -> pl.Series:
    """A customer name folded for matching: NFKC (full-width → half-width), lower case,
    no white space at all (the same folding as headers, config.normalize)."""
    s = s.cast(pl.String)
    names = s.drop_nulls().unique()  # a report names a few thousand customers in 2M rows: fold each once
    keys = names.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", "")
    return s.replace_strict(names, keys, default=None, return_dtype=pl.String).alias(s.name)


def sniff(data: bytes, config: DomainConfig) -> str | None:
    """'visits' when a row among the first ones holds at least two headers only a visit
    report has (填报人, 拜访时间, 拜访目的, 商谈结果, 客户类别, 预定再访时间 …), else None
    (the file is read as before). Looks at the first 64 KB of a CSV and the first rows of
    each sheet only."""
    return KIND if has_headers(data, AliasMatcher(config.visits.headers), _VISIT_ONLY) else None


# --- reading --------------------------------------------------------------------------------


def _title_person(grid: Grid) -> str | None:
    m = _PERSON_IN_TITLE.search(normalize(grid.title_text or "").replace("（", "(")) if grid.title_text else None
    if not m:
        return None
    # the name as written (normalize lower-cases it): find it again in the title
    raw = re.search(r"(?:填报人|销售人员|业务员|姓名|Reporter|Sales\s*Rep|Name)\s*[:：]\s*([^\s,，;；:：]+)", grid.title_text, re.IGNORECASE)
    return raw.group(1) if raw else m.group(1)


def _sheet_frame(report: Report, grid: Grid, data: pl.DataFrame, rows: pl.Series, cols, settings: VisitSettings,
                 several_sheets: bool) -> pl.DataFrame | None:
    from dashboard.ingest.clean import _cell_errors, _date_column, _text_column

    n = data.height
    by = cols.by_field
    where_zh = f"工作表「{grid.sheet}」" if grid.sheet else "文件"
    where_en = f"sheet '{grid.sheet}'" if grid.sheet else "the file"

    # the date: a column, else the one date of the title rows (a sheet per day)
    if "visit_on" in by:
        col, header, _ = by["visit_on"]
        visit_on = _date_column(report, data, col, header, None, rows)
        _cell_errors(report, data[col].is_null() | (data[col].str.strip_chars() == ""), data[col], rows,
                     code="missing_date", column=header, zh="拜访日期为空", en="the visit date is empty",
                     expected_zh="拜访日期", expected_en="the date of the visit")
    else:
        day = V.find_date_in_text(grid.title_text or "")
        if day is None:
            report.error("missing_column",
                         f"{where_zh}没有日期列（如 日期、拜访日期），标题中也没有日期；请加上日期列",
                         f"{where_en} has no date column (e.g. 日期, Date) and no date in its title; add a date column",
                         expected_zh="日期、拜访日期", expected_en="日期, Date, Visit Date")
            return None
        visit_on = pl.repeat(day, n, dtype=pl.Date, eager=True)

    # the person: a column, else 「填报人：…」 in the title, else the sheet's name
    if "reporter" in by:
        col, header, _ = by["reporter"]
        reporter = _text_column(report, data[col], rows, header)
        _cell_errors(report, reporter.is_null(), data[col], rows, code="missing_reporter", column=header,
                     zh="填报人为空", en="the person who made the visit is empty",
                     expected_zh="填报人姓名", expected_en="the name of the person")
    else:
        person = _title_person(grid)
        if person is None and grid.sheet and several_sheets and not _DEFAULT_SHEET.match(grid.sheet.strip()):
            person = grid.sheet.strip()
            report.warn("reporter_from_sheet",
                        f"没有填报人列，标题中也没有「填报人：…」：按工作表名「{person}」作为填报人",
                        f"no reporter column and no '填报人：…' in the title: the sheet's name '{person}' is taken as the person")
        if person is None:
            report.error("missing_column",
                         f"{where_zh}没有填报人列（如 填报人、销售人员），标题中也没有「填报人：…」",
                         f"{where_en} has no column naming the person (e.g. 填报人, 销售人员, Sales Rep) and no '填报人：…' in its title",
                         expected_zh="填报人、销售人员", expected_en="填报人, 销售人员, Sales Rep")
            return None
        reporter = pl.repeat(person, n, dtype=pl.String, eager=True)

    if "customer" not in by:
        report.error("missing_column", f"{where_zh}没有客户列（如 拜访客户、客户名称）",
                     f"{where_en} has no customer column (e.g. 拜访客户, 客户名称, Account)",
                     expected_zh="拜访客户、客户名称", expected_en="拜访客户, 客户名称, Customer, Account")
        return None
    col, header, _ = by["customer"]
    customer = _text_column(report, data[col], rows, header)
    _cell_errors(report, customer.is_null(), data[col], rows, code="missing_customer", column=header,
                 zh="拜访客户为空", en="the customer visited is empty", expected_zh="客户名称", expected_en="the customer's name")

    out: dict[str, pl.Series] = {"reporter": reporter, "visit_on": visit_on, "customer": customer}
    for f in _TEXT:
        out[f] = _text_column(report, data[by[f][0]], rows, by[f][1]) if f in by else pl.repeat(None, n, dtype=pl.String, eager=True)
    if "region" not in by and (m := _REGION_IN_TITLE.search(grid.title_text or "")):
        out["region"] = pl.repeat(m.group(1), n, dtype=pl.String, eager=True)  # 「区域：华东」 in the title

    seq = pl.repeat(None, n, dtype=pl.Int32, eager=True)
    if "seq" in by:
        col, header, _ = by["seq"]
        text = V.clean_text(data[col])
        seq = text.str.replace(r"\.0+$", "").cast(pl.Int32, strict=False)
        _cell_errors(report, text.is_not_null() & seq.is_null(), data[col], rows, code="bad_seq", column=header,
                     zh="序号不是整数", en="the sequence number is not a whole number", expected_zh="1、2、3 …", expected_en="1, 2, 3 …")
    out["seq"] = seq

    purpose_text = V.clean_text(data[by["purpose"][0]]) if "purpose" in by else pl.repeat(None, n, dtype=pl.String, eager=True)
    purpose, unknown = V.lookup_words(purpose_text, settings.purpose_words)
    if unknown.any():
        where = rows.filter(unknown)
        words = "、".join(purpose_text.filter(unknown).unique(maintain_order=True).head(5).to_list())
        report.warn("purpose_other",
                    f"{where.len()} 行的拜访目的不是 订货/收款/开发/服务（{words}）：按原文保存，计为“其他”（第 {_rows(where)} 行）",
                    f"{where.len()} rows give a purpose other than order/collection/development/service ({words}): kept as "
                    f"written and counted as 'other' (rows {_rows(where)})",
                    row=int(where[0]), column=by["purpose"][1])
        purpose = pl.select(pl.when(unknown).then(pl.lit("other")).otherwise(purpose)).to_series()
    out["purpose"], out["purpose_text"] = purpose, purpose_text

    category = pl.repeat(None, n, dtype=pl.String, eager=True)
    if "customer_category" in by:
        col, header, _ = by["customer_category"]
        category, bad = V.lookup_words(V.clean_text(data[col]), settings.category_words)
        _cell_errors(report, bad, data[col], rows, code="bad_category", column=header,
                     zh="客户类别无法识别", en="not a known customer category",
                     expected_zh="开发、新增 或 原有", expected_en="开发 (development), 新增 (new) or 原有 (existing)")
    out["customer_category"] = category

    revisit = pl.repeat(None, n, dtype=pl.Date, eager=True)
    if "revisit_on" in by:
        col, header, _ = by["revisit_on"]
        revisit = _date_column(report, data, col, header, None, rows)
        early = (revisit < visit_on).fill_null(False)
        _cell_errors(report, early, data[col], rows, code="revisit_before_visit", column=header,
                     zh="预定再访时间早于拜访日期", en="the planned revisit is before the visit itself",
                     expected_zh="拜访日期当天或之后的日期", expected_en="a date on or after the visit")
    out["revisit_on"] = revisit

    given = pl.repeat(None, n, dtype=pl.String, eager=True)
    if "project_id" in by:
        given = V.fold_ids(data[by["project_id"][0]])
    out["project_id_given"] = given
    out["customer_key"] = customer_key(customer)
    out["sheet"] = pl.repeat(grid.sheet, n, dtype=pl.String, eager=True)
    out["source_row"] = rows.cast(pl.Int32)
    return pl.DataFrame(out).select(list(VISIT_SCHEMA)).cast(pl.Schema(VISIT_SCHEMA))


def _rows(rows: pl.Series) -> str:
    shown = ", ".join(map(str, rows.head(10).to_list()))
    return shown + (" …" if rows.len() > 10 else "")


def prepare_local(name: str, data: bytes, *, as_of: date | None, config: DomainConfig,
                  today: date) -> tuple[Report, pl.DataFrame]:
    """Parse and check one visit report; (report, rows shaped like ``VISIT_SCHEMA``)."""
    settings = config.visits

    def sheet_frame(report, grid, data_, rows, cols, n_sheets):
        return _sheet_frame(report, grid, data_, rows, cols, settings, n_sheets > 1)

    report, parts, _title = read_tables(name, data, KIND, AliasMatcher(settings.headers), key="customer",
                                takes_unit=lambda f: False, sheet_frame=sheet_frame)
    if not report.ok and not parts:
        given_or(report, as_of)
        return report, empty_visits()
    visits = pl.concat(parts, how="vertical") if parts else empty_visits()
    if report.ok and visits.height:
        before = visits.height
        visits = visits.filter(pl.struct(_SAME_VISIT).is_first_distinct())  # the first of each, in file order
        report.skip("duplicate visit (same person, date, customer, time, purpose, contact, result, project) / 重复的拜访记录",
                    before - visits.height)
        report.rows_accepted = report.rows_read - report.rows_skipped
    refuse_empty(report)
    # The import's date: given, else the last visit in the file (what the file reports up to).
    if as_of is not None:
        report.as_of, report.as_of_source = as_of, "given"
    elif visits.height and visits["visit_on"].drop_nulls().len():
        report.as_of, report.as_of_source = cast(date, visits["visit_on"].max()), "column"
    else:
        report.as_of, report.as_of_source = today, "today"
    return report, visits if report.ok else empty_visits()
