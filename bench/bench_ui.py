"""Benchmark (not a test): what a filter change costs on every dashboard page, whether the
caches are bounded, and page time under concurrent users.

    python bench/bench_ui.py --sizes 10000 100000          # everything, writes bench/results/ui.md
    python bench/bench_ui.py --sizes 10000 --no-browser    # AppTest part only, prints only
    python bench/bench_ui.py --data-dir /tmp/ui-dbs ...    # keep/reuse the built databases

1. Databases: ``seeds/generate.py``'s ``build(n_projects=N, weeks=W)`` simulates the
   organisation; every weekly export is written as one of the seed CSV formats (the CRM
   export and the ledger saved as CSV; the Excel ledger weeks are written as ledger CSV
   because xlsxwriter alone would take ~25 s per 100k-row file) plus the stage-history
   CSV, and all files are imported exactly as the app's first start imports the seeds:
   ``dashboard.demo.load_seeds`` = ``dashboard.ingest.prepare`` (child process per file)
   + one ``dashboard.ingest.commit``.
2. AppTest (server side, no browser): per page, a fresh session's first render, a sidebar
   filter change to a region/grade combination never asked before in this process (cache
   miss), and the same combination again after going back to "all" (cache hit); median of
   ``--reps``. An empty-page baseline (a trivial script with one sidebar multiselect) is
   measured in the same process, for the ratio.
3. Memory: a real ``streamlit run`` server on the largest database (loopback, free port,
   ``server.disconnectedSessionTTL`` short), ``--sessions`` headless-Chromium sessions
   that each open a page, change a filter and close; server VmRSS at start, peak, right
   after, and after the session TTL has passed.
4. Load: ``--load-sessions`` concurrent sessions, each changing a filter every few
   seconds for ``--load-seconds``: ``--load-browsers`` Chromium tabs (page time = from the
   change to the app's ``data-test-script-state`` leaving ``running``) and the rest
   websocket-protocol sessions (``bench/st_client.py``: request sent → ``script_finished``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import logging
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
APP = ROOT / "dashboard" / "streamlit_app.py"
PAGES = ("weekly", "funnel", "aging", "margin", "project", "data")
PAGE_FILES = {
    "weekly": "app_pages/weekly.py", "funnel": "app_pages/funnel.py", "aging": "app_pages/aging.py",
    "margin": "app_pages/margin.py", "project": "app_pages/project.py", "data": "app_pages/data_page.py",
}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- 1. databases


def simulate(n_projects: int, weeks: int):
    """``seeds.generate.build`` for ``n_projects`` (the demo's organisation, scaled up)."""
    from seeds import generate as g

    return g.build(n_projects=n_projects, seed=g.DEFAULT_SEED, weeks=weeks)


def build_db(n_projects: int, weeks: int, folder: Path) -> dict:
    """The database of ``n_projects`` projects × ``weeks`` weekly exports, through the importer."""
    from dashboard import demo
    from seeds import generate as g

    db = folder / "pipeline.duckdb"
    if db.exists():
        return {"db": db, "reused": True}
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ds = simulate(n_projects, weeks)
    t1 = time.perf_counter()
    files = []
    for name, fmt, as_of in g.planned_files(ds):
        if fmt == "history_csv":
            (folder / name).write_bytes(g.history_bytes(ds))
            files.append(name)
            continue
        if fmt == "ledger_xlsx":
            fmt, name = "ledger_csv", g.FILE_NAMES["ledger_csv"].format(as_of.isoformat())
        g.write_snapshot(folder / name, ds, as_of, fmt)
        files.append(name)
    t2 = time.perf_counter()
    tmp_db = folder / "building.duckdb"
    demo.load_seeds(tmp_db, folder)
    tmp_db.replace(db)
    t3 = time.perf_counter()
    for name in files:
        (folder / name).unlink()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.sql("select count(*), count(distinct project_id), count(distinct as_of) from project_snapshots").fetchall()[0]
    events = con.sql("select count(*) from stage_events").fetchall()[0][0]
    con.close()
    return {
        "db": db, "reused": False, "simulate_s": t1 - t0, "write_files_s": t2 - t1, "import_s": t3 - t2,
        "files": files, "snapshot_rows": rows[0], "projects": rows[1], "snapshots": rows[2], "events": events,
        "mb": db.stat().st_size / 1e6,
    }


def db_facts(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.sql("select count(*), count(distinct project_id), count(distinct as_of) from project_snapshots").fetchall()[0]
    events = con.sql("select count(*) from stage_events").fetchall()[0][0]
    regions = [r[0] for r in con.sql(
        "select distinct region from project_snapshots where region is not null order by 1").fetchall()]
    grades = [r[0] for r in con.sql(
        "select distinct customer_grade from project_snapshots where customer_grade is not null order by 1").fetchall()]
    # A project with a long history (many snapshots) for the project page.
    project = con.sql(
        "select project_id from project_snapshots group by project_id order by count(*) desc, project_id limit 1"
    ).fetchall()[0][0]
    other = con.sql(
        "select project_id from project_snapshots group by project_id order by count(*) desc, project_id limit 40"
    ).fetchall()
    con.close()
    return {"snapshot_rows": rows[0], "projects": rows[1], "snapshots": rows[2], "events": events,
            "regions": regions, "grades": grades, "project": project, "other_projects": [r[0] for r in other[1:]],
            "mb": db.stat().st_size / 1e6}


def combos(regions: list[str], grades: list[str], seed: int = 1):
    """Distinct (regions, grades) choices, one or two regions × one or two grades, shuffled."""
    region_sets = [(r,) for r in regions] + list(itertools.combinations(regions, 2))
    grade_sets = [(g,) for g in grades] + list(itertools.combinations(grades, 2))
    out = [(list(r), list(g)) for r in region_sets for g in grade_sets]
    random.Random(seed).shuffle(out)
    return out


# --------------------------------------------------------------------------- 2. AppTest (server side)

EMPTY_PAGE = """
import streamlit as st
st.sidebar.multiselect("region", ["a", "b", "c", "d"], key="region")
st.title("empty page")
st.write("nothing here")
"""


def _timed_run(at, what: str) -> tuple[float, float]:
    """(wall ms, CPU ms of this whole process: script thread + DuckDB threads + AppTest)."""
    c0, t0 = time.process_time(), time.perf_counter()
    at.run()
    ms, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
    if at.exception:
        raise RuntimeError(f"{what}: {[e.message for e in at.exception][:3]}")
    return ms, cpu


def empty_baseline(reps: int) -> dict:
    from streamlit.testing.v1 import AppTest

    first, change = [], []
    for _ in range(reps):
        at = AppTest.from_string(EMPTY_PAGE, default_timeout=30)
        first.append(_timed_run(at, "empty first"))
        for v in (["a"], ["a", "b"], ["c"]):
            at.multiselect(key="region").set_value(v)
            change.append(_timed_run(at, "empty change"))
    return {"first": first[1:] or first, "change": change}


SHELL_PAGE = """
import sys
sys.path.insert(0, {root!r})
import pandas  # noqa: F401  (as the entry script does)
import streamlit as st
from dashboard import sidebar
sidebar.render(sidebar.language())
st.title("empty page")
"""


def shell_baseline(db: Path, facts: dict, reps: int, pick) -> dict:
    """The app's own fixed cost: language switch, DuckDB cursor, snapshot and filter pickers
    (``dashboard.sidebar``) above an empty page; the same filter changes as the pages."""
    from streamlit.testing.v1 import AppTest

    os.environ["PIPELINE_DB"] = str(db)
    first, change = [], []
    for _ in range(reps):
        at = AppTest.from_string(SHELL_PAGE.format(root=str(ROOT)), default_timeout=120)
        first.append(_timed_run(at, "shell first"))
        regions, grades = pick()
        set_filter(at, regions, grades)
        change.append(_timed_run(at, "shell change"))
        set_filter(at, [], [])
        change.append(_timed_run(at, "shell change back"))
    return {"first": first, "change": change}


def set_filter(at, regions: list[str], grades: list[str]) -> None:
    at.multiselect(key="region").set_value(regions)
    at.multiselect(key="grade").set_value(grades)


def apptest_size(db: Path, facts: dict, reps: int, pick) -> dict:
    """Per page: first render, filter change (miss), same change again (hit), in ms."""

    os.environ["PIPELINE_DB"] = str(db)
    out: dict[str, dict[str, list[float]]] = {}
    for page in PAGES:
        res = out.setdefault(page, {"first": [], "miss": [], "hit": [], "project_miss": []})
        try:
            _apptest_page(page, res, facts, reps, pick)
        except Exception as exc:  # a page broken mid-edit must not cost the other pages' numbers
            res["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
            log(f"  {page:8s} FAILED: {res['error']}")
            continue
        log(f"  {page:8s} first {fmt_list(res['first'])}  miss {fmt_list(res['miss'])}  hit {fmt_list(res['hit'])}"
            + (f"  other project {fmt_list(res['project_miss'])}" if res["project_miss"] else ""))
    return out


def _apptest_page(page: str, res: dict, facts: dict, reps: int, pick) -> None:
    from streamlit.testing.v1 import AppTest

    for r in range(reps):
        at = AppTest.from_file(str(APP), default_timeout=300)
        if page == "project":
            at.query_params["project"] = facts["project"]
        ms = _timed_run(at, f"{page} open")
        if page != "weekly":
            at.switch_page(PAGE_FILES[page])
            ms = _timed_run(at, f"{page} first render")
        res["first"].append(ms)
        regions, grades = pick()
        set_filter(at, regions, grades)
        res["miss"].append(_timed_run(at, f"{page} miss"))
        set_filter(at, [], [])
        _timed_run(at, f"{page} back to all")
        set_filter(at, regions, grades)
        res["hit"].append(_timed_run(at, f"{page} hit"))
        if page == "project":  # the page's own choice: another project (its detail not cached yet)
            at.text_input(key="project_pick").set_value(facts["other_projects"][r % len(facts["other_projects"])])
            res["project_miss"].append(_timed_run(at, "project other"))


def fmt_list(xs: list[tuple[float, float]]) -> str:
    return "[" + " ".join(f"{w:.0f}/{c:.0f}" for w, c in xs) + "]"


def med(xs: list[tuple[float, float]], i: int = 0) -> float | None:
    """Median wall (i=0) or CPU (i=1) ms."""
    return statistics.median(x[i] for x in xs) if xs else None


# --------------------------------------------------------------------------- 3./4. a real server and browsers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            k, v = line.split(":", 1)
            vals[k] = int(v.split()[0]) / 1024
    return vals.get("VmRSS", 0.0), vals.get("VmHWM", 0.0)


STREAMLIT_WITH_FAULTHANDLER = (
    "import faulthandler, runpy, signal, sys; faulthandler.register(signal.SIGUSR1, all_threads=True); "
    "sys.argv = ['streamlit'] + sys.argv[1:]; runpy.run_module('streamlit', run_name='__main__')"
)


class Server:
    """``streamlit run`` on loopback with a short disconnected-session TTL; RSS sampled."""

    def __init__(self, db: Path, ttl_s: int, log_path: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # `python -m streamlit run …`, with every thread's stack dumped to the log on SIGUSR1
        # (to see where a hung server waits).
        cmd = [sys.executable, "-c", STREAMLIT_WITH_FAULTHANDLER, "run", str(APP), "--server.address", "127.0.0.1",
               "--server.port", str(self.port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.disconnectedSessionTTL", str(ttl_s)]
        env = dict(os.environ, PIPELINE_DB=str(db), **(extra_env or {}))
        self.log_fh = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log_fh, stderr=subprocess.STDOUT)
        self.samples: list[tuple[float, float]] = []  # (t, rss MB)
        self._stop = threading.Event()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {log_path}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")
        self.t0 = time.monotonic()
        self.hung_at: float | None = None  # s after start when /_stcore/health stopped answering for 15 s
        self.stacks = ""  # every thread's stack, dumped then
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._watchdog = threading.Thread(target=self._watch, daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        """A server that answers no health check for 15 s is hung: dump its stacks once."""
        last_ok = time.monotonic()
        while not self._stop.is_set() and self.hung_at is None:
            if self.healthy(5):
                last_ok = time.monotonic()
            elif time.monotonic() - last_ok > 15:
                self.hung_at = time.monotonic() - self.t0
                self.stacks = self.dump_stacks()
                log(f"server hung (no health answer for 15 s at {self.hung_at:.0f} s); stacks dumped")
            self._stop.wait(2)

    @property
    def hung(self) -> bool:
        return self.hung_at is not None

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError):
                self.samples.append((time.monotonic() - self.t0, rss_mb(self.proc.pid)[0]))
            self._stop.wait(0.25)

    def rss(self) -> float:
        return rss_mb(self.proc.pid)[0]

    def peak_since(self, t: float) -> float:
        return max((r for s, r in self.samples if s >= t - self.t0), default=0.0)

    def metrics(self) -> str:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(self.url + "/_stcore/metrics", timeout=10) as r:
                return r.read().decode()
        return ""

    def healthy(self, timeout: float = 5) -> bool:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=timeout) as r:
                return r.read().decode().strip() == "ok"
        return False

    def dump_stacks(self) -> str:
        """Every thread's Python stack (faulthandler, SIGUSR1), as written to the log."""
        path = Path(self.log_fh.name)
        before = path.stat().st_size
        os.kill(self.proc.pid, signal.SIGUSR1)
        time.sleep(2)
        with open(path, encoding="utf-8", errors="replace") as fh:
            fh.seek(before)
            return fh.read()

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log_fh.close()


# In the page: remember when a key went down and every change of the app's script state
# (Streamlit's running indicator: data-test-script-state = running / notRunning).
OBSERVER_JS = """() => {
  if (window.__bench) return;
  window.__bench = {states: [], keys: []};
  addEventListener('keydown', () => window.__bench.keys.push(performance.now()), true);
  // Record the value the attribute had *before* each change: a fast rerun can go running ->
  // notRunning before the observer's callback runs, and then both records would read the
  // current value (notRunning) and the run would be missed.
  new MutationObserver(ms => { for (const m of ms) {
      if (m.attributeName === 'data-test-script-state') window.__bench.states.push([m.oldValue, performance.now()]);
  } }).observe(document.body, {attributes: true, subtree: true, attributeOldValue: true,
                               attributeFilter: ['data-test-script-state']});
}"""

# Before the app's scripts run: note when each websocket message arrives and its size, so a
# page time splits into "until the last message of the rerun arrived" (server + transfer)
# and the rest (the browser handling the messages).
WS_INIT_JS = """(() => {
  const W = window.WebSocket; window.__ws = [];
  function Tapped(...a) {
    const ws = new W(...a);
    ws.addEventListener('message', e => window.__ws.push([performance.now(),
        e.data && (e.data.byteLength ?? e.data.size ?? e.data.length) || 0]));
    return ws;
  }
  Tapped.prototype = W.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Tapped[k] = W[k];
  window.WebSocket = Tapped;
})()"""

# Resolves to ms from the last keydown to the end of the first run that started after it.
DONE_JS = """(since) => {
  const b = window.__bench; const k = b.keys.filter(t => t >= since);
  if (!k.length) return null;
  const t0 = k[k.length - 1];
  let ran = false;
  for (const [was, t] of b.states) {   // was = the value before this change
    if (t < t0) continue;
    if (was === 'notRunning') ran = true;          // a run started
    else if (ran && was === 'running') {           // and ended
      const msgs = (window.__ws || []).filter(([at]) => at >= t0 && at <= t);
      const last = msgs.length ? msgs[msgs.length - 1][0] - t0 : null;
      return [t - t0, last, msgs.reduce((n, m) => n + m[1], 0)];
    }
  }
  return null;
}"""


# The default page lives at / (/weekly answers "Page not found" and runs the main page).
PAGE_URLS = {"weekly": "", "funnel": "funnel", "aging": "aging", "margin": "margin", "project": "project",
             "data": "data"}


async def _open(browser, url: str, timeout_ms: int):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900})
    await ctx.add_init_script(WS_INIT_JS)
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, timeout=timeout_ms, wait_until="domcontentloaded")
    await page.locator(".st-key-region input").wait_for(timeout=timeout_ms)
    await page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=timeout_ms)
    load_ms = (time.perf_counter() - t0) * 1000
    await page.evaluate(OBSERVER_JS)
    return ctx, page, load_ms


async def _change(page, key: str, text: str | None, timeout_ms: int) -> tuple[float, float | None, int]:
    """Pick ``text`` in the sidebar multiselect ``key`` (None: remove its last choice):
    (ms from the key press to the end of the rerun it caused, ms until the last websocket
    message of the rerun arrived, bytes received)."""
    inp = page.locator(f".st-key-{key} input")
    await inp.focus(timeout=timeout_ms)
    if text is not None:
        await inp.fill(text, timeout=timeout_ms)
        # Enter picks the highlighted option: wait until the list shows it (under load the
        # list can lag behind the typing, and an Enter on no option changes nothing).
        await page.get_by_role("option", name=text, exact=True).first.wait_for(timeout=timeout_ms)
    since = await page.evaluate("performance.now()")
    await inp.press("Enter" if text is not None else "Backspace", timeout=timeout_ms)
    handle = await page.wait_for_function(DONE_JS, arg=since, timeout=timeout_ms, polling=50)
    ms, last_msg, nbytes = await handle.json_value()
    await page.keyboard.press("Escape")
    return float(ms), last_msg, int(nbytes)


def _session_url(base: str, page: str, facts: dict) -> str:
    url = f"{base}/{PAGE_URLS[page]}"
    return url + f"?project={facts['project']}" if page == "project" else url


async def come_and_go(base: str, facts: dict, n_sessions: int, concurrency: int, pages: tuple[str, ...],
                      timeout_ms: int, deadline: float, hung=lambda: False) -> list[dict]:
    """``n_sessions`` sessions: open a page, pick a region and a grade (a new combination
    each), close. ``concurrency`` at a time."""
    import asyncio

    from playwright.async_api import async_playwright

    pairs = [(r, g) for r in facts["regions"] for g in facts["grades"]]
    random.Random(3).shuffle(pairs)
    out: list[dict] = []
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int, browser) -> None:
        async with sem:
            if time.monotonic() > deadline or hung():
                out.append({"i": i, "skipped": True, "hung": hung()})
                return
            page_name = pages[i % len(pages)]
            region, grade = pairs[i % len(pairs)]
            rec = {"i": i, "page": page_name}
            ctx = None
            try:
                ctx, page, rec["load_ms"] = await _open(browser, _session_url(base, page_name, facts), timeout_ms)
                rec["region"] = await _change(page, "region", region, timeout_ms)
                rec["grade"] = await _change(page, "grade", grade, timeout_ms)
            except Exception as exc:  # recorded, not fatal: the memory numbers still count
                rec["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            finally:
                if ctx is not None:
                    await ctx.close()
            out.append(rec)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(one(i, browser) for i in range(n_sessions)))
        finally:
            await browser.close()
    return out


def _next_choice(kind: int, rnd: random.Random, facts: dict) -> tuple[str, str | None]:
    """The k-th click of a session: add a region, add a grade, remove the grade, remove the region."""
    return (("region", rnd.choice(facts["regions"])), ("grade", rnd.choice(facts["grades"])),
            ("grade", None), ("region", None))[kind % 4]


async def clicking(base: str, facts: dict, n_sessions: int, seconds: float, pages: tuple[str, ...],
                   timeout_ms: int, every_s: tuple[float, float], hung=lambda: False, n_browsers: int | None = None,
                   cpu=lambda: 0.0) -> dict:
    """``n_sessions`` concurrent sessions, each changing a sidebar filter every few seconds
    (add a region, add a grade, remove the grade, remove the region …) until ``seconds``.

    The first ``n_browsers`` (default: all) are Chromium tabs; the others speak Streamlit's
    websocket protocol (``bench/st_client.py``): the same requests and answers for the
    server, without a browser drawing the page on the machine's 2 CPUs."""
    import asyncio

    from playwright.async_api import async_playwright

    from st_client import ProtocolSession

    n_browsers = n_sessions if n_browsers is None else min(n_browsers, n_sessions)
    changes: list[dict] = []
    loads: list[dict] = []
    errors: list[str] = []
    window = {"start": 0.0, "end": 0.0, "cpu0": 0.0, "cpu1": 0.0}
    opened = 0
    go = asyncio.Event()  # the clicking starts when every session has its page open

    def arrived() -> None:
        nonlocal opened
        opened += 1
        if opened == n_sessions and not go.is_set():
            window["start"] = time.monotonic()
            window["end"] = window["start"] + seconds
            window["cpu0"] = cpu()
            go.set()

    async def clicks(i: int, kind: str, page_name: str, change) -> None:
        rnd = random.Random(100 + i)
        await go.wait()
        step = 0
        while time.monotonic() < window["end"] and not hung():
            await asyncio.sleep(rnd.uniform(*every_s))
            if time.monotonic() >= window["end"] or hung():
                break
            key, text = _next_choice(step, rnd, facts)
            t_start = time.monotonic()
            ms, last_msg, nbytes = await change(key, text)
            changes.append({"session": i, "kind": kind, "page": page_name, "step": step % 4, "ms": ms,
                            "last_msg": last_msg, "bytes": nbytes, "t": t_start - window["start"]})
            step += 1

    async def in_browser(i: int, browser) -> None:
        page_name = pages[i % len(pages)]
        ctx = None
        try:
            await asyncio.sleep(i * 0.3)  # stagger the arrivals a little
            try:
                ctx, page, load_ms = await _open(browser, _session_url(base, page_name, facts), timeout_ms)
                loads.append({"kind": "browser", "ms": load_ms})
            finally:
                arrived()
            await clicks(i, "browser", page_name, lambda key, text: _change(page, key, text, timeout_ms))
        except Exception as exc:
            errors.append(f"browser session {i} ({page_name}): {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if ctx is not None:
                await ctx.close()

    async def by_protocol(i: int) -> None:
        page_name = pages[i % len(pages)]
        session = ProtocolSession(base)
        try:
            await asyncio.sleep(i * 0.3)
            try:
                query = f"project={facts['project']}" if page_name == "project" else ""
                first = await session.open(PAGE_URLS[page_name], query, timeout_s=timeout_ms / 1000)
                loads.append({"kind": "protocol", "ms": first.ms})
            finally:
                arrived()

            async def change(key: str, text: str | None):
                values = session.states.get(key, [])
                values = [*values, text] if text is not None else values[:-1]
                r = await session.set(key, list(dict.fromkeys(values)), timeout_s=timeout_ms / 1000)
                if r.exception:
                    errors.append(f"protocol session {i} ({page_name}): the page showed {r.exception}")
                return r.ms, r.ms, r.n_bytes

            await clicks(i, "protocol", page_name, change)
        except Exception as exc:
            errors.append(f"protocol session {i} ({page_name}): {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            await session.close()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS) if n_browsers else None
        try:
            await asyncio.gather(*(in_browser(i, browser) if i < n_browsers else by_protocol(i) for i in range(n_sessions)))
        finally:
            window["cpu1"] = cpu()
            if browser is not None:
                await browser.close()
    wall = time.monotonic() - window["start"]
    return {"changes": changes, "loads": loads, "errors": errors, "window_s": wall, "n_browsers": n_browsers,
            "server_cpu_s": window["cpu1"] - window["cpu0"]}


# --------------------------------------------------------------------------- the run


def cache_lines(metrics: str) -> list[str]:
    """The cache / session memory gauges of /_stcore/metrics (no histogram buckets)."""
    keep = ("cache_memory_bytes", "session_state_memory_bytes", "active_sessions", "session_")
    return [line for line in metrics.splitlines()
            if line and not line.startswith("#") and line.startswith(keep) and "_bucket" not in line]


def cache_bytes(metrics: str) -> dict[str, float]:
    out = {}
    for line in metrics.splitlines():
        if line.startswith("cache_memory_bytes{"):
            name = line.split('cache="', 1)[1].split('"', 1)[0]
            out[name] = float(line.rsplit(" ", 1)[1])
    return out


def stack_excerpt(stacks: str) -> list[str]:
    """The script threads' innermost frames from a faulthandler dump (polars / our code)."""
    out, block = [], []
    for line in stacks.splitlines() + [""]:
        if line.startswith(("Thread ", "Current thread ")) or not line.strip():
            frames = [b.strip() for b in block if "/polars/" in b or "/work/" in b or "dashboard/" in b]
            if frames:
                out.append(" ← ".join(f.replace('File "', "").replace('", line ', ":").split(" in ")[0].rsplit(
                    "site-packages/", 1)[-1] + " " + f.rsplit(" in ", 1)[-1] for f in frames[:4]))
            block = []
        else:
            block.append(line)
    return out


def deadlock_probe(db: Path, facts: dict, args, tmp: Path) -> dict:
    """A few sessions over all five pages at once: does the server keep answering?"""
    import asyncio

    pages = ("weekly", "funnel", "aging", "margin", "project")
    srv = Server(db, args.session_ttl, tmp / "streamlit-probe.log", server_env(args))
    t0 = time.monotonic()
    try:
        sessions = asyncio.run(come_and_go(srv.url, facts, args.probe_sessions, args.session_concurrency, pages,
                                           int(args.browser_timeout * 1000), time.monotonic() + 150,
                                           hung=lambda: srv.hung))
        while not srv.hung and any("error" in x for x in sessions) and time.monotonic() - t0 < 200:
            time.sleep(2)  # errors: give the watchdog its 15 s to decide
    finally:
        srv.stop()
    done = [x for x in sessions if "error" not in x and not x.get("skipped")]
    res = {"pages": pages, "sessions": len(sessions), "done": len(done), "hung_at": srv.hung_at,
           "stacks": stack_excerpt(srv.stacks), "seconds": time.monotonic() - t0}
    log(f"deadlock probe: {len(done)}/{len(sessions)} sessions completed; "
        + (f"server HUNG at {srv.hung_at:.0f} s" if srv.hung else "server kept answering"))
    for x in sessions:
        if "error" in x:
            log(f"  probe session {x['i']} ({x.get('page')}): {x['error']}")
    res["errors"] = [f"{x['i']} ({x.get('page')}): {x['error']}" for x in sessions if "error" in x]
    return res


DEPLOYED_SERVER_ENV = ["MALLOC_ARENA_MAX=2"]  # what `make run` / `dashboard serve` set


def server_env(args) -> dict[str, str]:
    pairs = dict(kv.split("=", 1) for kv in (args.server_env if args.server_env is not None else DEPLOYED_SERVER_ENV))
    return {k: v for k, v in pairs.items() if v != ""}


def browser_phase(db: Path, facts: dict, args, tmp: Path) -> dict:
    import asyncio

    pages = tuple(args.browser_pages)
    res: dict = {"ttl_s": args.session_ttl, "pages": pages}
    if args.probe_sessions:
        res["probe"] = deadlock_probe(db, facts, args, tmp)
    srv = Server(db, args.session_ttl, tmp / "streamlit.log", server_env(args))
    timeout_ms = int(args.browser_timeout * 1000)
    hung = lambda: srv.hung  # noqa: E731
    try:
        res["rss_idle"] = srv.rss()
        log(f"server pid {srv.proc.pid} on {srv.url}: RSS {res['rss_idle']:.0f} MB before any session")
        # One session first (imports, the DuckDB hub, the default view cached): the level to return to.
        warm = asyncio.run(come_and_go(srv.url, facts, 1, 1, pages[:1], timeout_ms, time.monotonic() + 120, hung))
        time.sleep(args.session_ttl + 15)
        res["warm"] = warm
        res["rss_start"] = srv.rss()
        res["metrics_start"] = srv.metrics()
        log(f"after one session and its TTL: RSS {res['rss_start']:.0f} MB; caches {cache_bytes(res['metrics_start'])}")

        # 3. memory: sessions come and go
        t_mem = time.monotonic()
        res["sessions"] = asyncio.run(come_and_go(
            srv.url, facts, args.sessions, args.session_concurrency, pages, timeout_ms,
            time.monotonic() + args.sessions_budget, hung))
        res["sessions_s"] = time.monotonic() - t_mem
        res["rss_peak"] = srv.peak_since(t_mem)
        res["rss_after"] = srv.rss()
        log(f"{args.sessions} sessions in {res['sessions_s']:.0f} s: peak RSS {res['rss_peak']:.0f} MB, "
            f"right after {res['rss_after']:.0f} MB")
        if not srv.hung:
            time.sleep(args.session_ttl + 20)  # the disconnected sessions expire and are cleaned up
            res["rss_after_ttl"] = srv.rss()
            res["metrics_after_ttl"] = srv.metrics()
            log(f"after the session TTL: RSS {res['rss_after_ttl']:.0f} MB; "
                f"caches {cache_bytes(res['metrics_after_ttl'])}")

        # 4. load: concurrent sessions clicking
        if args.load_sessions and not srv.hung:
            t_load = time.monotonic()
            load = asyncio.run(clicking(srv.url, facts, args.load_sessions, args.load_seconds, pages, timeout_ms,
                                        (args.click_every[0], args.click_every[1]), hung,
                                        n_browsers=args.load_browsers, cpu=lambda: cpu_s(srv.proc.pid)))
            load["rss_peak"] = srv.peak_since(t_load)
            load["wall_s"] = time.monotonic() - t_load
            res["load"] = load
            ms = sorted(c["ms"] for c in load["changes"])
            if ms:
                log(f"load: {len(ms)} changes by {args.load_sessions} sessions: p50 {pct(ms, 50):.0f} ms, "
                    f"p95 {pct(ms, 95):.0f} ms, max {ms[-1]:.0f} ms; errors {len(load['errors'])}")
            if not srv.hung:
                time.sleep(args.session_ttl + 20)
                res["rss_after_load_ttl"] = srv.rss()
                res["metrics_end"] = srv.metrics()
                log(f"after the load and the TTL: RSS {res['rss_after_load_ttl']:.0f} MB")
    finally:
        res["rss_hwm"] = rss_mb(srv.proc.pid)[1] if srv.proc.poll() is None else None
        res["hung_at"] = srv.hung_at
        res["stacks"] = stack_excerpt(srv.stacks)
        srv.stop()
    return res


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def machine() -> dict:
    import duckdb
    import polars
    import streamlit

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip()
    git = (subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
           or os.environ.get("BENCH_COMMIT", "? (not a git checkout: set BENCH_COMMIT)"))
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.split()
    dirty = [x for x in dirty if "/" in x or "." in x]
    return {"git": git + (f" (uncommitted changes in {', '.join(dirty)})" if dirty else ""),
            "nproc": os.cpu_count(), "cpu": cpu, "mem_gib": mem, "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "streamlit": streamlit.__version__, "duckdb": duckdb.__version__,
            "polars": polars.__version__, "chromium": chromium}


def loadavg() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="project numbers per database")
    ap.add_argument("--weeks", type=int, default=8, help="weekly snapshots per database (default 8)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions per page and measurement (median)")
    ap.add_argument("--data-dir", help="build the databases here and reuse them next time (default: a temp dir)")
    ap.add_argument("--no-apptest", action="store_true", help="skip the AppTest part")
    ap.add_argument("--no-browser", action="store_true", help="skip the server/browser part (memory and load)")
    ap.add_argument("--session-ttl", type=int, default=10, help="server.disconnectedSessionTTL in s (default 10)")
    ap.add_argument("--sessions", type=int, default=40, help="sessions that come and go (memory)")
    ap.add_argument("--session-concurrency", type=int, default=4, help="of those, at the same time")
    ap.add_argument("--sessions-budget", type=float, default=240, help="stop starting new sessions after this many s")
    ap.add_argument("--load-sessions", type=int, default=20, help="concurrent clicking sessions (0 = no load test)")
    ap.add_argument("--load-browsers", type=int, default=2,
                    help="of the clicking sessions, this many are Chromium tabs; the rest speak the websocket "
                         "protocol (bench/st_client.py) — 20 tabs on 2 CPUs measure the browsers (default 2)")
    ap.add_argument("--load-seconds", type=float, default=60)
    ap.add_argument("--click-every", type=float, nargs=2, default=[2.0, 5.0], metavar=("MIN", "MAX"),
                    help="pause between one session's filter changes, uniform in [MIN, MAX] s")
    ap.add_argument("--browser-timeout", type=float, default=60, help="per browser step, s")
    ap.add_argument("--browser-pages", nargs="+", default=["weekly", "funnel", "aging", "margin", "project"],
                    choices=PAGES, help="pages the memory and load sessions open (in turn)")
    ap.add_argument("--server-env", action="append", default=None, metavar="KEY=VALUE",
                    help="environment for the streamlit server (repeatable); default MALLOC_ARENA_MAX=2, as "
                         "`make run` and `dashboard serve` start it; --server-env MALLOC_ARENA_MAX= for glibc's default")
    ap.add_argument("--probe-sessions", type=int, default=8,
                    help="first, this many sessions over all five pages on their own server, to see whether it "
                         "keeps answering (0 = skip)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "ui.md"), help="results file ('-': print only)")
    args = ap.parse_args(argv)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    started = time.monotonic()
    command = "python bench/bench_ui.py " + " ".join(argv if argv is not None else sys.argv[1:])

    with contextlib.ExitStack() as stack:
        if args.data_dir:
            base = Path(args.data_dir)
            base.mkdir(parents=True, exist_ok=True)
        else:
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ui-")))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ui-run-")))
        sizes = sorted(args.sizes)
        dbs, facts, builds = {}, {}, {}
        for n in sizes:
            log(f"database {n:,} projects × {args.weeks} weeks …")
            info = build_db(n, args.weeks, base / f"{n}x{args.weeks}")
            dbs[n] = info["db"]
            facts[n] = db_facts(dbs[n])
            builds[n] = info
            log(f"  {'reused' if info['reused'] else 'built'} {dbs[n]} ({facts[n]['mb']:.0f} MB, "
                f"{facts[n]['snapshot_rows']:,} snapshot rows, {facts[n]['events']:,} events)"
                + ("" if info["reused"] else f" simulate {info['simulate_s']:.1f} s, files {info['write_files_s']:.1f} s, "
                   f"import {info['import_s']:.1f} s"))

        baseline, apptest = None, {}
        if not args.no_apptest:
            log("AppTest: empty-page baseline …")
            baseline = empty_baseline(max(args.reps, 3))
            log(f"  empty page: first {fmt_list(baseline['first'])} change {fmt_list(baseline['change'])}")
            pairs = iter(combos(facts[sizes[0]]["regions"], facts[sizes[0]]["grades"]))
            for n in sizes:
                log(f"AppTest on {n:,} projects (wall/CPU ms) …")
                shell = shell_baseline(dbs[n], facts[n], args.reps, lambda: next(pairs))
                log(f"  app shell, empty page: first {fmt_list(shell['first'])} change {fmt_list(shell['change'])}")
                apptest[n] = apptest_size(dbs[n], facts[n], args.reps, lambda: next(pairs))
                apptest[n]["_shell"] = shell
                apptest[n]["_load"] = loadavg()
                gc.collect()

        browser = None
        if not args.no_browser:
            n = sizes[-1]
            log(f"server + browsers on {n:,} projects …")
            browser = browser_phase(dbs[n], facts[n], args, tmp)
            browser["size"] = n

    elapsed = time.monotonic() - started
    text = report(command, machine(), args, builds, facts, baseline, apptest, browser, elapsed)
    print(text)
    if args.out != "-":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(keep_notes(text, out), encoding="utf-8")
        log(f"wrote {out}")
    return 0


# --------------------------------------------------------------------------- the results file

NOTES_MARK = "<!-- hand-written notes below: kept when the benchmark rewrites this file -->"
MISS_TARGET_MS, HIT_TARGET_MS, P95_TARGET_MS = 250, 200, 1500


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "–"
    return "met" if value <= target else "**missed**"


def report(command, mach, args, builds, facts, baseline, apptest, browser, elapsed) -> str:
    L: list[str] = ["# UI benchmark: filter changes, bounded caches, concurrent sessions", ""]
    L += [f"Command: `{command.strip()}` — run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"took {elapsed / 60:.1f} min.", ""]
    L += [f"Machine: {mach['nproc']} CPUs ({mach['cpu']}), {mach['mem_gib']:.0f} GiB RAM, {mach['os']}; "
          f"Python {mach['python']}, streamlit {mach['streamlit']}, duckdb {mach['duckdb']}, polars {mach['polars']}, "
          f"{mach['chromium']}. Code: commit {mach['git']}. Load average at the end: {loadavg()} — the machine is shared with the team's "
          "test runs, so wall times carry noise; the CPU column (this process's CPU time over the same run) "
          "is the steadier figure.", ""]
    L += ["## Databases", "",
          "`seeds/generate.py` simulates the organisation (`build(n_projects=N)`), every weekly export is written in one of the seed CSV formats "
          "(CRM export / ledger CSV; Excel weeks as ledger CSV) plus the stage-history CSV, and all files go "
          "through the real importer exactly as the app's first start loads the seeds: "
          "`dashboard.demo.load_seeds` = `dashboard.ingest.prepare` per file + one `dashboard.ingest.commit`.", "",
          "| project numbers | weeks | snapshot rows | stage events | file | simulate | write CSVs | import (prepare + commit) |",
          "|---|---|---|---|---|---|---|---|"]
    for n, b in builds.items():
        f = facts[n]
        t = ("reused from --data-dir", "", "") if b["reused"] else (
            f"{b['simulate_s']:.1f} s", f"{b['write_files_s']:.1f} s", f"{b['import_s']:.1f} s")
        L.append(f"| {n:,} | {f['snapshots']} | {f['snapshot_rows']:,} | {f['events']:,} | {f['mb']:.0f} MB | "
                 f"{t[0]} | {t[1]} | {t[2]} |")
    L.append("")

    if baseline is not None:
        e_first, e_change = med(baseline["first"]), med(baseline["change"])
        L += ["## Server-side time per page (AppTest)", "",
              "`AppTest.from_file(dashboard/streamlit_app.py)` with `PIPELINE_DB` set, one fresh session per "
              "repetition: open (weekly review), `switch_page` to the page (**first render**), pick a region/grade "
              "combination in the sidebar that no earlier run in this process asked for (**miss**: every "
              "filter-dependent query of the page runs), back to all (not timed), the same combination again "
              f"(**hit**). Median of {args.reps} repetitions, wall ms (CPU ms of the process in brackets); "
              "ratio = wall / the empty page's rerun. The project page's data ignores the sidebar filters (a link "
              "must open its project), so its own miss is also shown: another project typed in.", "",
              "Two empty-page baselines in the same process: a trivial script (one sidebar multiselect, a "
              f"title): first run {_ms(e_first)} ms, a filter change {_ms(e_change)} ms "
              f"({_ms(med(baseline['change'], 1))} ms CPU) — AppTest's own floor; and **the app shell**: our "
              "sidebar (`dashboard.sidebar`: language, DuckDB cursor, snapshot and filter pickers, their cached "
              "queries) above an empty page, per database below. The ratios divide by the app shell's filter "
              "change — what a page adds on top of what every page costs.", ""]
        for n, res in apptest.items():
            sh = res["_shell"]
            e_change = med(sh["change"])
            L += [f"### {n:,} projects (load average after: {res.get('_load', '?')})", "",
                  f"App shell with an empty page: first run {_ms(med(sh['first']))} ms, filter change "
                  f"**{_ms(e_change)} ms** ({_ms(med(sh['change'], 1))} ms CPU).", "",
                  "| page | first render (cold, 1st session) | first render (median) | miss | miss / shell | hit | hit / shell |",
                  "|---|---|---|---|---|---|---|"]
            for page in PAGES:
                r = res[page]
                if r.get("error"):
                    L.append(f"| {page} | failed: {r['error'][:160]} | | | | | |")
                    continue
                miss, hit = med(r["miss"]), med(r["hit"])
                L.append(f"| {page} | {_ms(r['first'][0][0])} | {_ms(med(r['first']))} ({_ms(med(r['first'], 1))}) | "
                         f"{_ms(miss)} ({_ms(med(r['miss'], 1))}) | {miss / e_change:.1f}× | "
                         f"{_ms(hit)} ({_ms(med(r['hit'], 1))}) | {hit / e_change:.1f}× |")
                if r["project_miss"]:
                    pm = med(r["project_miss"])
                    L.append(f"| project: another project | | | {_ms(pm)} ({_ms(med(r['project_miss'], 1))}) | "
                             f"{pm / e_change:.1f}× | | |")
            L.append("")
        big = max(apptest) if apptest else None
        if big is not None:
            L += [f"Targets at {big:,} projects (miss ≤ {MISS_TARGET_MS} ms, hit ≤ {HIT_TARGET_MS} ms, wall median):", "",
                  "| page | miss | target | hit | target |", "|---|---|---|---|---|"]
            for page in PAGES:
                r = apptest[big][page]
                L.append(f"| {page} | {_ms(med(r['miss']))} | {_verdict(med(r['miss']), MISS_TARGET_MS)} | "
                         f"{_ms(med(r['hit']))} | {_verdict(med(r['hit']), HIT_TARGET_MS)} |")
            L.append("")
            L += ["Every repetition (wall/CPU ms):", "", "```"]
            for n, res in apptest.items():
                L.append(f"{n:>7} shell    first {fmt_list(res['_shell']['first'])} change {fmt_list(res['_shell']['change'])}")
                for page in PAGES:
                    r = res[page]
                    L.append(f"{n:>7} {page:8s} first {fmt_list(r['first'])} miss {fmt_list(r['miss'])} "
                             f"hit {fmt_list(r['hit'])}" + (f" other-project {fmt_list(r['project_miss'])}"
                                                             if r["project_miss"] else ""))
            L += ["```", ""]

    if browser is not None:
        b = browser
        n = b["size"]
        pages_txt = ", ".join(b["pages"])
        pr = b.get("probe")
        if pr:
            L += [f"## Concurrency check: {pr['sessions']} sessions over all five pages ({n:,} projects)", "",
                  f"Before the memory and load runs, {pr['sessions']} browser sessions ({args.session_concurrency} at a "
                  f"time) open {', '.join(pr['pages'])} in turn and change a filter, on a server of their own; "
                  "a watchdog calls `/_stcore/health` every 2 s and dumps every thread's stack (faulthandler, "
                  "SIGUSR1) when it has not answered for 15 s.", ""]
            if pr["hung_at"] is not None:
                L += [f"**The server hung** {pr['hung_at']:.0f} s after start ({pr['done']} of {pr['sessions']} "
                      "sessions had completed): no HTTP answer at all, 0 % CPU. Script threads at that moment:", "", "```"]
                L += pr["stacks"][:8] + ["```", ""]
            else:
                L += [f"The server kept answering: {pr['done']} of {pr['sessions']} sessions completed.", ""]
        if b.get("hung_at") is not None:
            L += [f"**The memory/load server hung** {b['hung_at']:.0f} s after start; the numbers below stop there. "
                  "Script threads then:", "", "```"] + b["stacks"][:8] + ["```", ""]
        ok = [s for s in b.get("sessions", []) if "error" not in s and not s.get("skipped")]
        errs = [s for s in b.get("sessions", []) if "error" in s]
        skipped = [s for s in b.get("sessions", []) if s.get("skipped")]
        start = b.get("rss_start", 0.0)
        after = b.get("rss_after_ttl", 0.0)
        L += [f"## Memory: {args.sessions} sessions come and go ({n:,} projects, real server)", "",
              f"`python -m streamlit run dashboard/streamlit_app.py --server.address 127.0.0.1 --server.port <free> "
              f"--server.headless true --browser.gatherUsageStats false --server.fileWatcherType none "
              f"--server.disconnectedSessionTTL {b['ttl_s']}`"
              + (" with " + " ".join(f"{k}={v}" for k, v in server_env(args).items()) + " in its environment"
                 if server_env(args) else " with glibc's default malloc arenas")
              + " (the repo's `.streamlit/config.toml` applies: "
              "`runner.fastReruns=false`). Sessions: headless Chromium (pip playwright, `/usr/bin/chromium`), "
              f"{args.session_concurrency} at a time, each opens one page ({pages_txt} in "
              "turn), picks a region, then a grade (a different pair each: misses), and closes. RSS = "
              "`VmRSS` of the server process (sampled every 0.25 s for the peak).", "",
              "| moment | server RSS |", "|---|---|",
              f"| started, no session yet | {b.get('rss_idle', 0):,.0f} MB |",
              f"| **start**: one session has come and gone (imports, DuckDB hub, default view cached), TTL passed | "
              f"{start:,.0f} MB |",
              f"| peak during the {len(ok)} sessions ({b.get('sessions_s', 0):.0f} s) | {b.get('rss_peak', 0):,.0f} MB |",
              f"| right after the last one closed | {b.get('rss_after', 0):,.0f} MB |",
              f"| **after** the session TTL ({b['ttl_s']} s) + 20 s | {after:,.0f} MB "
              f"({after - start:+,.0f} MB vs start) |"]
        if "rss_after_load_ttl" in b:
            L.append(f"| after the load test below and the TTL | {b['rss_after_load_ttl']:,.0f} MB |")
        L.append("")
        if errs or skipped:
            L += [f"Sessions with an error: {len(errs)}; not started (time budget): {len(skipped)}.", ""]
            L += [f"- {s['i']} {s.get('page')}: {s['error']}" for s in errs[:5]] + [""]
        L += ["`st.cache_data` / `st.cache_resource` memory as the server reports it (`/_stcore/metrics`):", "",
              "| cache | at start | after the sessions + TTL |" + (" after the load + TTL |" if "metrics_end" in b else ""),
              "|---|---|---|" + ("---|" if "metrics_end" in b else "")]
        c0, c1 = cache_bytes(b.get("metrics_start", "")), cache_bytes(b.get("metrics_after_ttl", ""))
        c2 = cache_bytes(b.get("metrics_end", ""))
        for name in sorted(set(c0) | set(c1) | set(c2)):
            row = f"| `{name}` | {c0.get(name, 0) / 1e6:,.1f} MB | {c1.get(name, 0) / 1e6:,.1f} MB |"
            if "metrics_end" in b:
                row += f" {c2.get(name, 0) / 1e6:,.1f} MB |"
            L.append(row)
        L.append("")
        if ok:
            loads = [s["load_ms"] for s in ok]
            L += [f"Those sessions in the browser (at most {args.session_concurrency} at once), page load p50 "
                  f"{pct(loads, 50):,.0f} ms; a filter change (a cache miss), and when its last websocket message arrived:", "",
                  "| page | changes | p50 | last message p50 | sent p50 |", "|---|---|---|---|---|"]
            for page in ("weekly", "funnel", "aging", "margin", "project"):
                cs = [s[k] for s in ok if s["page"] == page for k in ("region", "grade")]
                if cs:
                    lm = [c[1] for c in cs if c[1] is not None]
                    L.append(f"| {page} | {len(cs)} | {pct([c[0] for c in cs], 50):,.0f} ms | "
                             f"{pct(lm, 50):,.0f} ms | {pct([c[2] / 1e6 for c in cs], 50):.2f} MB |")
            L.append("")
        load = b.get("load")
        if load:
            nb = load.get("n_browsers", args.load_sessions)
            L += [f"## Load: {args.load_sessions} sessions clicking ({n:,} projects, same server)", "",
                  f"{args.load_sessions} sessions open a page ({pages_txt} in turn); once all are open, for "
                  f"{args.load_seconds:.0f} s each session changes a sidebar filter every {args.click_every[0]:g}–"
                  f"{args.click_every[1]:g} s (add a random region, add a random grade, remove the grade, remove the "
                  "region, …): a mix of cache hits and misses.", "",
                  f"- **{args.load_sessions - nb} protocol sessions** (`bench/st_client.py`) speak Streamlit's websocket "
                  "protocol: the same rerun requests with the same widget states a browser sends, and every message "
                  "of the page received and parsed. Page time = request sent → `script_finished` received: the "
                  "server's queue, the run and the transfer, not a browser's drawing.",
                  f"- **{nb} Chromium tab{'' if nb == 1 else 's'}** (one context each) measure what a person sees while the others load the "
                  "server: from the key press to the app's `data-test-script-state` going from `running` to "
                  "`notRunning` (the running indicator ending), measured inside the page; \"last message\" is when "
                  "the rerun's last websocket message arrived.",
                  "- Why not 20 tabs: Chromium drawing 20 pages on this machine's 2 CPUs, beside the server, "
                  "measured the browsers (an earlier run: first page loads took 67 s, p95 7.1 s). The clients of a "
                  "real deployment are on the managers' machines.", "",
                  f"Server CPU during the clicking window: {load.get('server_cpu_s', 0):,.0f} s over "
                  f"{load.get('window_s', 0):,.0f} s ({100 * load.get('server_cpu_s', 0) / max(load.get('window_s', 1), 1):.0f} % "
                  "of one CPU).", "",
                  "| sessions | page | changes | p50 | p95 | max | target p95 | last message p50 / p95 | sent p50 |",
                  "|---|---|---|---|---|---|---|---|---|"]

            def split(cs: list[dict]) -> str:
                lm = [c["last_msg"] for c in cs if c.get("last_msg") is not None]
                mb = [c["bytes"] / 1e6 for c in cs]
                return (f"{pct(lm, 50):,.0f} / {pct(lm, 95):,.0f} ms | {pct(mb, 50):.2f} MB" if lm else "– | –")

            def row(who: str, page: str, cs: list[dict], target: bool) -> str:
                pm = [c["ms"] for c in cs]
                verdict = (f"< {P95_TARGET_MS:,} ms: {'met' if pct(pm, 95) < P95_TARGET_MS else '**missed**'}"
                           if target else "")
                p95 = f"**{pct(pm, 95):,.0f} ms**" if target else f"{pct(pm, 95):,.0f} ms"
                return (f"| {who} | {page} | {len(pm)} | {pct(pm, 50):,.0f} ms | {p95} | {max(pm):,.0f} ms | "
                        f"{verdict} | {split(cs)} |")

            everyone = load["changes"]
            if everyone:
                L.append(row("all", "all pages", everyone, True))
            for kind, who in (("protocol", "protocol"), ("browser", "Chromium")):
                cs = [c for c in everyone if c.get("kind", "browser") == kind]
                if not cs:
                    continue
                L.append(row(who, "all pages", cs, True))
                for page in ("weekly", "funnel", "aging", "margin", "project"):
                    pc = [c for c in cs if c["page"] == page]
                    if pc:
                        L.append(row(who, page, pc, False))
            loads = load["loads"]
            lb = [x["ms"] for x in loads if isinstance(x, dict) and x["kind"] == "browser"]
            lp = [x["ms"] for x in loads if isinstance(x, dict) and x["kind"] == "protocol"]
            L += ["", "First page loads while the sessions arrive: "
                  + (f"protocol p50 {pct(lp, 50):,.0f} ms, max {max(lp):,.0f} ms; " if lp else "")
                  + (f"Chromium p50 {pct(lb, 50):,.0f} ms, max {max(lb):,.0f} ms; " if lb else "")
                  + f"server peak RSS during the load {load['rss_peak']:,.0f} MB; errors: {len(load['errors'])}."]
            L += [f"- {e}" for e in load["errors"][:5]]
            L.append("")
    L.append(NOTES_MARK)
    return "\n".join(L) + "\n"


def keep_notes(text: str, out: Path) -> str:
    if out.exists():
        old = out.read_text(encoding="utf-8")
        if NOTES_MARK in old:
            return text + old.split(NOTES_MARK, 1)[1].lstrip("\n")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
