"""The sign-in gate every page run passes first (the entry script calls :func:`gate`).

Two modes, decided by ``.streamlit/secrets.toml`` alone (docs/DEPLOY.md):

* **Sign-in** — an ``[auth]`` section (OIDC through ``st.login``): an anonymous visitor
  sees only the sign-in page; a signed-in user is looked up in the access list
  (``dashboard.access``, read from the database on every run, never from the cookie);
  someone not on it sees "no access yet, ask the sales office" and no data.
* **Unsigned local mode** — no ``[auth]``: the person at this computer, as ``admin``, and
  only when the server listens on a loopback address (``make run`` passes
  ``--server.address 127.0.0.1``). Any other address is refused with how to turn sign-in
  on, unless ``PIPELINE_UNSAFE_NO_SIGN_IN_ON_NETWORK=1`` says otherwise on purpose. Every
  page says it is unsigned local mode.

An ``[auth]`` section that lacks a required key is refused (never local mode).
Identity text from the provider is shown with ``st.text`` only.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard import access, data, i18n
from dashboard.access import Access

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1"})
OVERRIDE_ENV = "PIPELINE_UNSAFE_NO_SIGN_IN_ON_NETWORK"
REQUIRED_AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


class SecretsUnreadable(RuntimeError):
    """A secrets file exists but could not be read: never fall back to local mode."""


def auth_section() -> dict | None:
    """The ``[auth]`` section of the secrets, or None when there is none (local mode).
    A secrets file that exists but does not parse raises (Streamlit would report it as
    "no secrets", and the app would open unsigned)."""
    if not st.secrets.load_if_toml_exists():
        files = st.get_option("secrets.files") or []
        present = [f for f in files if Path(f).is_file()]
        if present:
            raise SecretsUnreadable(f"{', '.join(present)} exists but could not be read as TOML: fix it; "
                                    "nothing is shown until then")
        return None
    section = st.secrets.get("auth")
    return dict(section) if section else None


# Headers a reverse proxy adds: a request that came through one is not "this computer".
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def _through_network(lang: str = "en") -> str | None:
    """Why this request is not from this computer (a proxy's headers, a remote address, a
    Host that is not loopback), or None. Outside a server (AppTest) there is no request."""
    try:
        headers = st.context.headers
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context
        return None
    for name in FORWARDING_HEADERS:
        if headers.get(name):
            return i18n.t("remote_proxy", lang, header=name)
    host = (headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
    if host and host not in LOOPBACK:
        return i18n.t("remote_host", lang, host=host)
    if isinstance(ip, str) and ip and ip not in LOOPBACK:
        return i18n.t("remote_ip", lang, ip=ip)
    return None


def _missing_keys(section: dict) -> list[str]:
    # Keys at the top of [auth] (one provider) or in a named provider table ([auth.NAME]).
    have = set(section)
    for value in section.values():
        if isinstance(value, dict) or hasattr(value, "keys"):
            have |= set(value.keys())
    return [k for k in REQUIRED_AUTH_KEYS if k not in have]


def local_allowed(address: str | None, environ=os.environ) -> bool:
    """Unsigned local mode only on loopback (an unset address listens on every interface)."""
    return (address or "").strip() in LOOPBACK or environ.get(OVERRIDE_ENV) == "1"


def gate(lang: str) -> Access:
    """The caller of this run, or the run stops here on the sign-in / refusal page."""
    T = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    section = auth_section()
    if section is None:
        address = st.get_option("server.address")
        remote = None if os.environ.get(OVERRIDE_ENV) == "1" else _through_network(lang)
        if not local_allowed(address) or remote:
            st.title(T("app_title"))
            if remote:
                st.error(T("local_refused_remote"))
                st.text(remote)
            else:
                st.error(T("local_refused", address=address or "0.0.0.0"))
            st.code(T("local_refused_howto"), language="toml")
            st.stop()
        caller = access.local_operator()
    else:
        missing = _missing_keys(section)
        if missing:
            st.title(T("app_title"))
            st.error(T("auth_incomplete", keys=", ".join(missing)))
            st.stop()
        if not st.user.get("is_logged_in", False):
            st.title(T("app_title"))
            st.info(T("sign_in_needed"))
            if st.button(T("sign_in"), type="primary", key="auth_sign_in", icon=":material/login:"):
                st.login()
            st.stop()
        email = st.user.get("email")
        groups = st.user.get(access.GROUPS_CLAIM) or ()
        if isinstance(groups, str):
            groups = (groups,)
        caller, reason = data.lookup_access(email, tuple(str(g) for g in groups))
        if caller is None:
            st.title(T("app_title"))
            st.warning(T("no_access"))
            st.text(f"{email or '–'}: {i18n.no_access_reason(reason, lang)}")
            if st.button(T("sign_out"), key="auth_sign_out_denied", icon=":material/logout:"):
                st.logout()
            st.stop()
    return caller


def identity_note(caller: Access, lang: str) -> None:
    """Who is reading, on every page: the unsigned-local-mode note in the main area, or
    the signed-in user (and a sign-out button) in the sidebar."""
    T = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    if caller.matched == "local mode":  # our own text: Markdown is fine
        st.markdown(f":orange-badge[:material/lock_open: {T('local_mode_title')}] {T('local_mode_note')}",
                    help=T("local_mode_help"))
        return
    sb = st.sidebar
    regions = T("all") if caller.sees_all else ", ".join(caller.regions)
    sb.text(f"{caller.who}\n{i18n.role_label(caller.role, lang)} · {regions}")
    if sb.button(T("sign_out"), key="auth_sign_out", icon=":material/logout:"):
        st.logout()
