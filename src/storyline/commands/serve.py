"""`storyline serve`: the JSON API and the web pages in one process (FastAPI + uvicorn).

Binds to 127.0.0.1 by default. Ingest over HTTP is off unless a token is
given through the STORYLINE_TOKEN environment variable or --token-file
(never on the command line, where other users could read it in `ps`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

TOKEN_ENV = "STORYLINE_TOKEN"


def register(sub) -> None:
    from storyline.cli import common_parser

    p = sub.add_parser("serve", help="serve the HTTP API and web pages", parents=[common_parser()])
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--token-file", metavar="FILE",
                   help=f"file holding the ingest token (or set {TOKEN_ENV}); without one the API is read-only")
    p.add_argument("--cache", type=int, default=2048, metavar="N",
                   help="responses kept per worker until the store changes (default 2048; 0 = off)")
    p.add_argument("--page-cache", metavar="FILE",
                   help="sidecar file of rendered story pages shared by the workers "
                        "(default: DB.pages; 'off' to render every time)")
    p.add_argument("--prerender", action="store_true",
                   help="render missing or stale story pages into the page cache in a background process at start")
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)


def read_token(token_file: str | None) -> str | None:
    if token_file:
        token = Path(token_file).read_text(encoding="utf-8").strip()
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def app_from_env():
    """Factory for uvicorn workers: settings travel in environment variables."""
    from storyline.web.app import create_app

    pages = os.environ.get("STORYLINE_PAGE_CACHE", "")
    return create_app(os.environ["STORYLINE_DB"], token=os.environ.get(TOKEN_ENV) or None,
                      cache_entries=int(os.environ.get("STORYLINE_WEB_CACHE", "2048")),
                      page_cache=False if pages == "off" else (pages or True))


def run(args) -> int:
    import uvicorn

    from storyline import store

    try:
        token = read_token(args.token_file)
    except OSError as exc:
        print(f"storyline serve: cannot read token file: {exc}", file=sys.stderr)
        return 2
    if token is not None and len(token) < 16:
        print("storyline serve: the token must be at least 16 characters", file=sys.stderr)
        return 2
    db = str(Path(args.db).resolve())
    store.connect(db).close()  # create or migrate once, before workers open it read-only
    os.environ["STORYLINE_DB"] = db
    os.environ["STORYLINE_WEB_CACHE"] = str(max(0, args.cache))
    pages = args.page_cache or f"{db}.pages"
    os.environ["STORYLINE_PAGE_CACHE"] = pages
    if token:
        os.environ[TOKEN_ENV] = token
    else:
        os.environ.pop(TOKEN_ENV, None)
    mode = "ingest enabled (token set)" if token else "read-only"
    print(f"storyline: serving {db} on http://{args.host}:{args.port}/ ({mode})", file=sys.stderr, flush=True)
    if args.prerender and pages != "off":
        import subprocess

        # its own process at low priority: rendering never holds a serving worker's GIL
        subprocess.Popen([sys.executable, "-m", "storyline.web.pagecache", db, pages],
                         preexec_fn=lambda: os.nice(10), stdin=subprocess.DEVNULL)
    uvicorn.run("storyline.commands.serve:app_from_env", factory=True, host=args.host, port=args.port,
                workers=max(1, args.workers), log_level=args.log_level, access_log=False,
                server_header=False, proxy_headers=False)
    return 0
