"""The SPARQL guard against Oxigraph itself: one reading, checked by running both.

``policykg.graph.sparql_guard`` reads a query as Oxigraph 0.5's parser does and hands on a
canonical text built from its tokens; the endpoint runs that text, never the client's.

**Differential fuzz** (:func:`test_the_guard_refuses_every_text_that_makes_oxigraph_call_out`):
a seeded generator (``random.Random(SEED)``: the same 1 400 texts every run, a few seconds on
two cores) writes queries and updates that hide SERVICE and LOAD in every way we know — a
keyword glued to a prefixed name (``SERVICE:x``, ``LOADex:y``, ``SERVICESILENT<…>``), a ``<``
that compares (``FILTER(?a<?b)SERVICE:x#>``), ``\\u`` escapes in, around and instead of strings,
IRIs and keywords (``"\\u0022"``, ``"\\u005C"``, ``\\u0053ERVICE``), long strings and their
quotes, comments, newlines, case, ``#`` inside IRIs, ``<=`` and ``<<`` quoted triples, prefixes
named like keywords (``PREFIX SERVICEx:`` beside ``PREFIX x:``), ``$`` variables, nested groups,
OPTIONAL, MINUS, UNION, GRAPH, EXISTS, subqueries, VALUES, property paths, BASE and relative
IRIs, SILENT, ``SERVICE ?var`` bound by VALUES or BIND, LOAD … INTO GRAPH, updates chained
with ``;`` — all pointed at a loopback listener that answers every HTTP request with an empty
result and records its path (each text names its own path, ``/t<n>/``). Each text is run by
pyoxigraph in a worker process (killed after a few seconds if it hangs), as the client sent
it, and, if the guard let it through, as the guard's canonical text. For every text:

(a) if Oxigraph, reading the text the client sent, made the listener see a request, the guard
    refused it (400: ``QueryError``; never any other exception);
(b) if the guard let it through, its canonical text made no request, and where the original
    ran, the canonical text ran too with the same results;
(c) the test has teeth: at least a third of the texts do call out when run unguarded, and
    every family of hiding places does at least once.

**Equivalence** (:func:`test_canonical_text_means_what_the_client_wrote`): the canonical text
of benign queries gives the results the original gives — the W3C SPARQL 1.0/1.1/1.2 query and
update files (``tests/data/w3c/sparql/queries.json``, 1 307 texts, positive and negative
syntax tests), generated queries with comparisons, collections, paths, VALUES and escaped
strings, and the queries the project ships (``docs/queries/*.rq``, the query page's examples,
the README's, the benchmark's) over the sample's graph. The guard refuses nothing Oxigraph
accepts except SERVICE and LOAD, and the canonical text is a fixed point.
"""

from __future__ import annotations

import json
import queue
import random
import re
import select
import socket
import subprocess
import sys
import threading
import time

import pyoxigraph as ox
import pytest

from policykg.errors import ForbiddenQueryError, QueryError
from policykg.graph.sparql_guard import guard_query, guard_update, inspect
from policykg.ontology import PREFIXES
from support.common import DATA, REPO

SEED = 20260514
#: The base IRI the endpoint gives queries (its own URL); the guard and Oxigraph get the same.
BASE = "http://127.0.0.1:9/sparql"
#: Seconds a worker may take over one text before it is killed and replaced.
JOB_TIMEOUT = 10.0

# -- the web: a listener that answers and records --------------------------------------------------


class Web:
    """A loopback HTTP listener standing in for the web: it answers any request with an empty SPARQL
    JSON result (or an empty Turtle document, for LOAD), so a SERVICE call or a LOAD returns at
    once, and records the path of every request (and every connection that sent none)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.paths: list[str] = []
        self.silent = 0
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            parts = head.split(" ", 2)
            with self._lock:
                if len(parts) >= 2:
                    self.paths.append(parts[1])
                else:
                    self.silent += 1
            if "sparql-results" in head.lower():
                ctype, body = "application/sparql-results+json", b'{"head":{"vars":[]},"results":{"bindings":[]}}'
            else:
                ctype, body = "text/turtle", b""
            try:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: "
                    + ctype.encode()
                    + b"\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n\r\n"
                    + body
                )
            except OSError:
                pass

    def seen(self, marker: str) -> bool:
        with self._lock:
            return any(p.startswith(marker) for p in self.paths)

    def close(self) -> None:
        self._stop = True
        self.sock.close()


# -- pyoxigraph in worker processes -----------------------------------------------------------------

#: What the store holds while a text runs: enough for patterns to match, so a SERVICE inside
#: OPTIONAL, MINUS, EXISTS or GRAPH is really evaluated.
DATASET = """
@prefix ex: <http://example.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:p 1, 2, "x", "y"@en, "2020-01-01"^^xsd:date, ex:b ; ex:q ex:c ; ex:r (1 2 "three") ;
     foaf:name "Alice" ; foaf:knows ex:b .
ex:b ex:p 3, -4.5, "z\\"q" ; ex:q "z" ; foaf:name "Bob"@en ; foaf:knows ex:c .
ex:c ex:p ex:a ; ex:q 4.5e0 ; foaf:name "Chloé" .
<urn:x:s> <urn:x:p> 1, "a" .
<http://example.org/g1> { ex:a ex:p 10 . ex:d ex:q ex:e . <urn:x:s> <urn:x:p> 2 }
"""

_WORKER = r"""
import json, re, sys
import pyoxigraph as ox
DATA = sys.argv[1].encode()
PREFIXES = json.loads(sys.argv[2])

def norm(value):
    return re.sub(r"_:[0-9A-Za-z]+", "_:b", str(value))

for line in sys.stdin:
    job = json.loads(line)
    store = ox.Store()
    store.load(DATA, format=ox.RdfFormat.TRIG)
    kwargs = {"base_iri": job["base"]}
    if job["prefixes"]:
        kwargs["prefixes"] = PREFIXES
    try:
        if job["update"]:
            store.update(job["text"], **kwargs)
            out = ["ok", sorted(norm(q) for q in store)]
        else:
            r = store.query(job["text"], use_default_graph_as_union=True, **kwargs)
            if isinstance(r, ox.QueryBoolean):
                out = ["ok", bool(r)]
            elif isinstance(r, ox.QuerySolutions):
                names = r.variables
                out = ["ok", sorted(json.dumps([norm(s[v]) for v in names]) for s in r)]
            else:
                out = ["ok", sorted(norm(t) for t in r)]
    except SyntaxError as exc:
        out = ["syntax", str(exc)[:300]]
    except Exception as exc:
        out = ["error", type(exc).__name__ + ": " + str(exc)[:300]]
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


class Oxigraph:
    """One pyoxigraph worker process: texts in, outcomes out; killed and replaced if it hangs."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, DATASET, json.dumps(PREFIXES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def run(self, text: str, *, update: bool, prefixes: bool) -> list:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        self.proc.stdin.write(json.dumps({"text": text, "update": update, "prefixes": prefixes, "base": BASE}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], JOB_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            return ["timeout" if not ready else "crash", ""]
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


def run_all(jobs: list[tuple], workers: int = 2) -> list:
    """``(text, update, prefixes)`` jobs through ``workers`` processes; outcomes in order."""
    out: list = [None] * len(jobs)
    todo: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        todo.put((i, job))

    def drive() -> None:
        ox_ = Oxigraph()
        try:
            while True:
                try:
                    i, (text, update, prefixes) = todo.get_nowait()
                except queue.Empty:
                    return
                out[i] = ox_.run(text, update=update, prefixes=prefixes)
        finally:
            ox_.close()

    threads = [threading.Thread(target=drive) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A worker that died or hung (a machine short of memory) says nothing about the text: once more,
    # alone, in a fresh worker.
    again = [i for i, o in enumerate(out) if o[0] in ("crash", "timeout")]
    if again:
        ox_ = Oxigraph()
        try:
            for i in again:
                text, update, prefixes = jobs[i]
                out[i] = ox_.run(text, update=update, prefixes=prefixes)
        finally:
            ox_.close()
    return out


def guard(text: str, update: bool):
    """What the endpoint does first: the guard's Inspection, or the QueryError it raised (any
    other exception fails the test: it would be a 500)."""
    try:
        if update:
            return guard_update(text, default_prefixes=PREFIXES, base_iri=BASE)
        return guard_query(text, graph_exists=lambda g: False, default_prefixes=PREFIXES, base_iri=BASE)
    except QueryError as exc:
        return exc


# -- the generator ---------------------------------------------------------------------------------


def _case(r: random.Random, word: str) -> str:
    pick = r.random()
    if pick < 0.5:
        return word
    if pick < 0.7:
        return word.lower()
    return "".join(c.upper() if r.random() < 0.5 else c.lower() for c in word)


def _gap(r: random.Random) -> str:
    """What may stand between two tokens."""
    return r.choice([" ", " ", " ", "\n", "\t", "  ", " # a comment \" ' < {\n", "#\n", "\r\n"])


def _u(r: random.Random, s: str) -> str:
    """``s`` with some characters written as \\u / \\U escapes."""
    out = []
    for c in s:
        pick = r.random()
        out.append(f"\\u{ord(c):04X}" if pick < 0.15 else f"\\U{ord(c):08X}" if pick < 0.2 else c)
    return "".join(out)


class Hostile:
    """One generated text: ``text``, ``update``, the family of hiding place it tries, and the path
    prefix its outward requests carry (``/t<n>/``)."""

    def __init__(self, n: int, port: int, r: random.Random) -> None:
        self.n = n
        self.marker = f"/t{n}/"
        self.url = f"http://127.0.0.1:{port}{self.marker}"
        self.r = r
        self.prologue: list[str] = []
        self.families: set[str] = set()
        self.update = False
        self.text = ""

    # the outward IRI, in one of its spellings; returns (tokens before the pattern, the target)
    def target(self) -> tuple[str, str, str]:
        r = self.r
        kind = r.choice(
            ["iri", "iri", "u-iri", "pname", "pname", "empty-pname", "relative", "var-values", "var-bind", "dollar"]
        )
        if kind == "iri":
            return "", f"<{self.url}x>", "iri"
        if kind == "u-iri":
            self.families.add("u-escape in an IRI")
            return "", f"<{_u(r, self.url)}x>", "iri"
        if kind == "pname":
            name = r.choice(["ex", "x", "svc", "a1", "é"])
            self.prologue.append(f"PREFIX {name}: <{self.url}>")
            return "", f"{name}:x", "pname"
        if kind == "empty-pname":
            self.prologue.append(f"PREFIX : <{self.url}>")
            return "", ":x" + r.choice(["", ".ttl", "\\.ttl", "-1"]), "empty-pname"
        if kind == "relative":
            self.prologue.append(f"BASE <{self.url}>")
            return "", r.choice(["<x>", "<>", "<./x#y>", "<?q=1>"]), "iri"
        var = r.choice(["?svc", "$svc"]) if kind != "dollar" else "$svc"
        if kind == "var-values":
            return f"VALUES {var} {{ <{self.url}> }} ", var, "var"
        return f'?s ?p ?o . BIND(IRI("{self.url}") AS {var}) ', var, "var"

    def keyword(self, word: str, target_kind: str) -> str:
        """SERVICE / LOAD as written: case, SILENT, and what separates it from its target."""
        r = self.r
        pick = r.random()
        silent = r.random() < 0.25
        if pick < 0.08:
            self.families.add("u-escape in a keyword")
            spelled = _u(r, word)
            if "\\" not in spelled:
                spelled = f"\\u{ord(word[0]):04X}" + word[1:]
            return spelled + (" SILENT" if silent else "") + " "
        if pick < 0.38 and target_kind in ("pname", "empty-pname", "iri", "var"):
            self.families.add("keyword glued to its target")
            if target_kind == "empty-pname":
                self.families.add("keyword glued to a prefixed name")
            return _case(r, word) + (_case(r, "SILENT") if silent else "")
        return _case(r, word) + (_gap(r) + _case(r, "SILENT") if silent else "") + _gap(r)

    def hider(self) -> tuple[str, str]:
        """Something before the outward pattern that a reader could misread, and what goes after the
        pattern to complete the trap (a comment holding a quote, a newline after ``#>`` …)."""
        r = self.r
        pick = r.randrange(16)
        if pick == 0:
            return "", ""
        if pick == 1:
            self.families.add("\\u0022 opens no string")
            return 'BIND("\\u0022" AS ?h) ', ' # "'
        if pick == 2:
            self.families.add("\\u0022 opens no string")
            return "BIND('\\u0027' AS ?h) ", " # '"
        if pick == 3:
            self.families.add("\\u005C escapes nothing")
            return 'BIND("\\u005C" AS ?h) ', ' # "'
        if pick == 4:
            self.families.add("less-than")
            op = r.choice(["<", "<", "<=", " < ", "<\n"])
            left = r.choice(["?a", "1", "STR(?a)", '"a"', "?a+1", "(?a)", "<urn:x:a>"])
            right = r.choice(["?b", "2", '"b"', "?b)&&(?c", "-1"])
            return f"?a ?p ?b FILTER({left}{op}{right})", "#>\n"
        if pick == 5:
            self.families.add("long strings")
            return r.choice(
                [
                    "BIND('''it''s''' AS ?h) ",
                    'BIND("""a ""quoted"" b""" AS ?h) ',
                    "BIND('''''' AS ?h) ",
                    'BIND("""\\"""" AS ?h) ',
                ]
            ), r.choice(["", " # '''", ' # """'])
        if pick == 6:
            self.families.add("comments")
            return r.choice(['# " } SERVICE\n', "#<\n", "# ''' \n"]), ""
        if pick == 7:
            self.families.add("# inside an IRI")
            return "OPTIONAL { ?s <http://example.org/#x> ?o } ", r.choice(["", "#>"]) + "\n"
        if pick == 8:
            self.families.add("quoted triples")
            return "OPTIONAL { ?s ?p << <urn:x:a> <urn:x:b> <urn:x:c> >> } ", ""
        if pick == 9:
            self.families.add("values and paths")
            return r.choice(
                [
                    'VALUES ?z { 1 "a<b" <urn:x:z> } ',
                    "?s <urn:x:p>/<urn:x:p>? ?o . ",
                    "?s (<urn:x:p>|^<urn:x:q>)* ?o . ",
                    "?s !(<urn:x:q>) ?o . ",
                ]
            ), ""
        if pick == 10:
            self.families.add("\\u in and around strings")
            return r.choice(
                [
                    'BIND("\\u005C\\u0022" AS ?h) ',
                    'BIND("a\\u0022b" AS ?h) ',
                    "BIND('\\u0027\\u0027\\u0027' AS ?h) ",
                    'BIND("\\"" AS ?h) ',
                ]
            ), r.choice([' # "', " # '", ""])
        if pick == 11:
            self.families.add("less-than")
            return "FILTER(?a<?b)", r.choice(["#>\n", "#>\r\n", " "])
        if pick == 12:
            self.families.add("expressions")
            return r.choice(
                [
                    "FILTER(<urn:x:f>(?a)<?b) ",
                    "BIND(?a<<<(<urn:x:a> <urn:x:b> <urn:x:c>)>> AS ?t) ",
                    "FILTER(?a IN (<urn:x:a>, 2)) ",
                    "FILTER(?x NOT IN (1)) ",
                ]
            ), r.choice(["", "#>\n"])
        if pick == 13:
            self.families.add("strings holding the keyword")
            return f'BIND("SERVICE <{self.url}> {{ }}" AS ?h) ', ""
        if pick == 14:
            self.families.add("dollar variables")
            return "$s $p $o . ", ""
        return "?s ?p ?o . ", ""

    def wrap(self, pattern: str) -> str:
        r = self.r
        pick = r.randrange(10)
        if pick == 0:
            self.families.add("OPTIONAL")
            return f"?s ?p ?o OPTIONAL {{ {pattern} }}"
        if pick == 1:
            self.families.add("MINUS")
            return f"?s ?p ?o MINUS {{ {pattern} }}"
        if pick == 2:
            self.families.add("UNION")
            return f"{{ ?s ?p ?o }} UNION {{ {pattern} }}"
        if pick == 3:
            self.families.add("EXISTS")
            return f"?s ?p ?o FILTER {r.choice(['', 'NOT '])}EXISTS {{ {pattern} }}"
        if pick == 4:
            self.families.add("subquery")
            return f"{{ SELECT * WHERE {{ {pattern} }} }}"
        if pick == 5:
            self.families.add("nested groups")
            depth = r.randint(1, 4)
            return "{ " * depth + pattern + " }" * depth
        if pick == 6:
            self.families.add("GRAPH")
            return f"GRAPH ?g {{ {pattern} }}"
        return pattern

    def service_query(self) -> None:
        r = self.r
        before, target, kind = self.target()
        kw = self.keyword("SERVICE", kind)
        hide, after = self.hider()
        # after a glued keyword, the target follows directly (SERVICE:x, SERVICE<…>, SERVICE?svc)
        pattern = f"{before}{hide}{kw}{target}{after}{{ ?s ?p ?o }}"
        body = self.wrap(pattern)
        form = r.choice(["SELECT *", "SELECT ?s", "ASK", "CONSTRUCT { ?s ?p ?o }", "DESCRIBE ?s", "select distinct *"])
        where = r.choice(["WHERE ", "", "where\n"]) if not form.startswith("ASK") else r.choice(["", "WHERE "])
        self.text = f"{' '.join(self.prologue)}{_gap(self.r)}{form} {where}{{ {body} }}"
        if after.startswith(" #"):
            self.text += "\n"

    def keyword_prefix_query(self) -> None:
        """``PREFIX SERVICEx: …`` beside ``PREFIX x: <web>``: ``SERVICEx:y`` is a prefixed name to one
        reader and SERVICE then ``x:y`` to another (Oxigraph backtracks into that reading when the
        triple pattern fails)."""
        r = self.r
        self.families.add("prefix named like a keyword")
        rest = r.choice(["x", "ex", "", "SILENTx", "silent"])
        head = _case(r, "SERVICE") + rest
        target = rest[6:] if rest.upper().startswith("SILENT") else rest
        self.prologue.append(f"PREFIX {target}: <{self.url}>")
        if r.random() < 0.7:
            self.prologue.insert(r.randrange(2), f"PREFIX {head}: <urn:x:>")
        self.text = f"{' '.join(self.prologue)} SELECT * {{ {head}:y {{ ?s ?p ?o }} }}"

    def load_update(self) -> None:
        r = self.r
        self.update = True
        before, target, kind = self.target()
        if kind == "var":  # LOAD takes no variable
            target, kind = f"<{self.url}x.ttl>", "iri"
        kw = self.keyword("LOAD", kind)
        into = r.choice(["", "", " INTO GRAPH <urn:x:g>", " into graph <urn:x:g>", " INTO GRAPH <urn:x:g> "])
        op = f"{kw}{target}{into}"
        pick = r.randrange(6)
        if pick == 0:
            self.families.add("\\u0022 chains an update")
            ops = f'INSERT DATA {{ <urn:x:a> <urn:x:b> "\\u0022" }} ; {op} # "\n'
        elif pick == 1:
            self.families.add("\\u0022 chains an update")
            ops = (
                f'INSERT DATA {{ <urn:x:a> <urn:x:note> "x\\u0022 }} ; {op} ; INSERT DATA {{ <urn:x:a> '
                f'<urn:x:b> \\u0022y" }}'
            )
        elif pick == 2:
            ops = f"CLEAR SILENT GRAPH <urn:x:none> ;{_gap(r)}{op}"
        elif pick == 3:
            self.families.add("\\u005C escapes nothing")
            ops = f'INSERT DATA {{ <urn:x:a> <urn:x:b> "\\u005C" }} ; {op} # "\n'
        else:
            ops = op
        self.text = f"{' '.join(self.prologue)}{_gap(r)}{ops}"

    def service_update(self) -> None:
        self.update = True
        before, target, kind = self.target()
        kw = self.keyword("SERVICE", kind)
        hide, after = self.hider()
        pattern = f"{before}{hide}{kw}{target}{after}{{ ?s ?p ?o }}"
        self.text = (
            f"{' '.join(self.prologue)} INSERT {{ GRAPH <urn:x:g> {{ ?s ?p ?o }} }} WHERE {{ {self.wrap(pattern)} }}\n"
        )

    def decoy(self) -> None:
        """The words, but not the keywords: inside strings, IRIs, comments, names. Refused or not,
        the canonical text must never call out."""
        r = self.r
        self.families.add("decoys")
        self.update = r.random() < 0.3
        inner = r.choice(
            [
                f'"SERVICE <{self.url}> {{ }}"',
                f"'''LOAD <{self.url}>'''",
                f'"\\u0022 SERVICE <{self.url}> {{ }} \\u0022"',
                f"<{self.url}SERVICE>",
                f'"""a"" SERVICE <{self.url}> {{}}"""',
                f"'x\\u0027 LOAD <{self.url}> \\u0027'",
            ]
        )
        if self.update:
            self.text = f"INSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:a> <urn:x:b> {inner} }} }} # LOAD <{self.url}>\n"
        else:
            self.text = (
                f"SELECT ?service WHERE {{ ?service <urn:x:p> ?load . FILTER(?load != {inner}) }}"
                f" # SERVICE <{self.url}>\n"
            )

    def build(self) -> Hostile:
        pick = self.r.random()
        if pick < 0.55:
            self.service_query()
        elif pick < 0.65:
            self.keyword_prefix_query()
        elif pick < 0.82:
            self.load_update()
        elif pick < 0.92:
            self.service_update()
        else:
            self.decoy()
        return self


#: The known differentials, written out: each must be among the texts, and each calls out.
KNOWN = [
    ("keyword glued to a prefixed name", False, "PREFIX : <{url}> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}"),
    ("keyword glued to a prefixed name", True, "PREFIX : <{url}> LOAD:x.ttl"),
    ("less-than", False, "PREFIX : <{url}> SELECT * {{ FILTER(?a<?b)SERVICE:x#>\n{{ ?s ?p ?o }} }}"),
    ("\\u0022 opens no string", False, 'SELECT * {{ BIND("\\u0022" AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }} # "'),
    ("\\u0022 chains an update", True, 'INSERT DATA {{ <urn:x:a> <urn:x:b> "\\u0022" }} ; LOAD <{url}x.ttl> # "'),
]

COUNT = 1400


def hostile_texts(port: int) -> list[Hostile]:
    r = random.Random(SEED)
    texts = [Hostile(n, port, r).build() for n in range(COUNT)]
    for family, update, template in KNOWN:
        h = Hostile(len(texts), port, r)
        h.text, h.update, h.families = template.format(url=h.url), update, {family, "known"}
        texts.append(h)
    return texts


# -- the differential fuzz test --------------------------------------------------------------------


@pytest.fixture(scope="module")
def web():
    listener = Web()
    yield listener
    listener.close()


def test_the_guard_refuses_every_text_that_makes_oxigraph_call_out(web):
    started = time.monotonic()
    texts = hostile_texts(web.port)
    verdicts = [guard(h.text, h.update) for h in texts]
    # (a) the text as the client sent it, as the endpoint ran it before: with the default prefixes
    originals = run_all([(h.text, h.update, True) for h in texts])
    called = [h for h in texts if web.seen(h.marker)]
    called_n = {h.n for h in called}
    # (b) the canonical text of what the guard let through, as the endpoint runs it now
    accepted = [(h, v) for h, v in zip(texts, verdicts, strict=True) if not isinstance(v, QueryError)]
    canonicals = run_all([(v.text, h.update, h.update) for h, v in accepted])

    failures = []
    for h in called:
        v = verdicts[h.n]
        if not isinstance(v, QueryError):
            failures.append(
                f"(a) Oxigraph called out but the guard let it through:\n{h.text!r}\n  canonical: {v.text!r}"
            )
    for (h, v), canon in zip(accepted, canonicals, strict=True):
        if web.seen(h.marker) and h.n not in called_n:
            failures.append(f"(b) the canonical text called out:\n{h.text!r}\n  canonical: {v.text!r}")
        orig = originals[h.n]
        if orig[0] == "ok" and canon != orig:
            failures.append(
                f"(b) the canonical text means something else:\n{h.text!r}\n  canonical: {v.text!r}\n"
                f"  original: {orig}\n  canonical gave: {canon}"
            )
    assert not failures, f"{len(failures)} failures; the first five:\n" + "\n\n".join(failures[:5])
    unattributed = [p for p in web.paths if not re.match(r"/t\d+/", p)]
    assert not unattributed and not web.silent, (unattributed, web.silent)

    # (c) teeth: a third call out unguarded, every family does, the known five each do
    assert len(called) >= COUNT // 3, f"only {len(called)} of {len(texts)} texts call out unguarded"
    families = {f for h in texts for f in h.families}
    calling = {f for h in called for f in h.families}
    quiet = families - calling - {"decoys", "strings holding the keyword", "u-escape in a keyword"}
    assert not quiet, f"no text of these families calls out: {quiet}"
    for h in texts[COUNT:]:
        assert h.n in called_n, f"a known differential no longer calls out in pyoxigraph: {h.text!r}"
        assert isinstance(verdicts[h.n], QueryError)
    # a refusal is a 400 the client can read, never another exception (guard() lets those through)
    assert all(isinstance(v, QueryError) or hasattr(v, "text") for v in verdicts)
    assert time.monotonic() - started < 120
    print(
        f"{len(texts)} texts, {len(called)} call out unguarded, {len(accepted)} let through, "
        f"{time.monotonic() - started:.1f} s"
    )


def test_a_refused_outward_text_is_refused_as_forbidden_where_it_names_the_keyword(web):
    """SERVICE and LOAD are 400 ``forbidden_query`` (not a bare syntax error) however they are
    written: glued, \\u-spelled, behind a string or a comparison, or in a prefixed name."""
    for h in hostile_texts(web.port)[COUNT:]:
        v = guard(h.text, h.update)
        if "FROM" not in h.text:
            assert isinstance(v, ForbiddenQueryError), (h.text, v)


# -- equivalence: the canonical text means what the client wrote -----------------------------------


def _w3c_texts() -> list[tuple[str, str, bool]]:
    doc = json.loads((DATA / "w3c" / "sparql" / "queries.json").read_text(encoding="utf-8"))
    return [(path, text, path.endswith(".ru")) for path, text in doc["files"].items()]


def _benign(r: random.Random) -> str:
    """A generated benign query: comparisons glued and spaced, collections, paths, VALUES, strings
    with every escape, numbers with signs, comments in odd places. (A closure path starts from a
    bound node: `?a (ex:p|^ex:q)* ?b` with both ends free now and then crashed pyoxigraph's worker,
    for the client's text as for the canonical one, which made this test fail one run in three.)"""

    def term() -> str:
        return r.choice(
            [
                "?a",
                "?b",
                "1",
                "-2",
                "+3",
                "4.5",
                ".5",
                "1e3",
                "-1.5E-2",
                '"x"',
                "'y'@en",
                '"z"^^xsd:string',
                "ex:a",
                "<http://example.org/b>",
                "<http\\u003A//example.org/c>",
                "true",
                "STR(?a)",
                'STRLEN("a\\tb")',
                '"\\u0041\\U0001F600\\n"',
                "'''it''s'''",
                '"""a ""b"" c"""',
                "(?a)",
                "COALESCE(?x, 1)",
                'CONCAT("a","b")',
                "ex:n\\.1",
                "ex:%41",
                "$b",
            ]
        )

    def expr(depth: int = 0) -> str:
        if depth > 2 or r.random() < 0.4:
            return term()
        op = r.choice(["<", "<=", ">", ">=", "=", "!=", "&&", "||", "+", "-", "*", "/"])
        sp = r.choice(["", " ", "\n", " #c\n"])
        return f"{expr(depth + 1)}{sp}{op}{sp}{expr(depth + 1)}"

    parts = []
    for _ in range(r.randint(1, 4)):
        parts.append(
            r.choice(
                [
                    "?a ex:p ?b .",
                    "?a ex:p ?b FILTER(" + expr() + ")",
                    "BIND(" + expr() + " AS ?c" + str(r.randrange(99)) + ")",
                    '?a ex:r (1 2 "three") .',
                    "?a ex:r ( ?x ?y ?z ) .",
                    "?a ex:p/ex:q? ?b .",
                    "ex:a (ex:p|^ex:q)* ?b .",
                    "?a !(ex:q|^ex:p) ?b .",
                    'VALUES (?a ?b) { (ex:a 1) (UNDEF "x") (<http://example.org/b> -4.5) }',
                    '?a foaf:name ?n FILTER(LANGMATCHES(LANG(?n), "en") || ?n < "B")',
                    "OPTIONAL { ?a ex:q ?q FILTER(?q<=4.5) }",
                    "FILTER EXISTS { ?a ex:p ?b FILTER(?b<2) }",
                    "{ SELECT ?a (COUNT(*) AS ?k) WHERE { ?a ex:p ?v } "
                    "GROUP BY ?a HAVING(COUNT(*)<9) ORDER BY DESC(?k) }",
                    '?a ex:p ?b . FILTER(?b IN (1, 2, "x"))',
                    "?a a ?t .",
                    "GRAPH ?g { ?a ex:p ?b }",
                    "BIND(<<(ex:a ex:p 1)>> AS ?tt)",
                    "?a ex:p ?b # a comment with < and \" and '\n",
                ]
            )
        )
    head = r.choice(
        [
            "SELECT *",
            "SELECT DISTINCT ?a ?b",
            "ASK",
            "CONSTRUCT { ?a ex:p ?b }",
            "SELECT (COUNT(*) AS ?n)",
            'SELECT ?a (?b<2 AS ?small) (GROUP_CONCAT(STR(?b);SEPARATOR="<") AS ?all)',
        ]
    )
    tail = ""
    if head.startswith("SELECT ?a (?b"):
        tail = " GROUP BY ?a ?b"
    elif head.startswith("SELECT *") and r.random() < 0.4:
        # No LIMIT or OFFSET: without a total order they pick a different slice from one run to
        # the next (results are compared sorted), and the test would fail now and then.
        tail = r.choice([" ORDER BY ?a", " ORDER BY DESC(STR(?a)) ?b", " ORDER BY ?b ?a"])
    prologue = "PREFIX ex: <http://example.org/> PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
    if r.random() < 0.3:
        prologue = "BASE <http://example.org/> " + prologue.replace("<http://example.org/>", "<>")
    return f"{prologue}{head} WHERE {{ {' '.join(parts)} }}{tail}"


def _shipped_queries() -> list[tuple[str, str]]:
    """The queries the project ships: docs/queries/*.rq, the query page's examples, the README's
    and the benchmark's."""
    from policykg.api.pages import EXAMPLES

    out = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((REPO / "docs" / "queries").glob("*.rq"))]
    out += [(f"pages: {title}", text) for title, _, text in EXAMPLES]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    out += [(f"README #{i}", m) for i, m in enumerate(re.findall(r"```sparql\n(.*?)```", readme, re.S))]
    bench = (REPO / "benchmarks" / "bench_api.py").read_text(encoding="utf-8")
    prologue = re.search(r'PROLOGUE = """(.*?)"""', bench, re.S).group(1)
    queries = re.search(r"QUERIES = \{(.*?)\n\}", bench, re.S).group(1)
    out += [(f"bench: {name}", prologue + text) for name, text in re.findall(r'"([^"]+)": """(.*?)"""', queries, re.S)]
    assert len(out) >= 10, out
    return out


def test_canonical_text_means_what_the_client_wrote():
    w3c = _w3c_texts()
    assert len(w3c) > 1200
    r = random.Random(SEED)
    generated = [(f"generated #{i}", _benign(r), False) for i in range(400)]
    cases = [
        (name, text, update) for name, text, update in w3c + generated if not re.search(r"service|load", text, re.I)
    ]  # those would go to the web
    verdicts = []
    for name, text, _ in cases:
        try:
            verdicts.append(inspect(text, base_iri=BASE))
        except QueryError as exc:
            verdicts.append(exc)
        except Exception as exc:  # would be a 500
            pytest.fail(f"{name}: the guard raised {exc!r}")
    jobs = [(text, update, False) for _, text, update in cases]
    jobs += [
        (v.text, update, False)
        for (_, _, update), v in zip(cases, verdicts, strict=True)
        if not isinstance(v, QueryError)
    ]
    outcomes = run_all(jobs)
    originals, canon_iter = outcomes[: len(cases)], iter(outcomes[len(cases) :])
    failures = []
    accepted = 0
    for (name, text, _), v, orig in zip(cases, verdicts, originals, strict=True):
        if isinstance(v, QueryError):
            if orig[0] == "ok":
                failures.append(f"{name}: Oxigraph runs it but the guard refused it: {v}")
            continue
        accepted += 1
        canon = next(canon_iter)
        if inspect(v.text, base_iri=BASE).text != v.text:
            failures.append(f"{name}: the canonical text is no fixed point: {v.text!r}")
        if (orig[0] == "ok") != (canon[0] == "ok") or (orig[0] == "ok" and orig != canon):
            failures.append(
                f"{name}:\n{text}\n  canonical: {v.text}\n  original gave {str(orig)[:300]}\n"
                f"  canonical gave {str(canon)[:300]}"
            )
    assert not failures, f"{len(failures)} failures; the first five:\n" + "\n\n".join(failures[:5])
    assert accepted > 1200
    assert sum(o[0] == "ok" for o in originals) > 1100  # most run, so results were compared


def test_the_queries_the_project_ships_give_the_same_results_canonical(sample_store_path, tmp_path):
    """Over the sample's real graph, with the endpoint's default prefixes for the original (as it
    ran before) and none for the canonical text (as it runs now)."""
    import shutil

    copy = tmp_path / "store"
    shutil.copytree(sample_store_path, copy)
    store = ox.Store.read_only(str(copy))
    for name, text in _shipped_queries():
        info = guard_query(text, graph_exists=lambda g: True, default_prefixes=PREFIXES, base_iri=BASE)
        orig = store.query(text, prefixes=PREFIXES, base_iri=BASE, use_default_graph_as_union=True)
        canon = store.query(info.text, base_iri=BASE, use_default_graph_as_union=True)
        if isinstance(orig, ox.QuerySolutions):
            a = sorted(str(list(s)) for s in orig)
            b = sorted(str(list(s)) for s in canon)
        else:
            a, b = (
                sorted(map(str, orig)) if not isinstance(orig, ox.QueryBoolean) else bool(orig),
                sorted(map(str, canon)) if not isinstance(canon, ox.QueryBoolean) else bool(canon),
            )
        assert a == b, (name, info.text)
    # defence in depth: a prefixed name that reached the runner unexpanded would be a syntax error
    with pytest.raises(SyntaxError):
        store.query("SELECT * WHERE { ?t a pkg:Task }", base_iri=BASE)
