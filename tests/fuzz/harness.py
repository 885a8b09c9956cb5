"""The fuzz harness: one world per module, every request in a savepoint that is rolled back, and
what each route accepts (path arguments, query names, form fields, JSON) learned from the access
matrix and from the pages themselves."""

from __future__ import annotations

import io
import json
import os
import re
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Dialect
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from award import PROJECT_ROOT
from award.audit.models import AuditChainHead
from award.models import metadata
from tests.conftest import ModuleWorld
from tests.fuzz import strategies as hs
from tests.fuzz.forms import Field, forms_of

# Query names a view may read; the names of each page's GET forms are added to these.
COMMON_QUERY_NAMES = ("page", "id", "candidate", "actor", "until", "since", "printer", "status", "sector", "q",
                      "next", "restore", "cycle", "number", "kind", "target", "sort", "order", "format", "lang")
# Form names sent to a POST route besides the fields its page shows (or instead, when no page shows one).
COMMON_FORM_NAMES = ("csrf_token", "id", "reason", "next", "version", "confirm", "submit", "name", "email")
DOWNLOAD_SUFFIXES = (".pdf", ".xlsx", ".csv", "/certificates.pdf", "/evidence", "/seal-image")
RAW_BODIES = (
    (b"%zz=%&a=%ff%fe&=&&b", "application/x-www-form-urlencoded"),
    (b"a=" + b"9" * 100_000, "application/x-www-form-urlencoded"),
    (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "multipart/form-data; boundary=x"),
    (b"no boundary at all", "multipart/form-data"),
    (b"\xff\xfe\x00\x00\xc3\x28", "text/plain"),
    (b'{"fields": {}}', "application/json; charset=utf-16"),
    (b"\xef\xbb\xbf{\"version\": 1}", "application/json"),
    (b"", "application/json"),
    (b"<?xml version='1.0'?><a/>", "application/xml"),
)
FILE_CONTENTS = (b"", b"%PDF-1.7\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"\x00" * 1000, "名,邮箱\n=1+1,a@b\n".encode())
# A hostile value must cost a refusal, not minutes of CPU. Measured as this process's CPU time, the
# work done, not the wall clock, which a loaded CI machine stretches (parsers in child processes are
# capped by their own limits).
SLOW_CPU_SECONDS = 20.0


@dataclass
class RouteSpec:
    """What a rule × method accepts, as far as the matrix and the pages show."""

    rule: Rule
    method: str
    valid_args: list[dict[str, str]] = field(default_factory=list)
    valid_queries: list[dict[str, str]] = field(default_factory=list)
    query_names: set[str] = field(default_factory=set)
    fields: dict[str, Field] = field(default_factory=dict)
    reads_json: bool = False

    @property
    def endpoint(self) -> str:
        return self.rule.endpoint

    def add_args(self, args: dict[str, object]) -> None:
        values = {name: str(value) for name, value in args.items()}
        if values not in self.valid_args:
            self.valid_args.append(values)

    def add_query(self, query: str) -> None:
        values = dict(parse_qsl(query, keep_blank_values=True))
        if values and values not in self.valid_queries:
            self.valid_queries.append(values)

    def add_fields(self, fields: dict[str, Field]) -> None:
        for name, new in fields.items():
            known = self.fields.setdefault(name, Field(name, new.kind))
            known.values.extend(v for v in new.values if v not in known.values)


@dataclass(frozen=True)
class Upload:
    """A file field's content; each send gets a fresh stream."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str
    query: str
    body: object = None  # MultiDict for a form, bytes for JSON and raw bodies
    content_type: str | None = None

    def form_data(self) -> object:
        if not isinstance(self.body, MultiDict):
            return self.body
        return MultiDict([(name, (io.BytesIO(v.data), v.filename) if isinstance(v, Upload) else v)
                          for name, v in self.body.items(multi=True)])

    def describe(self) -> str:
        url = self.path + ("?" + self.query if self.query else "")
        text = f"{self.method} {short(url)}"
        if self.body is not None:
            body = list(self.body.items(multi=True)) if isinstance(self.body, MultiDict) else self.body
            text += f" [{self.content_type}] {short(body)}"
        return text


def short(value: object, limit: int = 300) -> str:
    """repr() of a request part, long runs folded so a 100k-character value stays readable."""
    text = repr(value)
    text = re.sub(r"(.)\1{20,}", lambda m: f"{m.group(1)}…×{len(m.group(0))}", text)
    return text if len(text) <= limit else text[:limit] + f"…({len(text)} chars)"


_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def build_path(rule: Rule, args: dict[str, str]) -> str:
    return _ARGUMENT.sub(lambda m: quote(args[m.group(1)], safe=""), rule.rule)


def _where(exc: BaseException) -> str:
    """The innermost frame of the project, and the innermost of all when that is a library's."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/award/" in f.filename and "site-packages" not in f.filename]
    places = [f"{f.filename.split('site-packages/')[-1].replace(str(PROJECT_ROOT) + '/', '')}:{f.lineno}"
              for f in ours[-1:] + frames[-1:]]
    return " → ".join(dict.fromkeys(places))


@dataclass
class Outcome:
    role: str
    status: int
    error: str | None
    seconds: float
    leaked: bool


def _fingerprint_sql(dialect: Dialect) -> tuple[str, str]:
    """The fingerprint's two queries as SQL text, compiled once: building a statement of one count
    per table for each of thousands of requests took a fifth of the fuzz's time."""
    counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in metadata.sorted_tables))
    head = select(AuditChainHead.last_seq, AuditChainHead.last_hash).order_by(AuditChainHead.id)
    return str(counts.compile(dialect=dialect)), str(head.compile(dialect=dialect))


class Fuzzer:
    """The module's app, its world and its logged-in roles; sends one request per savepoint."""

    def __init__(self, world: ModuleWorld, cookies: dict[str, str | None]) -> None:
        self.app, self.connection, self.world, self.cookies = world.app, world.connection, world.objects, cookies
        self._restore_files = world.restore_files
        self._fingerprint_sql = _fingerprint_sql(self.connection.dialect)
        self.baseline = self.fingerprint()
        self.specs: dict[tuple[str, str], RouteSpec] = {}
        for rule in self.app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                self.specs[rule.endpoint, method] = RouteSpec(rule, method)
        self._strategies: dict[tuple[str, str], st.SearchStrategy[FuzzRequest]] = {}
        self.log = os.environ.get("AWARD_FUZZ_LOG")

    # ---------------------------------------------------------------- the database and files

    def fingerprint(self) -> tuple:
        """Row counts of every table and the audit chain head: cheap, and moved by any write we know."""
        counts, head = self._fingerprint_sql
        return (tuple(self.connection.exec_driver_sql(counts).one()),
                tuple(map(tuple, self.connection.exec_driver_sql(head))))

    # ---------------------------------------------------------------- sending

    @contextmanager
    def _rolled_back(self) -> Iterator[None]:
        """A savepoint undone and then released: SQLAlchemy's NestedTransaction.rollback() keeps the
        savepoint open, so thousands of examples would nest thousands deep (on PostgreSQL, until
        the lock table runs out of shared memory)."""
        self.connection.exec_driver_sql("SAVEPOINT fuzz_example")
        try:
            yield
        finally:
            self.connection.exec_driver_sql("ROLLBACK TO SAVEPOINT fuzz_example")
            self.connection.exec_driver_sql("RELEASE SAVEPOINT fuzz_example")

    def send(self, role: str, request: FuzzRequest) -> Outcome:
        with self._rolled_back():
            client = self.app.test_client()
            if self.cookies[role]:
                client.set_cookie("session", self.cookies[role])
            error, status = None, 500
            started = time.process_time()
            try:
                response = client.open(request.path, method=request.method, query_string=request.query,
                                       data=request.form_data(), content_type=request.content_type)
                response.get_data()
                response.close()
                status = response.status_code
            except Exception as exc:  # TESTING propagates a view's exception: that is the 500
                error = f"{type(exc).__name__}: {short(str(exc), 200)} at {_where(exc)}"
            seconds = time.process_time() - started
            leaked = status >= 400 and self.fingerprint() != self.baseline
        if status < 400 and request.method != "GET":
            self._restore_files()
        outcome = Outcome(role, status, error, seconds, leaked)
        if self.log and (status >= 500 or leaked or seconds > SLOW_CPU_SECONDS):
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(json.dumps({"role": role, "request": request.describe(), "status": status,
                                      "error": error, "seconds": round(seconds, 2), "leaked": leaked},
                                     ensure_ascii=False) + "\n")
        return outcome

    def get(self, role: str, url: str):
        """A page as the role sees it (for learning its forms), rolled back like any request."""
        with self._rolled_back():
            client = self.app.test_client()
            if self.cookies[role]:
                client.set_cookie("session", self.cookies[role])
            response = client.get(url)
            response.get_data()
            response.close()
            return response

    # ---------------------------------------------------------------- learning the routes

    def learn_from_matrix(self, routes) -> list[tuple[str, str]]:  # noqa: ANN001
        """Valid arguments per route from the access matrix; returns its GET URLs with the roles
        that open them."""
        adapter = self.app.url_map.bind("localhost")
        pages: dict[str, set[str]] = defaultdict(set)
        for route in routes:
            url = route.path.format(**self.world)
            parts = urlsplit(url)
            endpoint, args = adapter.match(parts.path, method=route.method)
            spec = self.specs[endpoint, route.method]
            spec.add_args(args)
            spec.add_query(parts.query)
            if route.method == "GET" and not parts.path.endswith(DOWNLOAD_SUFFIXES):
                pages[url] |= {role for role, status in route.expect.items() if status == 200}
        return [(url, role) for url, roles in sorted(pages.items()) for role in sorted(roles)]

    def learn_from_page(self, url: str, html: str) -> None:
        """The page's forms: POST fields, GET query names, JSON endpoints named by data-*-url."""
        adapter = self.app.url_map.bind("localhost")
        for form in forms_of(html):
            method = form.method.upper()
            targets = [(urljoin(url, form.action or url), method, False)]
            targets += [(urljoin(url, json_url), "POST", True) for json_url in form.json_urls]
            for target, target_method, reads_json in targets:
                parts = urlsplit(target)
                try:
                    endpoint, args = adapter.match(parts.path, method=target_method)
                except HTTPException:
                    continue
                spec = self.specs.get((endpoint, target_method))
                if spec is None:
                    continue
                spec.add_args(args)
                spec.add_query(parts.query)
                spec.reads_json |= reads_json
                if target_method == "GET":
                    spec.query_names |= set(form.fields)
                    spec.add_query(urlencode({n: f.values[0] for n, f in form.fields.items() if f.values}))
                else:
                    spec.add_fields(form.fields)

    # ---------------------------------------------------------------- what to send

    def requests(self, endpoint: str, method: str) -> st.SearchStrategy[FuzzRequest]:
        key = endpoint, method
        if key not in self._strategies:
            self._strategies[key] = self._requests(self.specs[key])
        return self._strategies[key]

    def _valid_values(self, spec: RouteSpec, name: str) -> list[str]:
        """Values of a path argument that name real objects: this route's own, then every world id
        whose name ends like the argument's (an id of the right kind), then any world id (wrong kind)."""
        values = [args[name] for args in spec.valid_args if name in args]
        values += [str(v) for k, v in self.world.items() if (k == name or k.endswith("_" + name))
                   and isinstance(v, int | str)]
        values += [str(v) for v in self.world.values() if isinstance(v, int)]
        return list(dict.fromkeys(values))

    def _requests(self, spec: RouteSpec) -> st.SearchStrategy[FuzzRequest]:
        text = hs.hostile_text()
        per_arg = {}
        for name, converter in spec.rule._converters.items():
            make = hs.strategy_for(converter)
            assert make is not None, f"{spec.rule.rule}: no strategy for {type(converter).__name__}"
            per_arg[name] = make(self._valid_values(spec, name))
        args = st.fixed_dictionaries(per_arg)
        if spec.valid_args:
            args = st.sampled_from(spec.valid_args) | args
        query = hs.query_args(sorted(set(COMMON_QUERY_NAMES) | spec.query_names), spec.valid_queries)
        if spec.method == "GET":
            body = st.just((None, None))
        else:
            kinds = ["json", "json", "form", "raw"] if spec.reads_json else ["form", "form", "form", "json", "raw"]
            body = st.sampled_from(kinds).flatmap(lambda kind: self._body(spec, kind, text))

        @st.composite
        def request(draw) -> FuzzRequest:
            path = build_path(spec.rule, draw(args))
            payload, content_type = draw(body)
            return FuzzRequest(spec.method, path, urlencode(draw(query)), payload, content_type)

        return request()

    def _body(self, spec: RouteSpec, kind: str, text: st.SearchStrategy[str]) -> st.SearchStrategy:
        if kind == "json":
            return hs.json_bodies(list(spec.fields)).map(
                lambda body: (body.encode(), "application/json"))
        if kind == "raw":
            return st.sampled_from(RAW_BODIES)
        return _form_body(spec.fields, text)


def _field_values(field_: Field, text: st.SearchStrategy[str]) -> st.SearchStrategy[list]:
    """No value (missing), the page's value, a hostile one, or the name twice."""
    if field_.kind == "file":
        one = st.builds(Upload, st.sampled_from(FILE_CONTENTS), text.map(lambda name: name[:200] or "f"))
    else:
        one = st.sampled_from(field_.values) | text if field_.values else text
    return st.one_of(st.just([]), one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=2))


def _form_body(fields: dict[str, Field], text: st.SearchStrategy[str]) -> st.SearchStrategy:
    known = st.fixed_dictionaries({name: _field_values(f, text) for name, f in fields.items()})
    extra = st.lists(st.tuples(st.sampled_from(COMMON_FORM_NAMES), text), max_size=2)

    def build(parts) -> tuple[MultiDict, str | None]:
        values, more = parts
        pairs = [(name, value) for name, chosen in values.items() for value in chosen] + more
        return MultiDict(pairs), None  # the test client picks multipart when a file is in it

    return st.tuples(known, extra).map(build)
