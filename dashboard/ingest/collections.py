"""Collections (回款, issue 13): reading and checking a receivables file.

Two shapes, both zh or en headers (``[collections.headers]`` in domain.toml), amounts in
元 or 万元 with the ledger's unit logic (a unit in the header, a merged parent header, or
「单位：万元」 in the title rows):

* a **receivables ledger**: one row per invoice line of a project — 项目编号, 合同金额,
  开票金额, 开票日期, 约定回款日期, 回款金额, 回款日期, 应收余额. Each row becomes up to three
  entries: the contract (once per project; rows of one project that disagree on it are
  an error), the invoice (needs its 开票日期 and 约定回款日期) and the payment (needs its
  回款日期). 应收余额, when given, must equal 开票金额 − 回款金额 (to the fen): a ledger
  whose balance does not add up is refused row by row, never imported as it stands;
* a **dated list**: 项目编号, 类型 (合同/开票/回款), 金额, 日期 (and 约定回款日期 for an invoice).

Every entry is checked (a project id, a readable amount, the dates an entry needs); the
file is refused whole on any error. ``clean.prepare_local`` hands such a file here when
:func:`sniff` says it is one. Writing: collections_load.py. No streamlit, no database.
"""

from __future__ import annotations

from datetime import date
from typing import cast

import polars as pl

from dashboard.config import CollectionSettings, DomainConfig
from dashboard.ingest import values as V
from dashboard.ingest.records import AliasMatcher, given_or, has_headers, read_tables, refuse_empty
from dashboard.ingest.report import Report

KIND = "collections"
_DATED_LIST = frozenset({"project_id", "entry", "amount", "entry_on"})
_ONLY = ("invoiced_amount", "collected_amount", "invoice_on", "payment_on", "receivable_amount", "due_on")
_AMOUNTS = ("contract_amount", "invoiced_amount", "collected_amount", "receivable_amount", "amount")
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(),
    "entry": pl.String(),
    "amount": V.AMOUNT_DTYPE,
    "on_date": pl.Date(),
    "due_on": pl.Date(),
    "sheet": pl.String(),
    "source_row": pl.Int32(),
}


def empty_entries() -> pl.DataFrame:
    return pl.DataFrame(schema=ENTRY_SCHEMA)


def sniff(data: bytes, config: DomainConfig) -> str | None:
    """'collections' when a header row holds two headers only a receivables file has
    (开票金额, 回款金额, 开票日期, 回款日期, 应收余额, 约定回款日期), or 类型 + 金额 + 日期 with a
    project id (a dated list); else None."""
    matcher = AliasMatcher(config.collections.headers)
    return KIND if has_headers(data, matcher, _ONLY, together=_DATED_LIST) else None


def _unit(grid, i: int, unit: str | None, report: Report, header: str) -> str | None:
    """The amount column's unit: its header, else a merged parent header above it, else the
    one 「单位：…」 note of the title rows (several different notes: an error)."""
    if unit in V.UNIT_FACTORS:
        return unit
    inherited = grid.inherited_units[i] if grid.inherited_units else None
    if inherited and inherited[0] in V.UNIT_FACTORS:
        return inherited[0]
    notes = sorted({u for u, _ in grid.unit_notes})
    if len(notes) > 1:
        report.error("unit_note_conflict", f"标题行写了不同的金额单位（{'、'.join(notes)}），而本列表头没有单位；请在表头里写明单位",
                     f"the title rows name different units ({', '.join(notes)}) and this column's header names none; "
                     "write the unit in the header", row=grid.header_row, column=header)
        return None
    return notes[0] if notes else None


def _sheet_entries(report: Report, grid, data: pl.DataFrame, rows: pl.Series, cols,
                   settings: CollectionSettings) -> pl.DataFrame | None:
    from dashboard.ingest.clean import _cell_errors, _date_column

    by = cols.by_field
    n = data.height
    if "project_id" not in by:
        report.error("missing_column", "回款文件缺少项目编号列（如 项目编号、合同编号）",
                     "a receivables file needs a project id column (e.g. 项目编号, 合同编号, Opportunity ID)",
                     expected_zh="项目编号", expected_en="项目编号, Opportunity ID")
        return None
    raw_ids = data[by["project_id"][0]]
    ids = V.fold_ids(raw_ids)
    _cell_errors(report, ids.is_null(), raw_ids, rows, code="missing_id", column=by["project_id"][1],
                 zh="项目编号为空", en="the project id is empty", expected_zh="项目编号", expected_en="a project id")
    amounts: dict[str, pl.Series] = {}
    for f in _AMOUNTS:
        if f in by:
            col, header, unit = by[f]
            i = int(col[1:])
            value, bad = V.parse_amounts(data[col], _unit(grid, i, unit, report, header))
            _cell_errors(report, bad, data[col], rows, code="bad_amount", column=header, zh="不是可识别的金额", en="not an amount",
                         expected_zh="数字，如 1,234.50 或 123.5万", expected_en="a number such as 1,234.50 or 123.5万")
            amounts[f] = value
    dates: dict[str, pl.Series] = {}
    for f in ("invoice_on", "payment_on", "due_on", "entry_on"):
        if f in by:
            col, header, _ = by[f]
            dates[f] = _date_column(report, data, col, header, None, rows)

    def need(mask: pl.Series, f: str, zh: str, en: str) -> None:
        if f in by:
            col, header, _ = by[f]
            _cell_errors(report, mask & dates[f].is_null(), data[col], rows, code="missing_date", column=header,
                         zh=zh, en=en, expected_zh="日期", expected_en="a date")
        elif mask.any():
            report.error("missing_column", f"有金额但没有对应的日期列：{zh}", f"amounts without their date column: {en}",
                         row=int(rows.filter(mask)[0]))

    parts = []
    base = {"project_id": ids, "sheet": pl.repeat(grid.sheet, n, dtype=pl.String, eager=True), "source_row": rows.cast(pl.Int32)}
    nulls = pl.repeat(None, n, dtype=pl.Date, eager=True)
    if "entry" in by:  # a dated list
        col, header, _ = by["entry"]
        entry, bad = V.lookup_words(V.clean_text(data[col]), settings.entry_words)
        _cell_errors(report, bad | entry.is_null(), data[col], rows, code="bad_entry", column=header,
                     zh="类型无法识别", en="not a known entry type", expected_zh="合同、开票 或 回款", expected_en="合同 (contract), 开票 (invoice) or 回款 (payment)")
        if "amount" not in amounts or "entry_on" not in dates:
            report.error("missing_column", "按日期列出的回款文件需要 金额 和 日期 两列", "a dated list needs an amount and a date column",
                         expected_zh="金额、日期", expected_en="Amount, Date")
            return None
        need(entry.is_in(["invoice", "payment"]).fill_null(False), "entry_on", "开票/回款的日期为空", "the date of an invoice or payment is empty")
        due = dates.get("due_on", nulls)
        need((entry == "invoice").fill_null(False), "due_on", "开票没有约定回款日期", "an invoice without its agreed payment date")
        parts.append(pl.DataFrame({**base, "entry": entry, "amount": amounts["amount"], "on_date": dates["entry_on"],
                                   "due_on": pl.select(pl.when(entry == "invoice").then(due)).to_series()}))
    else:  # a ledger: one row per invoice line
        if not ({"contract_amount", "invoiced_amount", "collected_amount"} & amounts.keys()):
            report.error("missing_column", "回款台账需要 合同金额、开票金额 或 回款金额 列",
                         "a receivables ledger needs a contract, invoiced or collected amount column",
                         expected_zh="合同金额、开票金额、回款金额", expected_en="Contract Amount, Invoiced Amount, Collected Amount")
            return None
        zero = pl.repeat(None, n, dtype=V.AMOUNT_DTYPE, eager=True)
        inv, paid = amounts.get("invoiced_amount", zero), amounts.get("collected_amount", zero)
        has_inv, has_paid = (inv.fill_null(0) != 0), (paid.fill_null(0) != 0)
        need(has_inv, "invoice_on", "有开票金额但开票日期为空", "an invoiced amount without its invoice date")
        need(has_inv, "due_on", "有开票金额但约定回款日期为空", "an invoiced amount without its agreed payment date")
        need(has_paid, "payment_on", "有回款金额但回款日期为空", "a collected amount without its payment date")
        if "receivable_amount" in amounts:
            col, header, _ = by["receivable_amount"]
            stated = amounts["receivable_amount"]
            off = (stated.is_not_null() & ((inv.fill_null(0) - paid.fill_null(0)) != stated)).fill_null(False)
            _cell_errors(report, off, data[col], rows, code="balance_mismatch", column=header,
                         zh="应收余额不等于 开票金额 − 回款金额", en="the receivable balance is not the invoiced minus the collected amount",
                         expected_zh="开票金额 − 回款金额", expected_en="invoiced − collected")
        if "contract_amount" in amounts:
            contract = pl.DataFrame({"project_id": ids, "amount": amounts["contract_amount"], "row": rows})
            per = contract.filter(pl.col("amount").is_not_null()).group_by("project_id").agg(
                pl.col("amount").n_unique().alias("n"), pl.col("row").first().alias("row"), pl.col("row").alias("rows"))
            for pid, _n, row, all_rows in per.filter(pl.col("n") > 1).iter_rows():
                report.error("contract_differs", f"同一项目的各行合同金额不一致（第 {', '.join(map(str, all_rows))} 行）",
                             f"the rows of one project give different contract amounts (rows {', '.join(map(str, all_rows))})",
                             row=row, column=by["contract_amount"][1], value=pid)
            first = contract.with_row_index("_i").filter(pl.col("amount").is_not_null()).unique("project_id", keep="first")
            keep = pl.Series([False] * n).scatter(first["_i"].to_list(), True) if first.height else pl.repeat(False, n, eager=True)
            parts.append(pl.DataFrame({**base, "entry": pl.repeat("contract", n, dtype=pl.String, eager=True),
                                       "amount": amounts["contract_amount"], "on_date": nulls, "due_on": nulls}).filter(keep))
        parts.append(pl.DataFrame({**base, "entry": pl.repeat("invoice", n, dtype=pl.String, eager=True), "amount": inv,
                                   "on_date": dates.get("invoice_on", nulls), "due_on": dates.get("due_on", nulls)}).filter(has_inv))
        parts.append(pl.DataFrame({**base, "entry": pl.repeat("payment", n, dtype=pl.String, eager=True), "amount": paid,
                                   "on_date": dates.get("payment_on", nulls), "due_on": nulls}).filter(has_paid))
    out = pl.concat([p.select(list(ENTRY_SCHEMA)).cast(pl.Schema(ENTRY_SCHEMA)) for p in parts], how="vertical")
    return out.filter(pl.col("amount").is_not_null() & pl.col("project_id").is_not_null())


def prepare_local(name: str, data: bytes, *, as_of: date | None, config: DomainConfig,
                  today: date) -> tuple[Report, pl.DataFrame]:
    """Parse and check one receivables file; (report, entries shaped like ``ENTRY_SCHEMA``)."""
    settings = config.collections

    def sheet_frame(report, grid, data_, rows, cols, n_sheets):
        return _sheet_entries(report, grid, data_, rows, cols, settings)

    report, parts, title = read_tables(name, data, KIND, AliasMatcher(settings.headers), key="project_id",
                                takes_unit=lambda f: f in _AMOUNTS, sheet_frame=sheet_frame)
    if not report.ok and not parts:
        given_or(report, as_of)
        return report, empty_entries()
    entries = pl.concat(parts, how="vertical") if parts else empty_entries()
    refuse_empty(report)
    dated = pl.concat([entries["on_date"], entries["due_on"]]).drop_nulls()
    if as_of is not None:
        report.as_of, report.as_of_source = as_of, "given"
    elif (d := V.find_date_in_text(title)) is not None:
        report.as_of, report.as_of_source = d, "title row"
    elif (d := V.find_date_in_text(name.rsplit(".", 1)[0])) is not None:
        report.as_of, report.as_of_source = d, "file name"
    elif dated.len():
        report.as_of, report.as_of_source = cast(date, entries["on_date"].drop_nulls().max() or dated.max()), "column"
    else:
        report.as_of, report.as_of_source = today, "today"
    report.n_events = entries.height
    return report, entries if report.ok else empty_entries()
