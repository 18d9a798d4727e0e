"""A Streamlit session without a browser: the websocket protocol the browser speaks.

For load tests. Twenty Chromium tabs on this 2-CPU machine spend more CPU drawing pages
than the server spends computing them, so a load test made only of browsers measures the
browsers. A ``ProtocolSession`` costs the server exactly what a browser tab costs it
(the same messages: a rerun request with the widget states, every element of the page
sent back), and costs the load generator almost nothing. Its page time runs from sending
the rerun request to the ``script_finished`` message: the server's queue, the script run
and the transfer; not the browser's drawing (the load test keeps a few real browsers in
the mix for that).

Speaks Streamlit 1.67's protocol (``streamlit.proto``, websocket ``/_stcore/stream``,
subprotocol ``streamlit``): the server is the real one, started by ``streamlit run``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class RunResult:
    ms: float  # request sent -> script_finished received
    first_ms: float | None  # request sent -> first delta of the run received
    n_messages: int
    n_bytes: int
    status: int  # ForwardMsg.ScriptFinishedStatus
    exception: str | None = None  # an exception element the page showed, if any


@dataclass
class ProtocolSession:
    """One session on a running server: ``await s.open(page)``, then ``await s.set(key, values)``."""

    base_url: str  # http://127.0.0.1:8501
    query_string: str = ""
    widgets: dict[str, str] = field(default_factory=dict)  # user key -> widget id, as the page declared them
    states: dict[str, list[str]] = field(default_factory=dict)  # user key -> current multiselect values
    page_script_hash: str = ""
    page_name: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    _ws: object = None
    _reader: asyncio.Task | None = None
    _queue: asyncio.Queue | None = None

    async def connect(self, timeout_s: float = 60) -> None:
        from websockets.asyncio.client import connect

        url = self.base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self._ws = await asyncio.wait_for(
            connect(url, subprotocols=["streamlit"], max_size=None, ping_interval=None, open_timeout=timeout_s),
            timeout_s,
        )
        self._queue = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._queue.put_nowait((time.perf_counter(), len(raw), msg))
        except Exception as exc:  # connection closed: wake a waiting run
            self._queue.put_nowait((time.perf_counter(), 0, exc))

    async def open(self, page_name: str = "", query_string: str = "", timeout_s: float = 120) -> RunResult:
        """The first run of a page (``page_name`` = its url path, "" = the default page)."""
        if self._ws is None:
            await self.connect(timeout_s)
        self.page_name, self.query_string = page_name, query_string
        return await self._rerun(timeout_s)

    async def set(self, key: str, values: list[str], timeout_s: float = 120) -> RunResult:
        """Change the multiselect with user key ``key`` to ``values`` (as a click would) and rerun."""
        if key not in self.widgets:
            raise KeyError(f"the page has no widget with key {key!r} (it has: {', '.join(sorted(self.widgets))})")
        self.states[key] = list(values)
        return await self._rerun(timeout_s)

    async def _rerun(self, timeout_s: float) -> RunResult:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_script_hash
        cs.page_name = self.page_name if not self.page_script_hash else ""
        for key, values in self.states.items():
            ws = cs.widget_states.widgets.add()
            ws.id = self.widgets[key]
            ws.string_array_value.data.extend(values)
        # Stale messages of an earlier run (there should be none) do not count for this one.
        while not self._queue.empty():
            self._queue.get_nowait()
        t0 = time.perf_counter()
        await self._ws.send(back.SerializeToString())
        n = nbytes = 0
        first = None
        exception = None
        deadline = t0 + timeout_s
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no script_finished within {timeout_s:.0f} s")
            at, size, msg = await asyncio.wait_for(self._queue.get(), left)
            if isinstance(msg, Exception):
                raise ConnectionError(f"websocket closed: {msg}")
            n += 1
            nbytes += size
            kind = msg.WhichOneof("type")
            if kind == "navigation":  # the page this run is on (st.navigation's pick)
                self.page_script_hash = msg.navigation.page_script_hash
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta":
                first = first if first is not None else (at - t0) * 1000
                self._note_widget(msg)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # our own rerun request interrupted an older run
                return RunResult(ms=(at - t0) * 1000, first_ms=first, n_messages=n, n_bytes=nbytes,
                                 status=msg.script_finished, exception=exception)
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                if el.WhichOneof("type") == "exception":
                    exception = f"{el.exception.type}: {el.exception.message}"[:300]

    def _note_widget(self, msg: ForwardMsg) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind != "multiselect":
            return
        wid = el.multiselect.id
        # Widget ids end with "-<user key>" when the widget has a key.
        key = wid.rsplit("-", 1)[-1] if "-" in wid else wid
        self.widgets[key] = wid
        ms = el.multiselect
        current = list(ms.raw_values) if ms.set_value else [ms.options[i] for i in ms.default]
        self.states.setdefault(key, current)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
