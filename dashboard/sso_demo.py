"""`make run-sso`: sign-in without a real identity provider (issue 10, item 9).

Starts ``oidc-provider-mock`` (a test OpenID Connect provider, in the test extra) on
loopback with the sample identities below, writes a secrets file with ``[auth]`` pointing
at it, puts the sample people on the access list of a database of its own (the demo data,
imported as a company's own so regional imports are possible), and runs the dashboard
signed in through it. Open the printed address (``localhost``, exactly: the sign-in
cookie and the ``redirect_uri`` must use the same origin); the mock's sign-in form has one
button per sample identity. The browser tests (tests/test_browser_access.py) use the same
identities and the same functions. No streamlit import (the app runs in its own process).

Never use this for real people: the mock signs in anybody who clicks a button.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "streamlit_app.py"


@dataclass(frozen=True)
class Identity:
    email: str
    groups: tuple[str, ...]
    principal: str | None  # the access-list entry that lets them in (None: unlisted)
    role: str | None
    regions: tuple[str, ...]

    def claims(self) -> str:
        return json.dumps({"sub": self.email, "email": self.email, "groups": list(self.groups)}, ensure_ascii=False)


# One per kind of reader: matched by e-mail, or by a value of the `groups` claim.
IDENTITIES = (
    Identity("admin@example.com", ("sales-office",), "group:sales-office", "admin", ()),
    Identity("head@example.com", ("board",), "head@example.com", "head_office", ()),
    Identity("east@example.com", ("east-sales",), "group:east-sales", "regional", ("华东",)),
    Identity("south@example.com", ("south-sales",), "south@example.com", "regional_importer", ("华南",)),
    Identity("stranger@example.com", ("visitors",), None, None, ()),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout_s: float = 60, ok=lambda body: True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as r:
                if ok(r.read()):
                    return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s}s")


def start_mock(port: int, log_path: Path) -> subprocess.Popen:
    """oidc-provider-mock on 127.0.0.1:port with every sample identity."""
    exe = Path(sys.executable).with_name("oidc-provider-mock")
    cmd = [str(exe), "--port", str(port)]
    for who in IDENTITIES:
        cmd += ["--user-claims", who.claims()]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    wait_http(f"http://localhost:{port}/.well-known/openid-configuration", proc)
    return proc


def write_secrets(path: Path, app_port: int, mock_port: int) -> Path:
    """A secrets.toml whose [auth] signs in through the mock (origin: http://localhost:app_port)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# written by `make run-sso` (dashboard/sso_demo.py): a mock identity provider, never for real use\n"
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "pipeline-dashboard"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "http://localhost:{mock_port}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def prepare_database(path: Path, *, company_db: Path | None = None) -> Path:
    """A database with the demo exports imported as a company's own (regional imports need
    real data) and every listed sample identity on its access list. ``company_db``: copy
    that file instead of importing the seeds again (the tests build it once)."""
    from dashboard import access, demo, ingest

    path.parent.mkdir(parents=True, exist_ok=True)
    if company_db is not None:
        shutil.copy(company_db, path)
    elif not path.exists():
        ingest.commit(path, demo.prepare_seeds(), actor="sso-demo setup")
    for who in IDENTITIES:
        if who.principal and who.role:
            access.grant(path, who.principal, who.role, who.regions, actor="sso-demo setup", note="make run-sso sample")
    return path


def main() -> int:
    app_port = int(os.environ.get("PORT", "8501"))
    mock_port = int(os.environ.get("MOCK_PORT", "9400"))
    folder = ROOT / "data" / "sso-demo"
    folder.mkdir(parents=True, exist_ok=True)
    db = prepare_database(folder / "pipeline.duckdb")
    secrets_file = write_secrets(folder / "secrets.toml", app_port, mock_port)
    mock = start_mock(mock_port, folder / "oidc-mock.log")
    print(f"mock identity provider: http://localhost:{mock_port} (sample identities: "
          + ", ".join(f"{w.email} → {w.role or 'not listed'}{' ' + '/'.join(w.regions) if w.regions else ''}"
                      for w in IDENTITIES) + ")")
    print(f"open http://localhost:{app_port}  (localhost, not 127.0.0.1: the sign-in needs the same origin)")
    env = dict(os.environ, PIPELINE_DB=str(db), MALLOC_ARENA_MAX="2")
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
           "--server.port", str(app_port), "--secrets.files", str(secrets_file)]
    app = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        return app.wait()
    except KeyboardInterrupt:
        app.send_signal(signal.SIGINT)
        return app.wait()
    finally:
        mock.terminate()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()


if __name__ == "__main__":
    raise SystemExit(main())
