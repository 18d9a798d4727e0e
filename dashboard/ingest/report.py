"""The validation report: what was read, how, and every problem, in Chinese and English.

Plain data (dataclasses that round-trip through JSON: the child process that parses a
file sends its report to the parent as JSON, and the imports table stores it). Every
message is written for a sales manager, not a programmer: which file, which row as you
count it in the file or sheet, which column, the value found, and what was expected.
No streamlit, no database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

MAX_ISSUES_PER_KIND = 50
_SOURCE_ZH = {"given": "指定", "column": "数据列", "title row": "标题行", "file name": "文件名", "today": "今天"}  # per (code, column): the rest are counted, not listed


@dataclass
class Issue:
    code: str  # a stable identifier, e.g. 'bad_date', 'duplicate_id', 'ragged_row'
    zh: str
    en: str
    row: int | None = None  # row number as a person counts it (CSV line / Excel row)
    column: str | None = None  # the header as written in the file
    value: str | None = None
    expected_zh: str | None = None
    expected_en: str | None = None
    sheet: str | None = None  # the workbook sheet (XLSX), when the file has sheets

    def text(self, lang: str = "en", file_name: str | None = None) -> str:
        zh = lang == "zh"
        parts = []
        if file_name:
            parts.append(file_name)
        if self.sheet is not None:
            parts.append(f"工作表「{self.sheet}」" if zh else f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        if self.column is not None:
            parts.append(f"列「{self.column}」" if zh else f"column '{self.column}'")
        where = (("，" if zh else ", ").join(parts) + ("：" if zh else ": ")) if parts else ""
        msg = self.zh if zh else self.en
        if self.value is not None:
            msg += f"（值：{self.value!r}）" if zh else f" (value: {self.value!r})"
        expected = self.expected_zh if zh else self.expected_en
        if expected:
            msg += f"；应为：{expected}" if zh else f"; expected: {expected}"
        return where + msg


@dataclass
class ColumnMatch:
    header: str  # as written in the file
    canonical: str  # e.g. 'expected_amount', 'stage_date.tender'
    how: str  # 'alias' (domain.toml) | 'mapping' (the mapping file) | 'canonical'
    unit: str | None = None  # '万元', '%', … when the header carries one
    unit_source: str | None = None  # where the unit was written when not in the header itself
    sheet: str | None = None  # the sheet it was read from (a workbook with several tables)


@dataclass
class SheetReport:
    """One sheet of a workbook whose several sheets hold the table (one per region …)."""

    name: str
    header_row: int | None = None
    rows_read: int = 0
    rows_accepted: int = 0


@dataclass
class Report:
    file_name: str
    sha256: str
    size_bytes: int = 0
    file_type: str | None = None  # 'csv' | 'xlsx'
    encoding: str | None = None  # 'utf-8', 'utf-8-sig', 'gb18030' (CSV only)
    delimiter: str | None = None  # ',', '\t' or ';' (CSV only)
    sheet: str | None = None
    sheets_considered: list[str] = field(default_factory=list)
    header_row: int | None = None  # row number of the header, as a person counts it
    kind: str | None = None  # 'projects' | 'history'
    mapping_name: str | None = None
    mapping_sha256: str | None = None  # of the mapping's content: part of an import's identity
    columns: list[ColumnMatch] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_skipped: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    issues_not_listed: dict[str, int] = field(default_factory=dict)  # code -> count beyond the cap
    as_of: date | None = None
    as_of_source: str | None = None  # 'given' | 'column' | 'title row' | 'file name' | 'today'
    date_orders: dict[str, str] = field(default_factory=dict)  # column header -> 'MDY'/'DMY'
    n_events: int = 0
    sheets: list[SheetReport] = field(default_factory=list)  # every sheet read, when more than one
    decimal_separators: dict[str, str] = field(default_factory=dict)  # column header -> ',' (only when not '.')

    @property
    def ok(self) -> bool:
        return not self.errors

    # -- building -------------------------------------------------------------------
    def _add(self, target: list[Issue], issue: Issue) -> None:
        key = f"{issue.code}:{issue.column or ''}"
        counts = self.__dict__.setdefault("_shown", {})
        shown = counts.get((id(target), key), 0)
        counts[(id(target), key)] = shown + 1
        if shown >= MAX_ISSUES_PER_KIND:
            self.issues_not_listed[key] = self.issues_not_listed.get(key, 0) + 1
        else:
            target.append(issue)

    def error(self, code: str, zh: str, en: str, **kw: Any) -> None:
        kw.setdefault("sheet", self.__dict__.get("_sheet"))
        self._add(self.errors, Issue(code, zh, en, **kw))

    def warn(self, code: str, zh: str, en: str, **kw: Any) -> None:
        kw.setdefault("sheet", self.__dict__.get("_sheet"))
        self._add(self.warnings, Issue(code, zh, en, **kw))

    def in_sheet(self, sheet: str | None) -> None:
        """Issues raised from now on name this sheet (None: the file has no sheets)."""
        self.__dict__["_sheet"] = sheet

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n
            self.rows_skipped += n

    # -- reading --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        d["ok"] = self.ok
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        d = dict(d)
        d.pop("ok", None)
        d["columns"] = [ColumnMatch(**c) for c in d.get("columns", [])]
        d["sheets"] = [SheetReport(**x) for x in d.get("sheets", [])]
        d["errors"] = [Issue(**i) for i in d.get("errors", [])]
        d["warnings"] = [Issue(**i) for i in d.get("warnings", [])]
        d["as_of"] = date.fromisoformat(d["as_of"]) if d.get("as_of") else None
        return cls(**d)

    def messages(self, lang: str = "en") -> list[str]:
        """Every error, then every warning, as one sentence each (file, row, column, value,
        what was expected)."""
        out = [i.text(lang, self.file_name) for i in self.errors]
        for key, n in self.issues_not_listed.items():
            code, _, column = key.partition(":")
            col = f" ({column})" if column else ""
            out.append(
                f"{self.file_name}：另有 {n} 处同类问题{col}未逐条列出"
                if lang == "zh"
                else f"{self.file_name}: {n} more of the same kind{col} not listed ({code})"
            )
        out += [("注意：" if lang == "zh" else "note: ") + i.text(lang, self.file_name) for i in self.warnings]
        return out

    def summary(self, lang: str = "en") -> str:
        """A few lines for the CLI and the upload page's header."""
        zh = lang == "zh"
        where = f"sheet '{self.sheet}', " if self.sheet and not zh else (f"工作表「{self.sheet}」，" if self.sheet else "")
        kind = {"projects": ("项目台账", "project export"), "history": ("阶段历史", "stage history"),
                "visits": ("拜访报告（销售日报）", "visit report"), "collections": ("回款台账", "receivables")}.get(
            self.kind or "", ("未识别", "unrecognised")
        )
        as_of = self.as_of.isoformat() if self.as_of else "-"
        src = self.as_of_source or "-"
        skipped = ", ".join(f"{n} {r}" for r, n in self.skipped.items())
        if len(self.sheets) > 1:
            where = (
                "工作表 " + "、".join(f"「{x.name}」（表头第 {x.header_row} 行，{x.rows_read} 行）" for x in self.sheets) + "，"
                if zh
                else "sheets " + ", ".join(f"'{x.name}' (header row {x.header_row}, {x.rows_read} rows)" for x in self.sheets) + ", "
            )
        if zh:
            lines = [
                f"{self.file_name}：{where}表头在第 {self.header_row} 行，{kind[0]}，"
                f"数据日期 {as_of}（来源：{_SOURCE_ZH.get(src, src)}）",
                f"  读取 {self.rows_read} 行，接受 {self.rows_accepted} 行，跳过 {self.rows_skipped} 行"
                + (f"（{skipped}）" if skipped else ""),
                f"  识别列：{', '.join(f'{c.header}→{c.canonical}' for c in self.columns)}",
            ]
            if self.ignored_columns:
                lines.append(f"  忽略列：{', '.join(self.ignored_columns)}")
            lines.append("  结果：可以导入" if self.ok else f"  结果：拒绝导入（{len(self.errors)} 个错误）")
        else:
            lines = [
                f"{self.file_name}: {where}header on row {self.header_row}, {kind[1]}, "
                f"as of {as_of} ({src})",
                f"  rows read {self.rows_read}, accepted {self.rows_accepted}, skipped {self.rows_skipped}"
                + (f" ({skipped})" if skipped else ""),
                f"  columns: {', '.join(f'{c.header}->{c.canonical}' for c in self.columns)}",
            ]
            if self.ignored_columns:
                lines.append(f"  ignored: {', '.join(self.ignored_columns)}")
            lines.append(
                "  result: ready to import" if self.ok else f"  result: refused ({len(self.errors)} errors)"
            )
        return "\n".join(lines)
