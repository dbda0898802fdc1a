"""A replay server for Yahoo's chart API, for the real ``yfinance`` client on 127.0.0.1.

Run as a script (the tests start it with :func:`start` and stop it by process id)::

    python tests/_yahoo_replay.py CONFIG.json PORT_FILE [MAX_SECONDS]

It answers what ``yfinance`` 1.7 asks for, with the Yahoo host moved into the first path
segment by pivotlib's host-replacing session (``PIVOT_YAHOO_HOST``):

* ``/fc.yahoo.com/`` (the cookie probe): 404 with a ``Set-Cookie`` like Yahoo's;
* ``/<host>/v1/test/getcrumb``: a crumb;
* ``/<host>/v8/finance/chart/<SYMBOL>``: the recorded chart body of ``SYMBOL``, its
  ``timestamp``/``indicators``/``events`` cut to ``[period1, period2)`` (``range=1d``, the
  time-zone probe, gets the last bar), as Yahoo does; an unknown symbol, or an interval other
  than the recorded one, gets Yahoo's 404 body.

CONFIG (re-read on every request, so a test can change answers between two fetches)::

    {"bodies": {"NVDA": "/path/recorded.json", ...},   # chart JSON, or a node-yahoo-finance2
                                                     # HTTP fixture (response.bodyJson)
     "faults": {"NVDA": ["429", "503", "hang", "empty", "error", "truncated"], "*": [...]},
     "hang_seconds": 5, "log": "/path/requests.jsonl"}

Each chart request for a symbol takes (and removes) the next fault of its list (``"*"`` applies
to every symbol); the server writes the remaining faults back to the config. Every request is
logged as one JSON line (host, path, query, status, fault). The process exits by itself after
MAX_SECONDS (default 300), so a test that dies cannot leave it behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LOCK = threading.Lock()
_BODY_CACHE: dict[str, dict[str, Any]] = {}


def _load_body(path: str) -> dict[str, Any]:
    if path not in _BODY_CACHE:
        data = json.loads(Path(path).read_text())
        if "response" in data and "chart" not in data:
            data = data["response"]["bodyJson"]
        _BODY_CACHE[path] = data
    return _BODY_CACHE[path]


def cut_chart(body: dict[str, Any], p1: int | None, p2: int | None,
              last_only: bool = False) -> dict[str, Any]:
    """Return ``body`` with its bars and events cut to ``p1 <= t < p2`` (or the last bar)."""
    res = dict(body["chart"]["result"][0])
    ts = list(res.get("timestamp") or [])
    if last_only:
        keep = [len(ts) - 1] if ts else []
    else:
        keep = [i for i, t in enumerate(ts)
                if (p1 is None or t >= p1) and (p2 is None or t < p2)]
    ind = res.get("indicators", {})
    new_ind: dict[str, Any] = {}
    for key, arrs in ind.items():
        new_ind[key] = [{k: [v[i] for i in keep] for k, v in a.items()} for a in arrs]
    res["indicators"] = new_ind
    if keep:
        res["timestamp"] = [ts[i] for i in keep]
    else:
        res.pop("timestamp", None)
    if "events" in res:
        lo = res["timestamp"][0] if keep else None
        hi = res["timestamp"][-1] if keep else None
        ev: dict[str, Any] = {}
        for kind, items in res["events"].items():
            kept = {k: v for k, v in items.items()
                    if lo is not None and lo <= int(k) <= hi + 86400}
            if kept:
                ev[kind] = kept
        if ev:
            res["events"] = ev
        else:
            res.pop("events")
    return {"chart": {"result": [res], "error": None}}


def _empty_chart(body: dict[str, Any] | None, symbol: str) -> dict[str, Any]:
    meta = (body or {}).get("chart", {}).get("result", [{}])[0].get("meta", {"symbol": symbol})
    return {"chart": {"result": [{"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}],
                      "error": None}}


_NOT_FOUND = {"chart": {"result": None, "error": {
    "code": "Not Found", "description": "No data found, symbol may be delisted"}}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    config_path: Path

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        return

    def _config(self) -> dict[str, Any]:
        return json.loads(self.config_path.read_text())

    def _log(self, cfg: dict[str, Any], entry: dict[str, Any]) -> None:
        log = cfg.get("log")
        if log:
            with _LOCK, open(log, "a") as fo:
                fo.write(json.dumps(entry) + "\n")

    def _send(self, status: int, body: bytes, ctype: str = "application/json;charset=utf-8",
              headers: dict[str, str] | None = None, declared: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if declared is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if declared is not None:
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        parts = urlsplit(self.path)
        segs = parts.path.lstrip("/").split("/", 1)
        host = segs[0]
        rest = "/" + (segs[1] if len(segs) > 1 else "")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        entry: dict[str, Any] = {"host": host, "path": rest, "query": query}
        with _LOCK:
            cfg = self._config()
        if host == "fc.yahoo.com":
            entry["status"] = 404
            self._log(cfg, entry)
            self._send(404, b"<html>not found</html>", "text/html",
                       {"Set-Cookie": "A3=d=AQABBreplay&S=AQAAAreplay; Max-Age=31557600; Path=/"})
            return
        if rest.startswith("/v1/test/getcrumb"):
            entry["status"] = 200
            self._log(cfg, entry)
            self._send(200, b"replayCrumb0", "text/plain")
            return
        if not rest.startswith("/v8/finance/chart/"):
            entry["status"] = 404
            self._log(cfg, entry)
            self._send(404, b"<html>not found</html>", "text/html")
            return
        symbol = rest.rsplit("/", 1)[-1]
        fault = None
        with _LOCK:
            cfg = self._config()
            faults = cfg.get("faults", {})
            for key in (symbol, "*"):
                if faults.get(key):
                    fault = faults[key].pop(0)
                    self.config_path.write_text(json.dumps(cfg))
                    break
        entry["fault"] = fault
        body_path = cfg.get("bodies", {}).get(symbol)
        body = _load_body(body_path) if body_path else None
        if fault in ("429",):
            entry["status"] = 429
            self._log(cfg, entry)
            self._send(429, b"Too Many Requests\r\n", "text/plain")
            return
        if fault in ("500", "502", "503", "504"):
            entry["status"] = int(fault)
            self._log(cfg, entry)
            self._send(int(fault), b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if fault == "hang":
            time.sleep(float(cfg.get("hang_seconds", 5)))
        granularity = ((body or {}).get("chart", {}).get("result", [{}])[0].get("meta", {})
                       .get("dataGranularity") or "1d")
        if body is not None and query.get("interval", granularity) != granularity:
            body = None  # only the recorded interval was recorded (yfinance's repair may ask)
        if fault == "error" or body is None:
            entry["status"] = 404
            self._log(cfg, entry)
            self._send(404, json.dumps(_NOT_FOUND).encode())
            return
        if fault == "empty":
            entry["status"] = 200
            self._log(cfg, entry)
            self._send(200, json.dumps(_empty_chart(body, symbol)).encode())
            return
        p1 = int(query["period1"]) if "period1" in query else None
        p2 = int(query["period2"]) if "period2" in query else None
        out = json.dumps(cut_chart(body, p1, p2, last_only="range" in query)).encode()
        entry["status"] = 200
        if fault == "truncated":
            entry["truncated"] = True
            self._log(cfg, entry)
            self._send(200, out[: len(out) // 2], declared=len(out))
            return
        self._log(cfg, entry)
        self._send(200, out)


def serve(config: Path, port_file: Path, max_seconds: float = 300.0) -> None:
    """Serve on 127.0.0.1 (a free port, written to ``port_file``) for at most ``max_seconds``."""
    handler = type("Handler", (_Handler,), {"config_path": config})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(srv.server_address[1]))
    os.replace(tmp, port_file)
    timer = threading.Timer(max_seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    srv.serve_forever()


# ----------------------------------------------------------------------------------------
# test side
# ----------------------------------------------------------------------------------------
@dataclass
class Replay:
    """A running replay server: its process, URL, config and request log."""

    proc: subprocess.Popen[bytes]
    url: str
    config_path: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def configure(self, bodies: dict[str, str | Path] | None = None,
                  faults: dict[str, list[str]] | None = None, hang_seconds: float | None = None,
                  ) -> None:
        """Change the answers (bodies are added to the current ones; faults replace)."""
        cfg = json.loads(self.config_path.read_text())
        if bodies:
            cfg["bodies"].update({k: str(v) for k, v in bodies.items()})
        if faults is not None:
            cfg["faults"] = faults
        if hang_seconds is not None:
            cfg["hang_seconds"] = hang_seconds
        self.config_path.write_text(json.dumps(cfg))

    def requests(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """The logged requests (chart requests of ``symbol`` only, when given)."""
        if not self.log_path.exists():
            return []
        out = [json.loads(line) for line in self.log_path.read_text().splitlines() if line]
        if symbol is not None:
            out = [e for e in out if e["path"] == f"/v8/finance/chart/{symbol}"]
        return out

    def stop(self) -> None:
        """Stop the process by its pid and wait for it (bounded)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start(tmp: Path, bodies: dict[str, str | Path], faults: dict[str, list[str]] | None = None,
          hang_seconds: float = 5.0, max_seconds: float = 300.0) -> Replay:
    """Start the server in its own process; return once it listens."""
    tmp.mkdir(parents=True, exist_ok=True)
    cfg = tmp / "replay.json"
    log = tmp / "requests.jsonl"
    cfg.write_text(json.dumps({"bodies": {k: str(v) for k, v in bodies.items()},
                               "faults": faults or {}, "hang_seconds": hang_seconds,
                               "log": str(log)}))
    port_file = tmp / "port"
    proc = subprocess.Popen([sys.executable, __file__, str(cfg), str(port_file),
                             str(max_seconds)], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the replay server did not start")
        time.sleep(0.02)
    return Replay(proc, f"http://127.0.0.1:{int(port_file.read_text())}", cfg, log)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]),
          float(sys.argv[3]) if len(sys.argv) > 3 else 300.0)
