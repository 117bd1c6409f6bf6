"""Readers: one function per input format, each yielding Article or Reject records.

The format is detected from the content (``detect_format``), not only from the
file name. Every reader streams, so a 100 MB input is read in bounded memory;
a single text or HTML article larger than ``MAX_ARTICLE_BYTES`` is rejected
with a reason instead of being loaded whole.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from storyline.records import Article, Reject

MAX_ARTICLE_BYTES = 5 * 1024 * 1024  # one text/HTML article; larger files are not articles
SNIFF_BYTES = 64 * 1024

# A reader yields Article/Reject records and, for formats that keep the raw
# input per record, the raw bytes in article.extra["_raw"] (popped by the writer).
Item = Article | Reject


class Warning_(Reject):
    """A problem that did not stop the article from being stored (e.g. a bad date)."""


# ---------------------------------------------------------------- detection


def detect_format(head: bytes, name: str = "") -> str:
    """Guess the format from the first bytes: warc | gzip | jsonl | feed | html | text | binary | empty."""
    if not head.strip():
        return "empty"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"WARC/"):
        return "warc"
    if b"\x00" in head[:8192] and not _looks_utf16(head):
        return "binary"
    lower = stripped[:2048].lower()
    if lower.startswith(b"{"):
        return "jsonl"
    if lower.startswith(b"<?xml") or lower.startswith(b"<rss") or lower.startswith(b"<feed") or lower.startswith(b"<rdf"):
        if re.search(rb"<(rss|feed|rdf:rdf|channel)\b", lower):
            return "feed"
        if re.search(rb"<html\b", lower):
            return "html"
    if lower.startswith(b"<!doctype html") or lower.startswith(b"<html") or re.search(rb"<(html|body|article|head)\b", lower[:1024]):
        return "html"
    return "text"


def _looks_utf16(head: bytes) -> bool:
    return head[:2] in (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode bytes to text; returns (text, encoding used if it was not UTF-8).

    Raises ValueError when the bytes are not text in any encoding we can detect.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise ValueError("not text in any encoding we can detect (binary file?)")
    if best.encoding != "cp1252" and _latin_script(str(best)):
        # On short Latin-script text several single-byte code pages are about as plausible and
        # charset_normalizer's pick among them is close to arbitrary (cp775 for a cp1252 "Café").
        # Windows-1252 is by far the commonest legacy encoding of news text, so it wins when it
        # is about as plausible (chaos) and fits a language about as well (coherence), unless
        # the best guess reads as a language cp1252 cannot spell (Hungarian ő in cp1250) and
        # cp1252 does not fit a language better. Non-Latin guesses (cp1251 Cyrillic, Greek,
        # CJK) are never second-guessed.
        western = next((m for m in results if m.encoding == "cp1252"), None) \
            or from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= best.chaos + CP1252_SLACK and (
                str(western) == str(best) or western.coherence > best.coherence
                or (not set(best.languages[:1]) & NOT_CP1252
                    and western.coherence >= best.coherence - CP1252_SLACK)):
            best = western
    return str(best), best.encoding


# how much less plausible (charset_normalizer's chaos, and coherence) cp1252 may be than the
# best guess and still win
CP1252_SLACK = 0.05
# Latin-script languages (charset_normalizer's names) with letters cp1252 does not have
NOT_CP1252 = {"Croatian", "Czech", "Hungarian", "Lithuanian", "Polish", "Romanian", "Serbian", "Slovak",
              "Slovene", "Turkish", "Vietnamese"}


def _latin_script(text: str) -> bool:
    """Whether every letter of ``text`` is a Latin letter (and there is at least one)."""
    import unicodedata

    letters = [c for c in set(text) if c.isalpha()]
    return bool(letters) and all(c.isascii() or unicodedata.name(c, "").startswith("LATIN ")
                                 for c in letters)


# ------------------------------------------------------------------ helpers


DATE_LINE = re.compile(r"^\s*date\s+(\S+)\s*(.*)$", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# A number given as a date is read as Unix seconds; outside these years it is a mistake
# (``20260511`` meant as a date would silently become 1970-08-23), so it is a bad date.
# the earliest year a written date is taken for (older: stored with an unknown date and a warning)
FIRST_YEAR = 1800
UNIX_YEARS = (1980, 2100)


def parse_date(value: Any) -> str | None:
    """Normalise a date or datetime value to ISO; raises ValueError when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"bad date {value!r}")
    if isinstance(value, (int, float)):
        try:
            day = dt.datetime.fromtimestamp(value, dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            day = None
        if day is None or not UNIX_YEARS[0] <= day.year <= UNIX_YEARS[1]:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise ValueError(f"bad date {shown} (a number is read as Unix seconds"
                             f"{f', here {day.isoformat()}' if day else ''})")
        return day.isoformat()
    text = str(value).strip()
    parsed = None
    if ISO_DATE.match(text):
        parsed = dt.date.fromisoformat(text)
    else:
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                pass
    if parsed is None:
        raise ValueError(f"bad date {text!r}")
    if parsed.year < FIRST_YEAR:  # "0001-01-01": a placeholder, not when a news article appeared
        raise ValueError(f"bad date {text!r} (before {FIRST_YEAR})")
    return parsed.isoformat()


def domain_of(url: str | None) -> str | None:
    if not url or not isinstance(url, str):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _article(path: str, line: int | None, *, fmt: str, title: str, text: str, published: str | None,
             url: str | None, source: str | None, external_id: str | None, html: str | None,
             extra: dict[str, Any], raw: bytes | None) -> Article:
    outlet = source or domain_of(url)
    art = Article(
        title=(title or "").strip(),
        text=text,
        outlet=outlet or "",
        published=published,
        url=url or None,
        external_id=str(external_id) if external_id not in (None, "") else None,
        format=fmt,
        html=html,
        outlet_known=bool(outlet),
        source_path=path,
        source_line=line,
        extra=extra,
    )
    if raw is not None:
        art.extra["_raw"] = raw
    return art


# ------------------------------------------------------------------- readers


def read_text(path: str, data: bytes, source: str | None) -> Iterator[Item]:
    """Plain text: first line ``date YYYY-MM-DD <headline>`` (or just the headline), then the body."""
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        yield Reject(path, str(exc))
        return
    if encoding:
        yield Warning_(path, f"not UTF-8: decoded as {encoding}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        yield Reject(path, "empty file")
        return
    first, body = lines[0], "\n".join(lines[1:]).strip("\n")
    published = None
    m = DATE_LINE.match(first)
    if m:
        try:
            published = parse_date(m.group(1))
        except ValueError:
            yield Warning_(path, f"bad date {m.group(1)!r}; stored with the date unknown", line=1)
        title = m.group(2).strip()
    else:
        title = first.strip()
    if not body.strip():
        yield Reject(path, "no body text after the headline", line=1)
        return
    yield _article(path, None, fmt="text", title=title, text=body, published=published, url=None,
                   source=source or folder_domain(path), external_id=None, html=None, extra={}, raw=None)


DOMAIN_LIKE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)


def folder_domain(path: str) -> str | None:
    """A text file's outlet from its folder when the folder is named like a domain (``outlet.example/``)."""
    name = Path(path).parent.name
    return name.lower() if DOMAIN_LIKE.match(name) else None


JSONL_TEXT_FIELDS = ("id", "title", "text", "html", "published", "source", "url")


def jsonl_type_error(obj: dict[str, Any]) -> str | None:
    """Why a JSONL record's known fields have the wrong JSON type, or None.

    ``title``, ``text``, ``html``, ``source`` and ``url`` are strings; ``id`` a string or an
    integer; ``published`` a string or a number (Unix seconds). Any of them may be missing or
    null. Unknown fields may hold anything (they are kept in ``extra``).
    """
    for name in JSONL_TEXT_FIELDS:
        value = obj.get(name)
        if value is None or isinstance(value, str):
            continue
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            continue
        if name == "published" and isinstance(value, (int, float)) and not isinstance(value, bool):
            continue
        also = {"id": " or an integer", "published": " or a number (Unix seconds)"}.get(name, "")
        return f"field '{name}' is not a string{also}: got {_json_type(value)}"
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def read_jsonl(path: str, stream: IO[bytes], source: str | None) -> Iterator[Item]:
    """JSONL, one article per line; unknown fields are kept in ``extra``.

    A line that is not a JSON object, a known field of the wrong type (``jsonl_type_error``),
    or any unexpected error while reading one record rejects that record (``FILE:LINE``) and
    the rest of the file is read.
    """
    for lineno, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            items = list(_jsonl_record(path, lineno, raw, source))
        except Exception as exc:  # noqa: BLE001  one bad record must not lose the file
            items = [Reject(path, f"unexpected error reading the record: {type(exc).__name__}: {exc}",
                            line=lineno)]
        yield from items


def _json_problem(exc: Exception, raw: bytes | str) -> str:
    """What is wrong with one JSONL record, placed within the record: the parser's own "line 2
    column 1 (char 40)" counts the record's line ending as a line and reads like a line of the
    file, so a position becomes "at column 40 of the record" or "at the end of the record"."""
    if not isinstance(exc, json.JSONDecodeError):
        return str(exc)
    doc = exc.doc if isinstance(exc.doc, str) else str(exc.doc)
    msg = exc.msg.removesuffix(" at")  # "Invalid control character at": the position follows
    if exc.pos >= len(doc.rstrip("\r\n")):
        return f"{msg} at the end of the record"
    return f"{msg} at column {exc.pos + 1} of the record"


def _jsonl_record(path: str, lineno: int, raw: bytes, source: str | None) -> Iterator[Item]:
    """The Warning_, Reject and Article records of one JSONL line."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        yield Reject(path, f"malformed JSON: {_json_problem(exc, raw)}", line=lineno)
        return
    if not isinstance(obj, dict):
        yield Reject(path, "line is not a JSON object", line=lineno)
        return
    problem = jsonl_type_error(obj)
    if problem:
        yield Reject(path, problem, line=lineno)
        return
    html = obj.get("html")
    text = obj.get("text")
    url = obj.get("url")
    title = obj.get("title") or ""
    meta: dict[str, Any] = {}
    if not (text and text.strip()) and html and html.strip():
        meta = extract_html(html, url)
        text = meta.get("text") or ""
        title = title or meta.get("title") or ""
    if not (text and text.strip()) and title.strip():
        # a brief, or a feed export that keeps headlines only: the headline is what the
        # outlet said, so it is stored (and grouped) with the headline as its text
        yield Warning_(path, "headline only (no 'text' or 'html'): stored with the headline as its text",
                       line=lineno)
        text = title.strip()
    if not (text and text.strip()):
        yield Reject(path, "no 'text' or 'html' with article text, and no headline", line=lineno)
        return
    published = None
    try:
        published = parse_date(obj.get("published") or meta.get("date"))
    except ValueError as exc:
        yield Warning_(path, f"{exc}; stored with the date unknown", line=lineno)
    extra = {k: v for k, v in obj.items() if k not in JSONL_TEXT_FIELDS}
    src = source or obj.get("source") or None
    src = src or (None if domain_of(url) else meta.get("sitename"))
    yield _article(path, lineno, fmt="jsonl", title=title or _first_words(text), text=text,
                   published=published, url=url, source=src, external_id=obj.get("id"), html=html,
                   extra=extra, raw=raw)


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def extract_html(html: str | bytes, url: str | None = None) -> dict[str, Any]:
    """Main text and metadata of an HTML page, via trafilatura."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False)
    if not doc:
        return {}
    doc = doc.as_dict()
    return {k: doc.get(k) for k in ("title", "text", "date", "sitename", "author", "url", "hostname")}


def read_html(path: str, data: bytes, source: str | None, *, url: str | None = None,
              fmt: str = "html", line: int | None = None) -> Iterator[Item]:
    try:
        html, _ = decode(data)
    except ValueError as exc:
        yield Reject(path, str(exc), line=line)
        return
    meta = extract_html(html, url)
    text = meta.get("text") or ""
    if not text.strip():
        yield Reject(path, "no article text found in the HTML page", line=line)
        return
    published = None
    try:
        published = parse_date(meta.get("date"))
    except ValueError as exc:
        yield Warning_(path, f"{exc}; stored with the date unknown", line=line)
    page_url = url or meta.get("url")
    # the URL's domain identifies an outlet the same way across formats; the page's
    # own site name is kept in extra and used only when there is no URL
    src = source or (None if domain_of(page_url) else meta.get("sitename")) or None
    yield _article(path, line, fmt=fmt, title=meta.get("title") or _first_words(text), text=text,
                   published=published, url=page_url, source=src, external_id=None, html=html,
                   extra={"author": meta.get("author"), "site_name": meta.get("sitename")} if meta.get("author") or
                   meta.get("sitename") else {}, raw=data if fmt == "warc" else None)


def read_feed(path: str, data: bytes, source: str | None) -> Iterator[Item]:
    """RSS and Atom feeds (feedparser): each entry becomes an article."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        yield Reject(path, f"unreadable feed: {parsed.get('bozo_exception')}")
        return
    fmt = "atom" if (parsed.version or "").startswith("atom") else "rss"
    feed_title = parsed.feed.get("title") or None
    for n, entry in enumerate(parsed.entries, start=1):
        content = ""
        if entry.get("content"):
            content = entry["content"][0].get("value", "")
        content = content or entry.get("summary", "") or ""
        text = content
        html = None
        if "<" in content and ">" in content:
            html = content
            text = _html_fragment_text(content)
        if not text.strip() and (entry.get("title") or "").strip():
            yield Warning_(path, f"feed entry {n} has a headline only: stored with the headline as its text")
            text = entry["title"].strip()
        if not text.strip():
            yield Reject(path, f"feed entry {n} has no text and no headline", line=None)
            continue
        published = None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            published = dt.datetime(*stamp[:6], tzinfo=dt.timezone.utc).isoformat()
        link = entry.get("link")
        yield _article(path, None, fmt=fmt, title=entry.get("title", "") or _first_words(text), text=text,
                       published=published, url=link, source=source or domain_of(link) or feed_title,
                       external_id=entry.get("id"), html=html, extra={"feed_entry": n}, raw=None)


def _html_fragment_text(fragment: str) -> str:
    """Paragraph text of a small HTML fragment (feed content), one paragraph a line."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", fragment)
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    blocks = root.xpath("//p|//li|//h1|//h2|//h3|//h4|//blockquote")
    if not blocks:
        return root.text_content().strip()
    return "\n\n".join(b.text_content().strip() for b in blocks if b.text_content().strip())


def read_warc(path: str, stream: IO[bytes], source: str | None) -> Iterator[Item]:
    """WARC / WARC.gz (warcio): each HTML response becomes an article."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    n = 0
    try:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            n += 1
            url = record.rec_headers.get_header("WARC-Target-URI")
            ctype = (record.http_headers.get_header("Content-Type") or "") if record.http_headers else ""
            if "html" not in ctype.lower():
                continue
            payload = record.content_stream().read(MAX_ARTICLE_BYTES + 1)
            if len(payload) > MAX_ARTICLE_BYTES:
                yield Reject(path, f"WARC record {n} ({url}) is larger than {MAX_ARTICLE_BYTES} bytes", line=n)
                continue
            if getattr(record.raw_stream, "limit", 0) > 0:  # warcio stops short silently on a cut file
                yield Reject(path, f"truncated WARC: record {n} ({url}) ends before its declared length")
                return
            for item in read_html(path, payload, source, url=url, fmt="warc", line=n):
                if isinstance(item, Article):
                    date = record.rec_headers.get_header("WARC-Date")
                    if not item.published and date:
                        try:
                            item.published = parse_date(date)
                        except ValueError:
                            pass
                yield item
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError) as exc:
        yield Reject(path, f"truncated or corrupt WARC after {n} records: {exc}")


# ------------------------------------------------------------------ dispatch


def read_path(path: Path, source: str | None = None) -> Iterator[Item]:
    """Read one file of any supported format, yielding Article, Warning_ and Reject records."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        yield Reject(name, f"cannot read: {exc.strerror or exc}")
        return
    fmt = detect_format(head, name)
    if fmt == "empty":
        yield Reject(name, "empty file")
        return
    if fmt == "binary":
        yield Reject(name, "binary file, not text, HTML, JSONL, a feed or WARC")
        return
    if fmt == "gzip":
        yield from _read_gzip(path, source)
        return
    if fmt == "warc":
        with open(path, "rb") as fh:
            yield from read_warc(name, fh, source)
        return
    if fmt == "jsonl":
        with open(path, "rb") as fh:
            yield from read_jsonl(name, fh, source)
        return
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        yield Reject(name, f"{size} bytes is too large for one {fmt} article (limit {MAX_ARTICLE_BYTES}); "
                           "split it, or use JSONL for many articles")
        return
    yield from _read_document(name, fmt, path.read_bytes(), source)


def _read_document(name: str, fmt: str, data: bytes, source: str | None) -> Iterator[Item]:
    """One whole document already in memory: a feed, an HTML page or a text article."""
    if fmt == "feed":
        yield from read_feed(name, data, source)
    elif fmt == "html":
        yield from read_html(name, data, source)
    else:
        yield from read_text(name, data, source)


def _gunzip_head(path: Path) -> bytes:
    """The first decompressed bytes of a gzip file, tolerating a cut later in the file."""
    d = zlib.decompressobj(wbits=31)
    out = b""
    with open(path, "rb") as fh:
        while len(out) < SNIFF_BYTES:
            chunk = fh.read(16384)
            if not chunk:
                break
            out += d.decompress(chunk, SNIFF_BYTES - len(out))
            if d.eof:
                break
    return out


def _read_gzip(path: Path, source: str | None) -> Iterator[Item]:
    name = str(path)
    try:
        head = _gunzip_head(path)
    except zlib.error as exc:
        yield Reject(name, f"corrupt gzip: {exc}")
        return
    inner = detect_format(head, name)
    if inner == "warc":
        with open(path, "rb") as fh:  # warcio reads gzip members itself
            yield from read_warc(name, fh, source)
        return
    if inner == "jsonl":
        try:
            with gzip.open(path, "rb") as gz:
                yield from read_jsonl(name, gz, source)
        except (OSError, EOFError, zlib.error) as exc:
            yield Reject(name, f"truncated or corrupt gzip: {exc}")
        return
    try:
        with gzip.open(path, "rb") as gz:
            data = gz.read(MAX_ARTICLE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        yield Reject(name, f"truncated or corrupt gzip: {exc}")
        return
    if len(data) > MAX_ARTICLE_BYTES:
        yield Reject(name, f"more than {MAX_ARTICLE_BYTES} bytes uncompressed: too large for one article")
        return
    if inner in ("empty", "binary"):
        yield Reject(name, f"gzip holds {'nothing' if inner == 'empty' else 'binary data'}")
    else:
        yield from _read_document(name, inner, data, source)


# Files a folder walk passes over: documentation, code and configuration that
# travel with a corpus are not articles. A file named explicitly is always read.
NOT_ARTICLES = {".md", ".rst", ".py", ".sh", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".lock", ".db",
                ".db-wal", ".db-shm", ".pyc", ".sqlite", ".parquet", ".csv"}


def _walkable(f: Path, root: Path) -> bool:
    rel = f.relative_to(root).parts
    if any(part.startswith(".") or part == "__pycache__" for part in rel):
        return False
    name = f.name.lower()
    return not (name.startswith("readme") or name.startswith("license") or
                any(name.endswith(ext) for ext in NOT_ARTICLES))


def iter_files(paths: list[str]) -> Iterator[Path | Reject]:
    """Expand files, folders (recursive) and globs; a missing path is a Reject.

    Folder walks skip hidden files, READMEs, licences and code or config files (NOT_ARTICLES).
    """
    import glob

    seen: set[str] = set()
    for p in paths:
        matches = [Path(m) for m in sorted(glob.glob(p, recursive=True))] if any(c in p for c in "*?[") else [Path(p)]
        if not matches:
            yield Reject(p, "no such file or folder (the pattern matched nothing)")
            continue
        for m in matches:
            if m.is_dir():
                files = sorted(f for f in m.rglob("*") if f.is_file() and _walkable(f, m))
            elif m.exists():
                files = [m]
            else:
                yield Reject(str(m), "no such file or folder")
                continue
            for f in files:
                key = str(f.resolve())
                if key not in seen:
                    seen.add(key)
                    yield f


def open_bytes(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)
