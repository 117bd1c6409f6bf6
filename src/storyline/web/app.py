"""The FastAPI application: a JSON API under /api and server-rendered pages.

Pages are rendered on the server with Jinja2 autoescaping, so every page is
one request that reads the store once for its main content; the only
scripts are static files under /static (no inline script or style), which
lets every response carry a strict Content-Security-Policy.

Reads go through one read-only SQLite connection per worker thread. Ingest
over HTTP (``POST /api/ingest``, ``POST /api/ingest/file``) is enabled only
when a token is configured, and then requires ``Authorization: Bearer TOKEN``.
"""
from __future__ import annotations

import csv
import hmac
import io
import json
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, HTTPException, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from jinja2 import Environment, FileSystemLoader, select_autoescape

from storyline import __version__, store
from storyline.web import pagecache, queries, view
from storyline.web.queries import Filters

HERE = Path(__file__).resolve().parent

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)

PAGE_SIZE = 30
DATE_RE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
MAX_UPLOAD = 20 * 1024 * 1024
MMAP_BYTES = pagecache.MMAP_BYTES


class SecurityHeaders:
    """ASGI middleware adding the CSP and friends to every response (pages, API, static, errors)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in SECURITY_NAMES]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


class ResponseCache:
    """ASGI middleware keeping whole GET responses until the store changes.

    Pages and API answers depend only on the URL and the store, so a response
    can be replayed until another connection commits: ``PRAGMA data_version``
    (one cheap call on this worker's own read connection) tells when that
    happens, and the whole cache is dropped. Bounded in entries and bytes
    (least recently used go first); ``x-storyline-cache`` says hit or miss.
    """

    PREFIXES = ("/stories/", "/articles/", "/api/stories", "/api/articles", "/api/outlets", "/api/search")
    EXACT = ("/", "/outlets", "/search", "/openapi.json")

    def __init__(self, app, db: "Store", max_entries: int = 2048, max_bytes: int = 64 << 20,
                 skip: re.Pattern | None = None):
        from collections import OrderedDict

        self.skip = skip  # paths served by another cache
        self.app = app
        self.store = db
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[bytes, tuple[dict, list[bytes], int]] = OrderedDict()
        self.size = 0
        self.version: int | None = None
        self.con: sqlite3.Connection | None = None

    def _cacheable(self, scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or self.max_entries <= 0:
            return False
        path = scope["path"]
        if any(k == b"authorization" for k, _ in scope["headers"]):
            return False
        if self.skip is not None and self.skip.match(path):
            return False
        return path in self.EXACT or (path.startswith(self.PREFIXES) and "/export/" not in path)

    def _check_version(self) -> None:
        if self.con is None:  # its own connection: data_version only compares within one connection
            self.con = store.connect(self.store.db, readonly=True)
        version = self.con.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version:
            self.entries.clear()
            self.size = 0
            self.version = version

    async def __call__(self, scope, receive, send):
        if not self._cacheable(scope):
            return await self.app(scope, receive, send)
        self._check_version()
        key = scope["method"].encode() + b" " + scope["raw_path"] + b"?" + scope["query_string"]
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
            start, body, _ = hit
            await send({**start, "headers": [*start["headers"], (b"x-storyline-cache", b"hit")]})
            await send({"type": "http.response.body", "body": b"".join(body)})
            return
        captured: dict[str, Any] = {"start": None, "body": [], "ok": True}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["start"] = message
                captured["ok"] = message["status"] == 200
                message = {**message, "headers": [*message.get("headers", []), (b"x-storyline-cache", b"miss")]}
            elif message["type"] == "http.response.body" and captured["ok"]:
                captured["body"].append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        if captured["ok"] and captured["start"] is not None:
            size = sum(map(len, captured["body"]))
            if size <= self.max_bytes // 16:
                self.entries[key] = (captured["start"], captured["body"], size)
                self.size += size
                while len(self.entries) > self.max_entries or self.size > self.max_bytes:
                    _, (_, _, old) = self.entries.popitem(last=False)
                    self.size -= old


class StoryPages:
    """ASGI middleware replaying rendered story pages from the shared page cache.

    ``GET /stories/{id}`` (without a query string) and ``GET /api/stories/{id}``
    are answered here, before routing, when the page cache holds the page
    for the story's current version (``pagecache.fingerprint``: one query on
    the store). Anything else, and every miss, goes on to the app, whose
    routes render the page and store it.
    """

    PATH = re.compile(r"^/(api/)?stories/([1-9][0-9]{0,17})$")

    def __init__(self, app, db: "Store", pages: pagecache.PageCache):
        self.app = app
        self.store = db
        self.pages = pages

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and self.pages.path:
            m = self.PATH.match(scope["path"])
            if m and not (m.group(1) is None and scope["query_string"]):
                kind, story_id = ("json" if m.group(1) else "html"), int(m.group(2))
                version = pagecache.fingerprint(self.store.read(), story_id)
                body = None
                if version is not None and not (kind == "html" and version[1]):
                    body = self.pages.get(kind, story_id, version[0])
                if body is not None:
                    media = b"application/json" if kind == "json" else b"text/html; charset=utf-8"
                    await send({"type": "http.response.start", "status": 200, "headers": [
                        (b"content-type", media), (b"content-length", str(len(body)).encode()),
                        (b"x-storyline-page", b"hit")]})
                    await send({"type": "http.response.body", "body": body})
                    return
        return await self.app(scope, receive, send)


class Store:
    """Per-thread read-only connections to one store, plus one serialised writer."""

    def __init__(self, db: str | Path):
        self.db = str(db)
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def read(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = store.connect(self.db, readonly=True)
            con.execute("PRAGMA query_only = ON")
            con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")  # reads without a read() call per page
            self._local.con = con
        return con

    def totals(self) -> dict[Any, int]:
        """This thread's story counts per filter, emptied whenever another connection commits."""
        version = self.read().execute("PRAGMA data_version").fetchone()[0]
        if getattr(self._local, "version", None) != version:
            self._local.version = version
            self._local.totals = {}
        return self._local.totals

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            con = store.connect(self.db)
            try:
                yield con
            finally:
                con.close()


class PostedArticle(BaseModel):
    """One article posted to /api/ingest (the JSONL ingest format; ``outlet`` may stand for ``source``)."""

    title: str = Field("", max_length=2000)
    text: str | None = Field(None, max_length=5_000_000)
    html: str | None = Field(None, max_length=20_000_000)
    outlet: str | None = Field(None, max_length=500, description="outlet name (same as source)")
    source: str | None = Field(None, max_length=500)
    published: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=4000)
    id: str | None = Field(None, max_length=500, description="the outlet's own id for the article")

    def as_jsonl(self) -> dict[str, Any]:
        d = self.model_dump(exclude_none=True)
        outlet = d.pop("outlet", None)
        if outlet and not d.get("source"):
            d["source"] = outlet
        return d


async def _read_connection(request: Request) -> sqlite3.Connection:
    return request.app.state.store.read()


async def _filters(
    date_from: Annotated[str | None, Query(alias="from", pattern=DATE_RE, description="YYYY[-MM[-DD]]")] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DATE_RE, description="YYYY[-MM[-DD]]")] = None,
    outlet: Annotated[str | None, Query(max_length=200, description="exact outlet name")] = None,
    entity: Annotated[str | None, Query(max_length=200, description="entity key, name or mention")] = None,
    place: Annotated[str | None, Query(max_length=200, description="place name or mention")] = None,
    q: Annotated[str | None, Query(max_length=500, description="full-text query, every word required")] = None,
) -> Filters:
    return Filters(date_from or None, date_to or None, outlet or None, entity or None, place or None, q or None)


# Parameter types shared by the routes (module level: annotations are resolved by name).
Con = Annotated[sqlite3.Connection, Depends(_read_connection)]
F = Annotated[Filters, Depends(_filters)]
Id = Annotated[int, PathParam(ge=1, le=2**62, description="numeric id")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_LIMIT, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="items to skip")]
PageNo = Annotated[int, Query(ge=1, le=10**6)]


class _Environment(Environment):
    """Jinja2 with ``x.key`` reading a plain dict's key first (our view data is dicts).

    The default tries the attribute and falls back to the key after an
    AttributeError, which costs an exception per lookup. Templates never call
    dict methods (``.get``, ``.items``), so a key can never hide one.
    """

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _templates() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        auto_reload=False,  # templates ship with the package; no stat() per page
        lstrip_blocks=True,
    )
    view.install_filters(env)
    return env


def create_app(db: str | Path, token: str | None = None, cache_entries: int = 2048,
               page_cache: str | Path | None | bool = True) -> FastAPI:
    """Build the app serving the store at ``db``.

    ``token`` enables ingest over HTTP; ``cache_entries`` bounds the
    response cache (0 turns it off); ``page_cache`` is the sidecar file of
    rendered story pages shared by workers (True: ``DB.pages``; False or
    None: off).
    """
    if not Path(db).exists():
        store.connect(db).close()  # create an empty, migrated store so reads work
    st = Store(db)
    env = _templates()
    if page_cache is True:
        page_cache = pagecache.default_path(db)
    pages = pagecache.PageCache(page_cache or None)
    app = FastAPI(
        title="Storyline",
        version=__version__,
        description="Stories from many outlets, and what each outlet reports. Read-only unless a token is set.",
        docs_url=None,  # the Swagger page loads scripts from a CDN: off (no internet, strict CSP)
        redoc_url=None,
        openapi_url="/openapi.json",
        telemetry={"tracing": False, "metrics": False, "logs": False},  # no OpenTelemetry check per request
    )
    app.add_middleware(StoryPages, db=st, pages=pages)
    app.add_middleware(ResponseCache, db=st, max_entries=cache_entries,
                       skip=StoryPages.PATH if pages.path else None)
    app.add_middleware(SecurityHeaders)  # added last = outermost: errors and cache hits get the headers too
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.store = st
    app.state.token = token
    app.state.pages = pages

    def render(name: str, request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = env.get_template(name).render(request_path=request.url.path, query=request.query_params, **ctx)
        return HTMLResponse(html, status_code=status)

    def not_found(what: str, ident: int) -> HTTPException:
        return HTTPException(status_code=404, detail=f"{what} {ident} not found")

    # ------------------------------------------------------------------ API

    @app.get("/api/stories", tags=["stories"], summary="Stories, newest and largest first")
    async def api_stories(c: Con, f: F, limit: Limit = PAGE_SIZE, offset: Offset = 0) -> dict[str, Any]:
        return queries.list_stories(c, f, limit, offset, st.totals())

    @app.get("/api/stories/{story_id}", tags=["stories"], summary="One story with members, comparison and places")
    async def api_story(c: Con, story_id: Id) -> dict[str, Any]:
        version = pagecache.fingerprint(c, story_id)
        if version is None:
            raise not_found("story", story_id)
        body = pages.get("json", story_id, version[0])
        state = "hit" if body is not None else "miss"
        if body is None:
            page = queries.story_page(c, story_id, with_text=False)
            if page is None:
                raise not_found("story", story_id)
            if page["comparison"] is None:
                page["comparison"] = await run_in_threadpool(_compute_report, st, story_id)
                version = pagecache.fingerprint(c, story_id) or version
            body = view.story_json(page)
            pages.put("json", story_id, version[0], body)
        return Response(body, media_type="application/json", headers={"x-storyline-page": state})

    @app.get("/api/stories/{story_id}/comparison", tags=["stories"], summary="The comparison report of one story")
    async def api_comparison(c: Con, story_id: Id) -> dict[str, Any]:
        if queries.get_story(c, story_id) is None:
            raise not_found("story", story_id)
        report = queries.get_report(c, story_id) or await run_in_threadpool(_compute_report, st, story_id)
        if report is None:
            raise HTTPException(status_code=404, detail=f"story {story_id} has no comparison yet")
        return report

    @app.get("/api/articles", tags=["articles"], summary="Articles, newest first")
    async def api_articles(c: Con, f: F, limit: Limit = PAGE_SIZE, offset: Offset = 0) -> dict[str, Any]:
        return queries.list_articles(c, f, limit, offset)

    @app.get("/api/articles/{article_id}", tags=["articles"],
             summary="One article: clean text, removed pieces, annotations, live-blog entries, story")
    async def api_article(c: Con, article_id: Id) -> dict[str, Any]:
        article = queries.article_page(c, article_id)
        if article is None:
            raise not_found("article", article_id)
        article.pop("spans", None)
        return article

    @app.get("/api/outlets", tags=["outlets"], summary="Outlets with article and story counts")
    async def api_outlets(c: Con) -> dict[str, Any]:
        items = queries.list_outlets(c)
        return {"total": len(items), "items": items}

    @app.get("/api/search", tags=["search"], summary="Full-text search over articles, with their stories")
    async def api_search(c: Con, f: F, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        result = queries.search(c, f, limit, offset)
        for it in result["items"]:
            it["snippet"] = (it["snippet"] or "").replace("\x01", "[").replace("\x02", "]")
        return result

    @app.get("/api/export/stories.jsonl", tags=["exports"], summary="Stories with members and comparison, JSON lines")
    def api_export_stories(f: F) -> StreamingResponse:
        def lines():
            with _own_connection(st) as c:
                for it in queries.export_stories(c, f):
                    yield json.dumps(it, ensure_ascii=False) + "\n"
        return StreamingResponse(lines(), media_type="application/x-ndjson",
                                 headers={"content-disposition": 'attachment; filename="stories.jsonl"'})

    @app.get("/api/export/articles.{fmt}", tags=["exports"], summary="Articles with clean text, as jsonl or csv")
    def api_export_articles(f: F, fmt: Annotated[str, PathParam(pattern="^(jsonl|csv)$")]) -> StreamingResponse:
        def lines():
            with _own_connection(st) as c:
                rows = queries.export_articles(c, f)
                if fmt == "jsonl":
                    for it in rows:
                        yield json.dumps(it, ensure_ascii=False) + "\n"
                    return
                buf = io.StringIO()
                writer = None
                for it in rows:
                    if writer is None:
                        writer = csv.DictWriter(buf, fieldnames=list(it))
                        writer.writeheader()
                    writer.writerow({k: _csv_safe(v) for k, v in it.items()})
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
        media = "application/x-ndjson" if fmt == "jsonl" else "text/csv; charset=utf-8"
        return StreamingResponse(lines(), media_type=media,
                                 headers={"content-disposition": f'attachment; filename="articles.{fmt}"'})

    async def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if not app.state.token:
            raise HTTPException(status_code=403, detail="read-only: no ingest token is configured")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not given or not hmac.compare_digest(given.encode(), app.state.token.encode()):
            raise HTTPException(status_code=401, detail="missing or wrong token",
                                headers={"WWW-Authenticate": "Bearer"})

    @app.post("/api/ingest", tags=["ingest"], dependencies=[Depends(require_token)],
              summary="Ingest articles posted as JSON (needs the token)")
    def api_ingest_json(
        articles: Annotated[list[PostedArticle], Body(embed=True, max_length=10000)],
    ) -> dict[str, Any]:
        body = "".join(json.dumps(a.as_jsonl(), ensure_ascii=False) + "\n" for a in articles).encode()
        return _ingest_bytes(st, "posted.jsonl", body)

    @app.post("/api/ingest/file", tags=["ingest"], dependencies=[Depends(require_token)],
              summary="Ingest one uploaded file, sent as the request body (needs the token)")
    async def api_ingest_file(
        request: Request,
        filename: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[\w.\- ]+$")],
    ) -> dict[str, Any]:
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_UPLOAD:
                raise HTTPException(status_code=413, detail=f"file larger than {MAX_UPLOAD} bytes")
        return await run_in_threadpool(_ingest_bytes, st, filename, bytes(data))

    @app.get("/api/health", tags=["meta"], summary="Store counts and whether ingest is enabled")
    async def api_health(c: Con) -> dict[str, Any]:
        return {"ok": True, "version": __version__, "ingest": bool(app.state.token), **queries.counts(c)}

    # ---------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page_river(request: Request, c: Con, f: F, page: PageNo = 1):
        result = queries.list_stories(c, f, PAGE_SIZE, (page - 1) * PAGE_SIZE, st.totals())
        return render("river.html", request, result=result, page=page, filters=f,
                      pages=view.pagination(result, page))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def page_search(request: Request, c: Con, f: F, page: PageNo = 1):
        result = queries.search(c, f, 20, (page - 1) * 20)
        return render("search.html", request, result=result, page=page, filters=f,
                      pages=view.pagination(result, page))

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    async def page_story(request: Request, c: Con, story_id: Id):
        version = pagecache.fingerprint(c, story_id)
        if version is None:
            raise not_found("story", story_id)
        key, merged_into = version
        if merged_into:
            return Response(status_code=308, headers={"location": f"/stories/{int(merged_into)}"})
        plain = not request.url.query  # the search box echoes ?q=: only plain URLs share a page
        body = pages.get("html", story_id, key) if plain else None
        state = "hit" if body is not None else "miss"
        if body is None:
            data = queries.story_page(c, story_id)
            if data is None:
                raise not_found("story", story_id)
            if data["comparison"] is None:
                data["comparison"] = await run_in_threadpool(_compute_report, st, story_id)
                key = (pagecache.fingerprint(c, story_id) or version)[0]
            if not plain:
                response = render("story.html", request, **view.story_view(data))
                response.headers["x-storyline-page"] = "miss"
                return response
            body = view.story_html(env, data)
            pages.put("html", story_id, key, body)
        return HTMLResponse(body, headers={"x-storyline-page": state})

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def page_article(request: Request, c: Con, article_id: Id):
        article = queries.article_page(c, article_id)
        if article is None:
            raise not_found("article", article_id)
        return render("article.html", request, article=article,
                      body=view.article_body(article["clean_text"], article["spans"], article["annotations"]))

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    async def page_outlets(request: Request, c: Con):
        return render("outlets.html", request, outlets=queries.list_outlets(c))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return render("error.html", request, status=exc.status_code, status_code=exc.status_code, detail=exc.detail)

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": errors}, status_code=422)
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return render("error.html", request, status=422, status_code=422, detail=detail)

    return app


def _csv_safe(value: Any) -> Any:
    """Defuse spreadsheet formulas in untrusted text cells."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@contextmanager
def _own_connection(st: Store) -> Iterator[sqlite3.Connection]:
    """A private read-only connection for a streaming response (runs across threads)."""
    con = store.connect(st.db, readonly=True)
    try:
        yield con
    finally:
        con.close()


def _compute_report(st: Store, story_id: int) -> dict[str, Any] | None:
    """Compute and store a missing comparison report, when the comparison engine is installed."""
    try:
        from storyline.compare.persist import get_or_update
    except ImportError:
        return None
    try:
        with st.write() as con:
            report = get_or_update(con, story_id)
    except (sqlite3.Error, OSError):
        return None  # e.g. a read-only store file: show the story without its comparison
    return report if isinstance(report, dict) or report is None else {"items": report}


_SAFE_NAME = re.compile(r"[^\w.\-]+")


def _ingest_bytes(st: Store, filename: str, data: bytes) -> dict[str, Any]:
    """Write the upload to a private temp dir and run the pipeline on it."""
    try:
        from storyline import pipeline
    except ImportError as exc:
        raise HTTPException(status_code=503, detail=f"the ingest pipeline is not available: {exc}") from None
    name = _SAFE_NAME.sub("_", Path(filename).name).lstrip(".") or "upload"
    with tempfile.TemporaryDirectory(prefix="storyline-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with st.write() as con:
            result = pipeline.ingest_paths(con, [str(path)])
            processed = pipeline.process(con)
    return {"file": name, "bytes": len(data), "ingest": _plain(result), "process": _plain(processed)}


def _plain(value: Any) -> Any:
    """A JSON-friendly view of whatever the pipeline returned."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
