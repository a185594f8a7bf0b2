"""A fake OpenAlex API on loopback, serving the bundled sample snapshot.

It is a real HTTP server (``pytest_httpserver.HTTPServer`` on ``127.0.0.1`` and a
free port, threaded), so anything that speaks HTTP can use it: an in-process
client, the ``pipeline`` command in a subprocess, or an Airflow worker in another
process. Fetching a sample author through it yields the same records as the
snapshot (the newest record of each work).

Usage::

    from fakes.openalex_api import FakeOpenAlexAPI   # tests/ is on pytest's pythonpath

    with FakeOpenAlexAPI() as api:                      # or api = FakeOpenAlexAPI(); api.start(); ...; api.stop()
        env = {"OPENALEX_BASE_URL": api.base_url, "OPENALEX_API_KEY": "test-key"}
        api.fail("429", path="/works", times=1, retry_after=0.01)   # inject faults, one-shot
        ...run the pipeline with `--source openalex-api:authors=A5020000002` and env...
        assert api.requests_to("/works")                 # what was asked

Served:

- ``GET /authors/{id}`` and ``GET /authors/orcid:{orcid}``: the author record; a merged
  id (``api.merge(old, new)``, plus the snapshot's merged_ids) answers ``301`` with
  ``Location: /authors/{new}``; an unknown id answers ``404``.
- ``GET /works/{id}``: the whole work.
- ``GET /works?filter=author.id:A…[,from_updated_date:YYYY-MM-DD]&cursor=…&per_page=…&select=…``:
  cursor paging (``cursor=*`` first, ``meta.next_cursor`` null on the last page);
  works with more than ``api.truncate_authors_over`` authorships come back with their
  list cut and ``is_authors_truncated: true`` (as OpenAlex lists do).

Rate limits: every response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-RateLimit-Credits-Used`` and ``X-RateLimit-Reset``. A list request costs
``list_cost`` credits (singletons are free); when ``credits_remaining`` is below the
cost the answer is ``429`` with ``X-RateLimit-Remaining: 0`` (daily credits exhausted).

Faults (``api.fail(kind, path=prefix, times=n, ...)``, consumed in order):
``"429"`` (with ``Retry-After``), ``"credits"`` (exhausted), ``"403"``, ``"500"``,
``"timeout"`` (answers after ``delay`` seconds), ``"truncated"`` (the body cut in half),
``"404"``, ``"400"``, and ``"pass"`` (answer normally: lets a later fault hit the n-th request).
``api.update_work(work_id, **fields)`` changes a work (for
incremental runs); ``api.requests`` logs every request as ``(path, args)``, with the
``api_key`` value replaced by ``"<key>"`` (``api.received_keys`` holds the values).
"""

from __future__ import annotations

import base64
import copy
import csv
import gzip
import io
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

SAMPLE_SNAPSHOT = Path(__file__).resolve().parents[2] / "pipeline" / "sample_data" / "openalex"
PREFIX = "https://openalex.org/"


def _short(value: str | None) -> str:
    return (value or "").removeprefix(PREFIX).upper()


@dataclass
class Fault:
    kind: str
    path: str
    times: int
    retry_after: float
    delay: float


def load_snapshot(root: Path) -> tuple[dict[str, dict], dict[str, dict], dict[str, str]]:
    """(authors by id, works by id (newest record), merged author ids) of a snapshot folder."""
    authors: dict[str, dict] = {}
    works: dict[str, dict] = {}
    for part in sorted((root / "data" / "authors").glob("updated_date=*/part_*.gz")):
        for line in gzip.open(part, "rt", encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                authors[_short(record["id"])] = record
    for part in sorted((root / "data" / "works").glob("updated_date=*/part_*.gz")):
        for line in gzip.open(part, "rt", encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                key = _short(record["id"])
                if key not in works or (record.get("updated_date") or "") >= (works[key].get("updated_date") or ""):
                    works[key] = record
    merged: dict[str, str] = {}
    for part in sorted((root / "data" / "merged_ids" / "authors").glob("*.csv.gz")):
        for row in csv.DictReader(io.StringIO(gzip.decompress(part.read_bytes()).decode())):
            merged[row["id"].upper()] = row["merge_into_id"].upper()
    return authors, works, merged


class FakeOpenAlexAPI:
    """See the module docstring."""

    def __init__(
        self,
        snapshot: Path = SAMPLE_SNAPSHOT,
        *,
        credits: int = 100_000,
        list_cost: int = 1,
        truncate_authors_over: int = 100,
        host: str = "127.0.0.1",
        port: int = 0,
        clock=datetime.now,
    ) -> None:
        self.clock = clock  # the Date header's clock (fixed when generating reproducible replays)
        self.authors, self.works, self.merged = load_snapshot(Path(snapshot))
        self.credits_limit = credits
        self.credits_remaining = credits
        self.list_cost = list_cost
        self.truncate_authors_over = truncate_authors_over
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.received_keys: set[str] = set()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.server = HTTPServer(host=host, port=port, threaded=True)
        self.server.no_handler_status_code = 404
        self.server.expect_request(re.compile(r"^/.*")).respond_with_handler(self._handle)

    # lifecycle ----------------------------------------------------------------
    def start(self) -> FakeOpenAlexAPI:
        if not self.server.is_running():
            # werkzeug logs every request line, query string (and so the api_key) included
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            self.server.start()
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.clear_log()
            self.server.stop()

    def __enter__(self) -> FakeOpenAlexAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash): set it as ``OPENALEX_BASE_URL``."""
        return self.server.url_for("/").rstrip("/")

    # scripting ----------------------------------------------------------------
    def fail(
        self, kind: str, *, path: str = "/", times: int = 1, retry_after: float = 0.01, delay: float = 1.0
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path`` with fault ``kind``."""
        with self._lock:
            self._faults.append(Fault(kind, path, times, retry_after, delay))

    def merge(self, old_id: str, new_id: str) -> None:
        self.merged[old_id.upper()] = new_id.upper()

    def update_work(self, work_id: str, **fields: Any) -> None:
        self.works[_short(work_id)].update(fields)

    def add_work(self, record: dict) -> None:
        self.works[_short(record["id"])] = record

    def requests_to(self, path_prefix: str) -> list[tuple[str, dict[str, str]]]:
        return [r for r in self.requests if r[0].startswith(path_prefix)]

    # serving ------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _handle(self, request: Request) -> Response:
        args = dict(request.args)
        key = args.get("api_key")
        if key is not None:
            self.received_keys.add(key)
            args["api_key"] = "<key>"
        path = request.path
        self.requests.append((path, args))
        cost = self.list_cost if path.rstrip("/") in ("/works", "/authors") else 0
        fault = self._take_fault(path)
        if fault is not None and fault.kind == "credits":
            self.credits_remaining = 0
        if cost and self.credits_remaining < cost:
            return self._json({"error": "Rate limit exceeded", "message": "daily credits exhausted"}, 429, cost=0)
        if fault is not None and fault.kind != "timeout":
            if fault.kind == "429":
                return self._json({"error": "Too Many Requests"}, 429, extra={"Retry-After": f"{fault.retry_after:g}"})
            if fault.kind in ("403", "500", "404", "400"):
                return self._json({"error": f"injected {fault.kind}"}, int(fault.kind))
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.delay)
        response = self._route(path, request, cost)
        if fault is not None and fault.kind == "truncated":
            body = response.get_data()
            response.set_data(body[: len(body) // 2])
        # The test server closes every connection after its answer; saying so keeps the client from
        # reusing one whose close it has not seen yet (a race that showed up as one retry too many).
        response.headers["Connection"] = "close"
        return response

    def _route(self, path: str, request: Request, cost: int) -> Response:
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["authors"] and len(parts) == 2:
            return self._author(parts[1], request, cost)
        if parts[:1] == ["works"] and len(parts) == 2:
            work = self.works.get(_short(parts[1]))
            if work is None:
                return self._json({"error": "Not Found", "message": f"Work {parts[1]} not found"}, 404, cost=cost)
            return self._json(work, 200, cost=cost)
        if parts == ["works"]:
            return self._works_page(request, cost)
        return self._json({"error": "Not Found"}, 404, cost=cost)

    def _author(self, ident: str, request: Request, cost: int) -> Response:
        if ident.lower().startswith("orcid:"):
            orcid = ident.split(":", 1)[1]
            found = [a for a in self.authors.values() if (a.get("orcid") or "").endswith(orcid)]
            if not found:
                return self._json({"error": "Not Found", "message": f"no author with ORCID {orcid}"}, 404, cost=cost)
            return self._json(found[0], 200, cost=cost)
        author_id = _short(ident)
        if author_id in self.merged:
            query = request.query_string.decode()
            location = f"/authors/{self.merged[author_id]}" + (f"?{query}" if query else "")
            return self._json({}, 301, cost=cost, extra={"Location": location}, body=b"")
        author = self.authors.get(author_id)
        if author is None:
            return self._json({"error": "Not Found", "message": f"Author {ident} not found"}, 404, cost=cost)
        return self._json(author, 200, cost=cost)

    def _works_page(self, request: Request, cost: int) -> Response:
        filters = {}
        for clause in (request.args.get("filter") or "").split(","):
            name, _, value = clause.partition(":")
            if name:
                filters[name] = value
        author_id = _short(filters.get("author.id") or filters.get("authorships.author.id"))
        if not author_id:
            return self._json({"error": "Invalid query", "message": "filter author.id is required"}, 400, cost=cost)
        since = filters.get("from_updated_date")
        matching = [
            w
            for w in sorted(self.works.values(), key=lambda w: _short(w["id"]))
            if any(_short(a["author"].get("id")) in (author_id, self._alias(author_id)) for a in w["authorships"])
            or any(self.merged.get(_short(a["author"].get("id"))) == author_id for a in w["authorships"])
        ]
        if since:
            matching = [w for w in matching if (w.get("updated_date") or "")[: len(since)] >= since]
        per_page = min(int(request.args.get("per_page", 25)), 200)
        cursor = request.args.get("cursor")
        if cursor is None:
            return self._json({"error": "use cursor paging in this fake"}, 400, cost=cost)
        offset = 0 if cursor == "*" else int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])
        page = [self._listed(w, request.args.get("select")) for w in matching[offset : offset + per_page]]
        following = offset + per_page
        next_cursor = (
            base64.urlsafe_b64encode(f"offset:{following}".encode()).decode() if following < len(matching) else None
        )
        meta = {"count": len(matching), "db_response_time_ms": 3, "page": None, "per_page": per_page}
        meta["next_cursor"] = next_cursor
        meta["groups_count"] = None
        return self._json({"meta": meta, "results": page, "group_by": []}, 200, cost=cost)

    def _alias(self, author_id: str) -> str:
        return self.merged.get(author_id, author_id)

    def _listed(self, work: dict, select: str | None) -> dict:
        record = copy.deepcopy(work)
        if len(record.get("authorships") or []) > self.truncate_authors_over:
            record["authorships"] = record["authorships"][: self.truncate_authors_over]
            record["is_authors_truncated"] = True
        else:
            record.setdefault("is_authors_truncated", False)
        if select:
            fields = [f.strip() for f in select.split(",") if f.strip()]
            record = {f: record[f] for f in fields if f in record}
        return record

    def _json(
        self,
        document: Any,
        status: int,
        *,
        cost: int = 0,
        extra: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        if status < 400 and cost:
            self.credits_remaining -= cost
        headers = {
            "X-RateLimit-Limit": str(self.credits_limit),
            "X-RateLimit-Remaining": str(max(self.credits_remaining, 0)),
            "X-RateLimit-Credits-Used": str(cost if status < 400 else 0),
            "X-RateLimit-Reset": "3600",
            "Date": self.clock().strftime("%a, %d %b %Y %H:%M:%S GMT"),
            **(extra or {}),
        }
        data = body if body is not None else json.dumps(document).encode()
        return Response(data, status=status, headers=headers, content_type="application/json")
