"""Mapping files: how another CRM's export reads into our canonical fields.

A mapping is a small TOML file (format: docs/MAPPING.md)::

    name = "maven-crm"
    [columns]          # export header -> canonical field ("" = ignore the column)
    opportunity_id = "project_id"
    [stages]           # the CRM's stage name -> a stage code, or a status word (won/lost…)
    Won = "won"
    [constants]        # amount_unit = "万元", date_order = "MDY" | "DMY", kind = "history",
                       # decimal_separator = "," | "." (when the file's numbers cannot tell)
    [lookup.region]    # fill a field from a second file, matched on another field
    file = "sales_teams.csv"
    key = "sales_agent"
    value = "regional_office"
    from_column = "owner"

Lookups are read when the mapping is *resolved* (``resolve_lookups``), never inside
``prepare`` (which sees only the bytes of one file). Owns reading, validating, writing
(``to_toml``) and saving mappings. No streamlit, no database.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dashboard.config import STATUSES, DomainConfig, get_config, normalize

CONSTANT_KEYS = {"amount_unit", "date_order", "kind", "decimal_separator"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Lookup:
    field: str  # the canonical field it fills, e.g. 'region'
    file: str  # a CSV, relative to the data file's folder or the mapping's folder
    key: str  # the column of `file` to match on
    value: str  # the column of `file` that gives the field's value
    from_column: str  # the canonical field of the export whose value is matched
    table: dict[str, str] | None = None  # filled by resolve_lookups
    resolved_from: str | None = None


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # export header -> canonical ('' = ignore)
    stages: dict[str, str] = field(default_factory=dict)  # CRM stage -> code or status
    constants: dict[str, str] = field(default_factory=dict)
    lookups: tuple[Lookup, ...] = ()
    source: str | None = None  # the path it was loaded from (display only)

    # -- for the ingest path --------------------------------------------------------
    def column_index(self) -> dict[str, str]:
        """normalised export header -> canonical ('' = ignore)."""
        return {normalize(k): v for k, v in self.columns.items()}

    def stage_words(self, config: DomainConfig) -> tuple[dict[str, str], dict[str, str]]:
        """(normalised word -> stage code, normalised word -> status) for this mapping,
        on top of the domain configuration's words."""
        stage_names = dict(config.stage_names)
        status_words = dict(config.status_words)
        for word, target in self.stages.items():
            key = normalize(word)
            stage_names.pop(key, None)
            status_words.pop(key, None)
            if target in config.stage_codes:
                stage_names[key] = target
            else:
                status_words[key] = target if target in STATUSES else config.status_words[normalize(target)]
        return stage_names, status_words

    def validate(self, config: DomainConfig | None = None) -> None:
        config = config or get_config()
        where = self.source or self.name
        canon = set(config.headers)
        for header, target in self.columns.items():
            if target and target not in canon:
                raise MappingError(
                    f"{where}: [columns] {header!r} = {target!r}: not a canonical field; "
                    f"choose one of {', '.join(sorted(canon))} (or \"\" to ignore)"
                )
        for word, target in self.stages.items():
            if target not in config.stage_codes and target not in STATUSES and normalize(target) not in config.status_words:
                raise MappingError(
                    f"{where}: [stages] {word!r} = {target!r}: expected a stage code "
                    f"({', '.join(config.stage_codes)}) or a status ({', '.join(STATUSES)})"
                )
        unknown = set(self.constants) - CONSTANT_KEYS
        if unknown:
            raise MappingError(f"{where}: [constants] unknown keys {sorted(unknown)}; known: {sorted(CONSTANT_KEYS)}")
        order = self.constants.get("date_order")
        if order is not None and order not in ("MDY", "DMY"):
            raise MappingError(f"{where}: [constants] date_order = {order!r}: expected \"MDY\" or \"DMY\"")
        unit = self.constants.get("amount_unit")
        if unit is not None:
            from dashboard.ingest.values import UNIT_FACTORS

            if normalize(unit) not in UNIT_FACTORS:
                raise MappingError(f"{where}: [constants] amount_unit = {unit!r}: expected one of {sorted(UNIT_FACTORS)}")
        sep = self.constants.get("decimal_separator")
        if sep is not None and sep not in (",", "."):
            raise MappingError(f"{where}: [constants] decimal_separator = {sep!r}: expected \",\" or \".\"")
        kind = self.constants.get("kind")
        if kind is not None and kind not in ("projects", "history"):
            raise MappingError(f"{where}: [constants] kind = {kind!r}: expected \"projects\" or \"history\"")
        for lk in self.lookups:
            if lk.field not in canon or lk.from_column not in canon:
                raise MappingError(f"{where}: [lookup.{lk.field}] names a field that is not canonical")

    # -- lookups ----------------------------------------------------------------------
    def resolve_lookups(self, *folders: str | Path) -> tuple[Mapping, list[str]]:
        """Read each lookup's file from the first folder that has it. Returns the mapping
        with tables filled and a note per lookup that could not be resolved (the field
        then stays empty)."""
        notes: list[str] = []
        resolved: list[Lookup] = []
        for lk in self.lookups:
            path = next((Path(f) / lk.file for f in folders if (Path(f) / lk.file).is_file()), None)
            if path is None:
                notes.append(
                    f"lookup for {lk.field}: {lk.file} not found in {', '.join(str(f) for f in folders) or '(no folder)'}; "
                    f"{lk.field} stays empty"
                )
                resolved.append(lk)
                continue
            table = _read_lookup(path, lk)
            resolved.append(replace(lk, table=table, resolved_from=str(path)))
        return replace(self, lookups=tuple(resolved)), notes

    # -- writing ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": dict(self.columns),
            "stages": dict(self.stages),
            "constants": dict(self.constants),
            "lookups": [lk.__dict__ for lk in self.lookups],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Mapping:
        return cls(
            name=d["name"],
            columns=dict(d.get("columns", {})),
            stages=dict(d.get("stages", {})),
            constants=dict(d.get("constants", {})),
            lookups=tuple(Lookup(**lk) for lk in d.get("lookups", [])),
            source=d.get("source"),
        )

    def to_toml(self) -> str:
        """The mapping as a TOML document that ``load_mapping`` reads back unchanged."""
        lines = [f"name = {_q(self.name)}", "", "[columns]"]
        lines += [f"{_q(k)} = {_q(v)}" for k, v in self.columns.items()]
        lines += ["", "[stages]"]
        lines += [f"{_q(k)} = {_q(v)}" for k, v in self.stages.items()]
        if self.constants:
            lines += ["", "[constants]"]
            lines += [f"{_q(k)} = {_q(v)}" for k, v in self.constants.items()]
        for lk in self.lookups:
            lines += ["", f"[lookup.{_q(lk.field)}]"]
            for key in ("file", "key", "value", "from_column"):
                lines.append(f"{key} = {_q(getattr(lk, key))}")
        return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    # A JSON string is a TOML basic string (same \uXXXX, \" and \\ escapes) except that
    # TOML also forbids a raw DEL, which JSON leaves alone (found by the property test).
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _read_lookup(path: Path, lk: Lookup) -> dict[str, str]:
    from dashboard.ingest.read import DecodeRefused, decode_text

    try:
        text, _ = decode_text(path.read_bytes())
    except DecodeRefused as exc:
        raise MappingError(f"{path}: line {exc.line}: {exc.en}") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise MappingError(f"{path}: empty lookup file")
    header = [normalize(h) for h in rows[0]]
    try:
        ki, vi = header.index(normalize(lk.key)), header.index(normalize(lk.value))
    except ValueError:
        raise MappingError(f"{path}: lookup needs columns {lk.key!r} and {lk.value!r}; found {rows[0]}") from None
    return {r[ki].strip(): r[vi].strip() for r in rows[1:] if len(r) > max(ki, vi) and r[ki].strip()}


def parse_mapping(raw: dict[str, Any], *, source: str | None = None, default_name: str = "mapping") -> Mapping:
    known = {"name", "columns", "stages", "constants", "lookup"}
    unknown = set(raw) - known
    if unknown:
        raise MappingError(f"{source or default_name}: unknown sections {sorted(unknown)}; known: {sorted(known)}")
    lookups = []
    for fld, spec in raw.get("lookup", {}).items():
        try:
            lookups.append(
                Lookup(field=fld, file=spec["file"], key=spec["key"], value=spec["value"], from_column=spec["from_column"])
            )
        except KeyError as exc:
            raise MappingError(f"{source}: [lookup.{fld}] lacks {exc}") from None
    m = Mapping(
        name=str(raw.get("name") or default_name),
        columns={str(k): str(v) for k, v in raw.get("columns", {}).items()},
        stages={str(k): str(v) for k, v in raw.get("stages", {}).items()},
        constants={str(k): str(v) for k, v in raw.get("constants", {}).items()},
        lookups=tuple(lookups),
        source=source,
    )
    m.validate()
    return m


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (lookups not yet resolved; see resolve_lookups)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    return parse_mapping(raw, source=str(path), default_name=path.stem)


_SAFE = re.compile(r"[^\w.-]+")


def save_mapping(mapping: Mapping, directory: str | Path) -> Path:
    """Write ``mapping`` as ``<directory>/<name>.toml`` (the name made safe as a file
    name: it is a label, never a path) and return the path. A mapping that does not
    validate is refused (MappingError) and nothing is written."""
    mapping.validate()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = _SAFE.sub("-", mapping.name).strip(".-") or "mapping"
    path = directory / f"{stem}.toml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(mapping.to_toml(), encoding="utf-8")
    tmp.replace(path)
    return path
