"""Load on the web server: requests/s and latency of the story list and story pages.

Builds (once) a synthetic store of N invented stories (storyline.web.sample,
rows inserted through bound parameters into the store schema), starts
`storyline serve` on a free localhost port, and drives it with `wrk` (Debian
package) at C concurrent connections; without wrk, a Python asyncio load
generator over raw sockets does the same. Each target is measured in turn:

- ``river``: the HTML story list (``/``), and ``/api/stories``
- ``story``: HTML story pages (``/stories/{id}``, a random id per request), and
  ``/api/stories/{id}``

Prints requests/s, p50/p99 latency, and the server's CPU milliseconds per
request (from psutil) per target; "idle cap" is what that CPU cost allows
when the server has the machine's cores to itself, which tells apart a slow
server from a busy machine. Target: >= 500 requests/s
with p99 < 100 ms at 32 connections on 10,000 stories.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

DESCRIPTION = "requests/s and p50/p99 of the web pages and API under load (wrk or asyncio)"

TARGETS = {
    "river": "/",
    "api-stories": "/api/stories",
    "story": "/stories/{id}",
    "api-story": "/api/stories/{id}",
}

WRK_SCRIPT = """
-- pick a random story id per request for paths containing {id}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local pattern = os.getenv("STORYLINE_PATH")
local n = tonumber(os.getenv("STORYLINE_N"))
request = function()
  local path = pattern:gsub("{id}", tostring(math.random(1, n)))
  return wrk.format("GET", path)
end
"""


def add_arguments(p) -> None:
    p.add_argument("--stories", type=int, default=10_000, help="stories in the synthetic store (default 10000)")
    p.add_argument("--store", default=str(Path(tempfile.gettempdir()) / "storyline-load.db"),
                   help="the synthetic store (built when missing or of another size)")
    p.add_argument("--connections", "-c", type=int, default=32, help="concurrent connections (default 32)")
    p.add_argument("--duration", "-d", type=int, default=15, help="seconds per target (default 15)")
    p.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    p.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of: {', '.join(TARGETS)}")
    p.add_argument("--cache", type=int, default=2048, help="server response cache entries per worker (0 = off)")
    p.add_argument("--pages", choices=["prerender", "lazy", "off"], default="prerender",
                   help="story page cache (sidecar STORE.pages): filled before measuring (default), "
                        "filled by the requests themselves, or off")
    p.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto", help="load generator")


SCHEMA_SQL = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"


def _current_schema() -> list[tuple]:
    """The tables, indexes and triggers a store made by this Storyline has."""
    from storyline import store

    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "schema.db")
        rows = [tuple(r) for r in con.execute(SCHEMA_SQL)]
        con.close()
    return rows


def build_store(path: Path, n: int) -> None:
    """The synthetic store of ``n`` stories, rebuilt when missing, of another size or of an older schema."""
    from storyline import store
    from storyline.web.sample import fill_synthetic

    if path.exists():
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            have = con.execute("SELECT count(*) FROM stories").fetchone()[0]
            schema = [tuple(r) for r in con.execute(SCHEMA_SQL)]
            con.close()
            if have == n and schema == _current_schema():
                return
        except sqlite3.Error:
            pass
        for suffix in ("", "-wal", "-shm", ".pages", ".pages-wal", ".pages-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    t = time.perf_counter()
    con = store.connect(path)
    fill_synthetic(con, n)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("ANALYZE")
    con.close()
    print(f"built {path}: {n} stories in {time.perf_counter() - t:.1f} s", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, workers: int, cache: int = 2048, pages: str = "") -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "STORYLINE_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline", "serve", "--db", str(db), "--port", str(port),
         "--workers", str(workers), "--cache", str(cache), *(["--page-cache", pages] if pages else [])], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/api/health", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the server exited at start") from None
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the server did not start in 60 s")


# ------------------------------------------------------------------ wrk


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(base: str, path: str, n: int, connections: int, duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT)
        script = fh.name
    try:
        env = dict(os.environ, STORYLINE_PATH=path, STORYLINE_N=str(n))
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, base],
            capture_output=True, text=True, env=env, timeout=duration + 60,
        ).stdout
    finally:
        os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": _ms(lat.get("50", "nan")), "p99": _ms(lat.get("99", "nan")),
            "errors": float(errors.group(1)) if errors else 0.0, "socket_errors": sock.group(1) if sock else ""}


# --------------------------------------------------------------- asyncio


async def _python_load(host: str, port: int, path: str, n: int, connections: int, duration: int):
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def one_connection():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        rnd = random.Random()
        while time.perf_counter() < stop:
            p = path.replace("{id}", str(rnd.randint(1, n)))
            t = time.perf_counter()
            writer.write(f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode("latin-1").partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if b" 200 " not in status:
                errors += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return latencies, errors, time.perf_counter() - t0


def run_python(base: str, path: str, n: int, connections: int, duration: int) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    lat, errors, elapsed = asyncio.run(_python_load(host, int(port), path, n, connections, duration))
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    return {"rps": len(lat) / elapsed, "p50": pick(0.50), "p99": pick(0.99), "errors": float(errors),
            "socket_errors": ""}


def _server_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    import psutil

    try:
        root = psutil.Process(proc.pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def run(args) -> int:
    db = Path(args.store)
    build_store(db, args.stories)
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        print(f"unknown targets: {', '.join(unknown)}", file=sys.stderr)
        return 2
    pages = str(db) + ".pages"
    if args.pages == "off":
        pages = "off"
    else:
        if args.pages == "lazy":  # start empty: every first visit renders
            for suffix in ("", "-wal", "-shm"):
                Path(f"{pages}{suffix}").unlink(missing_ok=True)
        else:
            from storyline.web.pagecache import prerender

            t, c = time.perf_counter(), time.process_time()
            counts = prerender(db, pages)
            print(f"page cache {pages}: {counts['rendered']} rendered, {counts['fresh']} already fresh, "
                  f"in {time.perf_counter() - t:.1f} s ({time.process_time() - c:.1f} s CPU)", flush=True)
    proc, base = start_server(db, args.workers, args.cache, pages)
    failed = False
    try:
        for path in {TARGETS[t] for t in targets}:  # warm every worker's connection and templates
            for i in range(20):
                urllib.request.urlopen(base + path.replace("{id}", str(i + 1))).read()
        print(f"store: {args.stories} stories; server: {args.workers} worker(s), cache {args.cache}, "
              f"pages {args.pages}; tool: {tool}; load average {os.getloadavg()[0]:.1f}; "
              f"{args.connections} connections; {args.duration} s per target; cpus: {os.cpu_count()}")
        print(f"{'target':<12} {'path':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'cpu ms/req':>10} {'idle cap':>8} {'load':>5}  verdict")
        for name in targets:
            path = TARGETS[name]
            measure = run_wrk if tool == "wrk" else run_python
            cpu0 = _server_cpu(proc)
            r = measure(base, path, args.stories, args.connections, args.duration)
            cpu_ms = (_server_cpu(proc) - cpu0) * 1000 / max(1.0, r["rps"] * args.duration)
            # what the server could do with every core to itself (the load tool's own CPU not counted)
            capacity = min(args.workers, os.cpu_count() or 1) * 1000 / cpu_ms if cpu_ms > 0 else float("nan")
            ok = r["rps"] >= 500 and r["p99"] < 100 and r["errors"] == 0
            failed |= not ok
            print(f"{name:<12} {path:<20} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7.0f} "
                  f"{cpu_ms:>10.2f} {capacity:>8.0f} {os.getloadavg()[0]:>5.1f}  "
                  f"{'ok' if ok else 'below target'}{'  ' + r['socket_errors'] if r['socket_errors'] else ''}",
                  flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 1 if failed else 0
