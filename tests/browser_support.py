"""Helpers for the browser tests (tests/test_browser.py): a real `streamlit run` on
loopback, Debian Chromium through Playwright, waiting for Streamlit to settle, reading
figures off the page, full-page screenshots, and next weeks' exports made from a seed.

Nothing here imports streamlit: the app runs in its own process, exactly as `make run`
starts it (STACK.md, "Real browser").
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "streamlit_app.py"
SEEDS = ROOT / "seeds"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}  # a manager's laptop
TIMEOUT_MS = 60_000  # generous: CI shares two cores with the server and the browser


# --------------------------------------------------------------------------- the server


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by the pip playwright package (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`python -m streamlit run dashboard/streamlit_app.py` on 127.0.0.1 with its own
    database ($PIPELINE_DB); the log goes to a file shown when something fails."""

    def __init__(self, db_path: Path, log_path: Path):
        self.db_path = Path(db_path)
        self.log_path = Path(log_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60) -> AppServer:
        env = dict(os.environ, PIPELINE_DB=str(self.db_path))
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", "127.0.0.1", "--server.port", str(self.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {timeout_s}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:  # SIGTERM was ignored once in 22 runs (STACK.md)
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@contextlib.contextmanager
def serving(db_path: Path, log_path: Path | None = None):
    """The app served over ``db_path`` (its log beside it unless ``log_path`` says) for the
    ``with`` block: what every browser-test module's server fixture does with its database."""
    app = AppServer(db_path, log_path or Path(db_path).parent / "streamlit.log").start()
    try:
        yield app
    finally:
        app.stop()


# --------------------------------------------------------------------------- waiting for Streamlit

_SETTLED_JS = """() => {
  // Streamlit's own marker for its end-to-end tests: 'initial' | 'running' | 'notRunning' ...
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;   // running / reconnecting
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;       // element not drawn yet
  if (document.querySelector('[data-stale="true"]')) return false;              // left from the last run
  for (const c of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    if (!c.querySelector('canvas, svg')) return false;                         // chart not drawn yet
  }
  return true;
}"""


def settle(page, timeout_ms: int = TIMEOUT_MS, quiet_ms: int = 400) -> None:
    """Wait until the script run is over and the page is drawn: the status widget gone, no
    skeleton or stale element, every chart drawn — and still so a moment later (a rerun
    that an action triggers may start a few ms after the action returns)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_function(_SETTLED_JS, timeout=max(1000, int((deadline - time.monotonic()) * 1000)))
        page.wait_for_timeout(quiet_ms)
        if page.evaluate(_SETTLED_JS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("Streamlit did not settle")


def open_app(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    settle(page)
    # Every page has a title. A link with ?lang=en runs its page twice (the address is
    # rewritten to lang=English first), so the first quiet moment may be between the runs.
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    settle(page)


# --------------------------------------------------------------------------- reading the page


def metrics(page) -> dict[str, str]:
    """Headline figures on the page: label -> value text (as the user reads them)."""
    pairs = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(m => [
              (m.querySelector('[data-testid="stMetricLabel"]') || {}).innerText || '',
              (m.querySelector('[data-testid="stMetricValue"]') || {}).innerText || ''])"""
    )
    return {label.strip(): value.strip() for label, value in pairs}


def number(text: str) -> float:
    """'174,409 万元' -> 174409.0; '¥1,744.1M' -> 1744.1; '30.6%' -> 30.6."""
    digits = re.sub(r"[^\d.\-]", "", text)
    return float(digits) if digits not in ("", "-", ".") else float("nan")


def title(page) -> str:
    return page.locator('[data-testid="stMain"] h1').first.inner_text().strip()


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


# --------------------------------------------------------------------------- sidebar widgets


def pick_in_multiselect(page, key: str, value: str) -> None:
    """Open the multiselect with widget key ``key`` and choose ``value``; wait for the rerun."""
    box = page.locator(f".st-key-{key} [data-testid='stMultiSelect']")
    box.locator("input").click()
    page.get_by_role("option", name=value, exact=True).click()
    page.keyboard.press("Escape")  # close the list (it stays open for more picks)
    settle(page)


def chosen(page, key: str) -> list[str]:
    """The values shown as chips in the multiselect with widget key ``key``."""
    return [t.strip() for t in page.locator(f".st-key-{key} [data-tag] span[title]").all_inner_texts()]


def pick_in_selectbox(page, key: str, value: str) -> None:
    box = page.locator(f".st-key-{key} [data-testid='stSelectbox']")
    box.locator("input").click()
    page.get_by_role("option", name=value, exact=True).click()
    settle(page)


def pick_radio(page, key: str, label: str) -> None:
    page.locator(f".st-key-{key} [data-testid='stRadio']").get_by_text(label, exact=True).click()
    settle(page)


# --------------------------------------------------------------------------- screenshots


def screenshot(page, name: str) -> Path:
    """A full-page PNG in artifacts/screenshots/. Streamlit scrolls inside its main block,
    so Playwright's full_page alone stops at the viewport: grow the viewport to the
    content first, then put it back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]', 'body']
              .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(int(height) + 40, size["height"]), 12000)})
    try:
        settle(page)  # charts redraw at the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


# --------------------------------------------------------------------------- next weeks' exports

LEDGER_SHEET = "项目台账"


def read_ledger(path: Path) -> pl.DataFrame:
    """A seed ledger workbook as a frame (the 合计 row dropped)."""
    df = pl.read_excel(path, sheet_name=LEDGER_SHEET, engine="calamine", read_options={"header_row": 2})
    return df.filter(pl.col("项目编号").is_not_null() & (pl.col("项目编号") != "合计"))


def advance(df: pl.DataFrame, *, won: int, lost: int, on: date, skip: set[str] = frozenset()) -> tuple[pl.DataFrame, list[str], list[str]]:
    """The next week's ledger: the first ``won`` open projects in 商务谈判 are signed on ``on``
    (工程实施 / 已签约, contract amount = expected amount), the first ``lost`` open ones at
    招投标 are lost with a reason. Returns the frame and the ids won and lost."""
    open_ = df.filter(pl.col("状态") == "进行中").sort("项目编号")
    won_ids = [i for i in open_.filter(pl.col("当前阶段") == "商务谈判").get_column("项目编号").to_list() if i not in skip][:won]
    lost_ids = [i for i in open_.filter(pl.col("当前阶段") == "招投标").get_column("项目编号").to_list() if i not in skip][:lost]
    assert len(won_ids) == won and len(lost_ids) == lost, "the seed has too few projects to advance"
    is_won, is_lost = pl.col("项目编号").is_in(won_ids), pl.col("项目编号").is_in(lost_ids)
    out = df.with_columns(
        pl.when(is_won).then(pl.lit("工程实施")).otherwise(pl.col("当前阶段")).alias("当前阶段"),
        pl.when(is_won).then(pl.lit("已签约")).when(is_lost).then(pl.lit("丢单")).otherwise(pl.col("状态")).alias("状态"),
        pl.when(is_won).then(pl.col("预计签约金额（万元）")).otherwise(pl.col("合同金额（万元）")).alias("合同金额（万元）"),
        pl.when(is_won).then(pl.lit(on)).otherwise(pl.col("签约日期")).alias("签约日期"),
        pl.when(is_lost).then(pl.lit("价格高于竞争对手")).otherwise(pl.col("丢单原因")).alias("丢单原因"),
    )
    return out, won_ids, lost_ids


def as_company(df: pl.DataFrame, prefix: str = "HX") -> pl.DataFrame:
    """The same ledger under the company's own project numbers (KA-2026-00012 ->
    HX-2026-00012): nothing in it matches a demo project, so a review that compared it with
    the demo would show every demo project vanished and every one of these new."""
    return df.with_columns(pl.col("项目编号").str.replace("^KA-", f"{prefix}-"))


def write_ledger_xlsx(path: Path, df: pl.DataFrame, as_of: date) -> Path:
    """The office's ledger layout: a notes sheet, then 项目台账 with a title row naming the
    as-of date, a blank row, the header in row 3, dates as Excel dates, ratios as %."""
    wb = xlsxwriter.Workbook(str(path))
    notes = wb.add_worksheet("填写说明")
    notes.write(0, 0, "填写说明：金额单位均为万元。")
    ws = wb.add_worksheet(LEDGER_SHEET)
    date_fmt, pct_fmt = wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": "0.0%"})
    ws.write(0, 0, f"大客户项目台账（截至{as_of.year}年{as_of.month}月{as_of.day}日）")
    for c, name in enumerate(df.columns):
        ws.write(2, c, name)
    for r, row in enumerate(df.iter_rows(), start=3):
        for c, (name, value) in enumerate(zip(df.columns, row, strict=True)):
            if value is None:
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, value, date_fmt)
            elif name == "预计毛利率":
                ws.write_number(r, c, value, pct_fmt)
            else:
                ws.write(r, c, value)
    ws.activate()
    wb.close()
    return path


def ledger_csv_bytes(df: pl.DataFrame) -> bytes:
    """The ledger saved as CSV by hand: half-width (万元) headers, ISO dates, GB18030, CRLF."""
    renamed = df.rename({c: c.replace("（", "(").replace("）", ")") for c in df.columns})
    text = renamed.write_csv(line_terminator="\r\n", date_format="%Y-%m-%d")
    return text.encode("gb18030")


def break_a_date(csv_bytes: bytes, data_row: int, column: str, bad: str) -> bytes:
    """The same GB18030 CSV with ``bad`` in ``column`` of data row ``data_row`` (1 = the first
    row under the header)."""
    lines = csv_bytes.decode("gb18030").split("\r\n")
    header = lines[0].split(",")
    cells = lines[data_row].split(",")
    assert len(cells) == len(header), "a row with a comma inside a cell: pick another row"
    cells[header.index(column)] = bad
    lines[data_row] = ",".join(cells)
    return "\r\n".join(lines).encode("gb18030")


# --------------------------------------------------------------------------- tables (st.dataframe)


def keyed_grid(page, key: str):
    """A selectable st.dataframe by its widget key (only those get an st-key-* class)."""
    return page.locator(f".st-key-{key} [data-testid='stDataFrame']")


def grid_with_header(scope, header: str):
    """The st.dataframe(s) in ``scope`` (a page or a locator) with a column called ``header``."""
    page = scope.page if hasattr(scope, "page") else scope  # Locator.page / the Page itself
    return scope.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(header)}$"))
    )


def grid_rows(frame) -> list[list[str]]:
    """The cells of one st.dataframe (a locator) as text, header row first. The grid draws
    on a canvas; glide-data-grid keeps an accessible table of the rows it draws in the
    DOM, which is what this reads (enough for the first screenful of rows)."""
    frame.locator("table td").first.wait_for(state="attached")
    return frame.evaluate(
        """(el) => Array.from(el.querySelector('table').querySelectorAll('tr')).map(r =>
               Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))"""
    )


def click_grid_row(page, key: str, row: int, *, header_px: int = 35, row_px: int = 35) -> None:
    """Tick the selection checkbox of data row ``row`` (0 = first) of a selectable
    st.dataframe: a click at its coordinates in the canvas, left of the first column."""
    frame = keyed_grid(page, key)
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    assert box is not None, f"dataframe {key} not on screen"
    page.mouse.click(box["x"] + 16, box["y"] + header_px + row_px * row + row_px / 2)


def demo_banner(page) -> list[str]:
    """The demo-data banner(s) on the page (zh or en)."""
    return [t for t in page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()
            if "演示数据 —" in t or "Demo data —" in t]


def table_heights(page) -> list[tuple[str, int, int]]:
    """Every st.dataframe on the page: (its widget key or '', rows including the header as the
    grid reports them, drawn height in px; 0 when it is not visible, e.g. in a closed expander)."""
    page.wait_for_function(  # every visible grid has drawn its rows (it may lag the script run)
        """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
              .filter(f => f.checkVisibility ? f.checkVisibility() : f.offsetParent !== null)
              .every(f => f.querySelector('[aria-rowcount]'))""", timeout=TIMEOUT_MS)
    return [tuple(x) for x in page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).map(f => {
              const keyed = f.closest('[class*="st-key-"]');
              const key = keyed ? (keyed.className.match(/st-key-([\\w-]+)/) || [null, ''])[1] : '';
              const grid = f.querySelector('[aria-rowcount]');
              const visible = f.checkVisibility ? f.checkVisibility() : f.offsetParent !== null;
              return [key, grid ? parseInt(grid.getAttribute('aria-rowcount')) : -1,
                      visible ? Math.round(f.getBoundingClientRect().height) : 0]; })"""
    )]


def assert_no_exception(page) -> None:
    shown = page.locator('[data-testid="stException"]')
    assert shown.count() == 0, shown.first.inner_text()[:2000]


def colour_pixels(png: bytes) -> int:
    """How many clearly coloured (not grey/white) pixels an element screenshot has: bars drawn."""
    from PIL import Image

    raw = Image.open(io.BytesIO(png)).convert("RGB").tobytes()
    return sum(1 for i in range(0, len(raw), 3) if max(raw[i:i + 3]) - min(raw[i:i + 3]) > 60)
