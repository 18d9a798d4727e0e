"""Who may see and do what: roles, the access list, the audit trail. No streamlit.

The access list lives in the database (table ``access_list``, migration 0005), maintained
by the sales office (role ``admin``) on the Data page or with ``dashboard access``. Each
entry maps a *principal* — an e-mail address, or ``group:NAME`` matching a value of the
ID token's ``groups`` claim — to a role and regions:

=====================  ===============  ==================================================
role                   regions          may
=====================  ===============  ==================================================
``admin``              all              see everything; import (a whole as-of date),
                                        remove imports, save mappings, edit the access
                                        list, read the audit
``head_office``        all              see everything; read only
``regional``           the listed ones  see those regions; read only
``regional_importer``  the listed ones  see those regions; import files whose rows all
                                        lie in them (replacing only those regions' rows of
                                        that date); their own import history
=====================  ===============  ==================================================

Matching (:func:`resolve`): an entry for the user's e-mail wins; else the entries for the
user's groups — one role among them (their regions united), or no access when they name
different roles (ambiguous: the sales office must decide). No entry: no access. The list
is read from the database on every page run (a change shows on the next click), never
from the sign-in cookie, which Streamlit keeps for 30 days.

Every import, removal, mapping change and access-list change is written to ``audit_log``
in the same transaction as the change itself (:func:`record`).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from queries.filters import ALL_REGIONS

ROLES = ("admin", "head_office", "regional", "regional_importer")
ALL_REGION_ROLES = frozenset({"admin", "head_office"})
IMPORT_ROLES = frozenset({"admin", "regional_importer"})
GROUP_PREFIX = "group:"
GROUPS_CLAIM = "groups"

# What the audit records (column `action`).
ACTIONS = ("import", "remove_import", "mapping_save", "access_grant", "access_revoke")


class AccessError(ValueError):
    """A bad access-list entry (unknown role, regions missing or not allowed for the role).
    ``str()`` is English (the CLI); :meth:`message` gives the page's language."""

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(en)
        self.en, self.zh = en, zh or en

    def message(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Access:
    """The caller of one page run (or one CLI command): who, with which role and regions."""

    who: str  # the e-mail address, or "local" (unsigned local mode), or "cli:<os user>"
    role: str
    regions: tuple[str, ...]  # queries.ALL_REGIONS for admin / head_office
    matched: str = ""  # the access-list entry that gave it ("e-mail", "group:…", "local mode")

    @property
    def sees_all(self) -> bool:
        return self.regions == ALL_REGIONS

    @property
    def can_import(self) -> bool:
        return self.role in IMPORT_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def import_regions(self) -> tuple[str, ...]:
        """What an import by this caller may replace: the whole date (ALL_REGIONS) for
        admin, else the listed regions; () for a role that does not import."""
        if self.role == "admin":
            return ALL_REGIONS
        return self.regions if self.role == "regional_importer" else ()


def local_operator() -> Access:
    """Unsigned local mode (no [auth], loopback only): the person at this computer."""
    return Access(who="local", role="admin", regions=ALL_REGIONS, matched="local mode")


def cli_operator() -> Access:
    """The `dashboard` command: the server operator, unscoped (docs/DEPLOY.md)."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        user = "unknown"
    return Access(who=f"cli:{user}", role="admin", regions=ALL_REGIONS, matched="command line")


def normalize_principal(principal: str) -> str:
    """E-mail addresses compare case-insensitively; ``group:NAME`` keeps the group's case."""
    p = (principal or "").strip()
    if p.lower().startswith(GROUP_PREFIX):
        name = p[len(GROUP_PREFIX):].strip()
        if not name:
            raise AccessError("a group principal needs a name: group:NAME", "组名不能为空：group:组名")
        return GROUP_PREFIX + name
    if "@" not in p or any(c.isspace() for c in p):
        raise AccessError(f"a principal is an e-mail address or group:NAME, got {principal!r}",
                          f"应填写邮箱地址或 group:组名，收到的是 {principal!r}")
    return p.lower()


def check_entry(role: str, regions: Sequence[str]) -> tuple[str, ...]:
    """The regions to store for ``role`` (ALL_REGIONS for admin/head_office), or AccessError."""
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}",
                          f"未知角色 {role!r}；可选：{', '.join(ROLES)}")
    regs = tuple(dict.fromkeys(r.strip() for r in regions if r and r.strip()))
    if role in ALL_REGION_ROLES:
        if regs and regs != ALL_REGIONS:
            raise AccessError(f"role {role} sees every region; do not list regions (got {', '.join(regs)})",
                              f"角色 {role} 可见全部区域，无需填写区域（填写了：{'、'.join(regs)}）")
        return ALL_REGIONS
    if not regs:
        raise AccessError(f"role {role} needs at least one region (--region NAME)",
                          f"角色 {role} 至少需要一个区域")
    if "*" in regs:
        raise AccessError(f"role {role} sees listed regions only; '*' (all regions) is for admin and head_office",
                          f"角色 {role} 只能看到所列区域；“*”（全部区域）仅用于管理员和总部")
    return regs


def resolve(entries: Iterable[tuple[str, str, Sequence[str]]], email: str | None,
            groups: Sequence[str] = ()) -> tuple[Access | None, str]:
    """The access of a signed-in user from the list's ``(principal, role, regions)`` rows,
    and why there is none: a code (``no_email``, ``not_listed``, ``conflicting_roles:…``,
    worded by ``i18n.no_access_reason``), '' when there is access."""
    email_n = (email or "").strip().lower()
    if not email_n:
        return None, "no_email"
    rows = [(p, r, tuple(regs or ())) for p, r, regs in entries]
    for principal, role, regions in rows:
        if principal == email_n:
            return Access(email_n, role, regions, matched=principal), ""
    wanted = {GROUP_PREFIX + str(g).strip() for g in groups or () if str(g).strip()}
    hits = [(p, r, regs) for p, r, regs in rows if p in wanted]
    if not hits:
        return None, "not_listed"
    roles = {r for _, r, _ in hits}
    if len(roles) > 1:
        return None, "conflicting_roles:" + ",".join(sorted(roles))
    role = roles.pop()
    if role in ALL_REGION_ROLES:
        regions = ALL_REGIONS
    else:
        regions = tuple(dict.fromkeys(x for _, _, regs in hits for x in regs if x != "*"))
    return Access(email_n, role, regions, matched=", ".join(p for p, _, _ in hits)), ""


# --------------------------------------------------------------------------- reading (any cursor)


def entries(con) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every access-list entry as (principal, role, regions) (query ``access_list``)."""
    import queries

    df = queries.runner.run_plain(con, "access_list")
    return [(p, r, tuple(regs or ())) for p, r, regs in df.select("principal", "role", "regions").iter_rows()]


def lookup(con, email: str | None, groups: Sequence[str] = ()) -> tuple[Access | None, str]:
    return resolve(entries(con), email, groups)


# --------------------------------------------------------------------------- writing (inside a write transaction)


def record(con, actor: str, action: str, *, import_id: int | None = None, file_name: str | None = None,
           sha256: str | None = None, as_of=None, regions: Sequence[str] | None = None,
           rows: dict[str, int] | None = None, detail: dict[str, Any] | None = None) -> int:
    """One audit row, in the caller's write transaction (so it exists iff the change does)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if not actor:
        raise ValueError("an audit row needs the actor")
    audit_id = con.execute("select coalesce(max(audit_id), 0) + 1 from audit_log").fetchall()[0][0]
    rows = rows or {}
    con.execute(
        "insert into audit_log (audit_id, happened_at, actor, action, import_id, file_name, sha256, as_of, regions, "
        "rows_added, rows_removed, rows_changed, detail) values ($id, $at, $actor, $action, $import_id, $file, $sha, "
        "$as_of, $regions, $added, $removed, $changed, $detail)",
        {"id": audit_id, "at": datetime.now(), "actor": actor, "action": action, "import_id": import_id,
         "file": file_name, "sha": sha256, "as_of": as_of, "regions": None if regions is None else list(regions),
         "added": rows.get("added"), "removed": rows.get("removed"), "changed": rows.get("changed"),
         "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)},
    )
    return audit_id


def grant(db_path: str | Path, principal: str, role: str, regions: Sequence[str], *, actor: str,
          note: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """Add or change one entry (one write transaction, audited). Returns what is stored."""
    from dashboard import store

    p = normalize_principal(principal)
    regs = check_entry(role, regions)
    with store.write_transaction(db_path) as con:
        before = con.execute("select role, regions from access_list where principal = $p", {"p": p}).fetchall()
        con.execute("delete from access_list where principal = $p", {"p": p})
        con.execute(
            "insert into access_list (principal, role, regions, note, granted_by, granted_at) "
            "values ($p, $role, $regions, $note, $by, $at)",
            {"p": p, "role": role, "regions": list(regs), "note": note, "by": actor, "at": datetime.now()},
        )
        record(con, actor, "access_grant", regions=regs, detail={
            "principal": p, "role": role, "regions": list(regs),
            "before": {"role": before[0][0], "regions": list(before[0][1] or [])} if before else None})
    return p, role, regs


def revoke(db_path: str | Path, principal: str, *, actor: str) -> bool:
    """Remove one entry (audited); False when there was none (nothing written)."""
    from dashboard import store

    p = normalize_principal(principal)
    if Path(db_path).exists():  # not listed (in a current database): answer without rewriting the file
        con = store.connect_read_only(db_path)
        try:
            current = not store.missing_migrations(con)
            listed = current and con.execute(
                "select count(*) from access_list where principal = $p", {"p": p}).fetchall()[0][0] > 0
        finally:
            con.close()
        if current and not listed:
            return False
    with store.write_transaction(db_path) as con:
        before = con.execute("select role, regions from access_list where principal = $p", {"p": p}).fetchall()
        if not before:
            return False
        con.execute("delete from access_list where principal = $p", {"p": p})
        record(con, actor, "access_revoke", regions=tuple(before[0][1] or ()), detail={
            "principal": p, "before": {"role": before[0][0], "regions": list(before[0][1] or [])}})
    return True
