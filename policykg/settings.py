"""The declarative settings table.

Every knob of policykg is one row here: its name, type, safe default and help.
The CLI, the API and the docs are generated from this table (a test checks that
docs/settings.md lists every row). A value comes, in order of precedence, from a
command-line option, the environment variable ``POLICYKG_<NAME>`` or the default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from policykg.errors import PolicyKGError


def _default_store() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "policykg", "store")


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    #: A secret is never printed: hidden from the repr of :class:`Settings` (its field says
    #: ``repr=False``; a test holds the two together) and from error messages about its value.
    secret: bool = False

    @property
    def env(self) -> str:
        return "POLICYKG_" + self.name.upper()


def _bool(value: str) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "store",
        str,
        None,
        "Where the graph lives: a folder for the embedded Oxigraph store "
        "(created on first use) or the http(s) URL of a remote SPARQL endpoint. "
        "Default: $XDG_DATA_HOME/policykg/store.",
    ),
    Setting(
        "remote_update_url",
        str,
        None,
        "SPARQL Update URL of a remote store. Default: derived from the store URL "
        "(`…/query` -> `…/update` for an Oxigraph server; the same URL for Virtuoso `/sparql`; "
        "`…/statements` for GraphDB `/repositories/ID`).",
    ),
    Setting(
        "remote_gsp_url",
        str,
        None,
        "Graph Store Protocol URL of a remote store, used to replace a document's graph in one PUT "
        "and to bulk-upload N-Quads. Default: derived from the store URL (`…/store` for an Oxigraph "
        "server, `/sparql-graph-crud` for Virtuoso, `…/rdf-graphs/service` for GraphDB).",
    ),
    Setting(
        "remote_union",
        str,
        "auto",
        "How a remote store's default graph becomes the union of all document graphs: `param` sends "
        "Oxigraph's `union-default-graph` flag, `server` trusts the server (Virtuoso, GraphDB, Fuseki "
        "with unionDefaultGraph), `auto` picks `param` for Oxigraph-style URLs.",
    ),
    Setting("remote_timeout", float, 60.0, "Seconds to wait for a remote store's answer to one request."),
    Setting(
        "base_iri",
        str,
        "https://w3id.org/policykg/id/",
        "Base of every instance IRI. Change it only before the first ingest: IRIs are identities.",
    ),
    Setting("host", str, "127.0.0.1", "Interface `policykg serve` listens on. Loopback by default."),
    Setting("port", int, 8000, "Port `policykg serve` listens on."),
    Setting(
        "header_timeout",
        float,
        10.0,
        "Seconds a connection may take to send a request's headers, counted from when it opens or "
        "from the end of its last response; past it the server closes the connection (slowloris).",
    ),
    Setting(
        "idle_timeout",
        float,
        5.0,
        "Seconds a kept-alive connection may sit idle between requests before the server closes it.",
    ),
    Setting(
        "max_connections",
        int,
        256,
        "Most client connections `policykg serve` holds open at once; one more is closed at once, "
        "without an answer, so idle sockets cannot use up the server's open files.",
    ),
    Setting(
        "write_timeout",
        float,
        30.0,
        "Seconds a reply may wait for a client that does not read it (the socket's send buffer full); "
        "past it the connection is aborted and the rest of the reply dropped.",
    ),
    Setting(
        "write_token",
        str,
        None,
        "Bearer token that unlocks writes (SPARQL Update, Graph Store Protocol, uploads). "
        "Unset means the server is read-only for everybody.",
        secret=True,
    ),
    Setting("query_timeout", float, 30.0, "Seconds a SPARQL query may run before it is stopped."),
    Setting("max_rows", int, 10000, "Most result rows one query returns; more are cut and flagged as truncated."),
    Setting(
        "max_reply_bytes",
        int,
        64_000_000,
        "Most bytes of one SPARQL reply; the rows past it are cut and the reply flagged as truncated, "
        "like max_rows (a reply that is one giant value comes back empty and truncated).",
    ),
    Setting(
        "query_memory",
        int,
        2_000_000_000,
        "Bytes of memory (heap and anonymous mappings, RLIMIT_DATA) one query worker may use; a query "
        "that needs more is stopped with 503 `query_memory` and its worker replaced. 0 for no limit.",
    ),
    Setting(
        "allow_unisolated_workers",
        _bool,
        False,
        "Serve even where query workers cannot drop their network access (a container whose seccomp "
        "profile forbids unshare). Off: `serve` refuses to start there, because then only the query "
        "guard stands between a public query and the network.",
    ),
    Setting("max_request_bytes", int, 1_000_000, "Largest request body (query or form) the API accepts."),
    Setting("max_upload_bytes", int, 20_000_000, "Largest document upload the API accepts."),
    Setting(
        "max_document_bytes",
        int,
        50_000_000,
        "Largest document `ingest` and `extract` read (a file, an archive member, or a .docx unpacked); "
        "a bigger one is refused by name before it is read.",
    ),
    Setting(
        "max_query_bytes",
        int,
        100_000,
        "Longest SPARQL query (UTF-8 bytes) the public endpoint reads; longer ones get 413 before the "
        "server spends time on them. Updates (token) are bounded by max_request_bytes.",
    ),
    Setting("cors", _bool, True, "Allow cross-origin read-only GET/POST without credentials."),
    Setting(
        "query_workers",
        int,
        2,
        "Worker processes that evaluate public SPARQL queries; a query over the time limit is stopped by "
        "killing its worker.",
    ),
    Setting(
        "query_queue_wait",
        float,
        5.0,
        "Seconds a public SPARQL query may wait for a free query worker; past it the client gets 503 "
        "`server_busy` with Retry-After. Waiting queries hold no server thread, so the JSON API and the "
        "pages answer while every worker is busy.",
    ),
    Setting(
        "max_trace_nodes",
        int,
        2000,
        "Most nodes one trace (`/api/trace`, `policykg trace`) gathers; past it the trace stops, says "
        "`truncated`, and keeps what it found nearest the program.",
    ),
    Setting(
        "upload_timeout",
        float,
        60.0,
        "Seconds the server may spend extracting one uploaded document (`POST /documents`, in a worker "
        "process); past it the worker is killed, the upload refused (422) and nothing stored.",
    ),
    Setting(
        "snapshot_dir",
        str,
        None,
        "Folder for the read-only checkpoints the query workers read. Default: a hidden folder beside "
        "the store (same file system: a checkpoint is hard links and costs about a millisecond); "
        "removed when the server stops.",
    ),
    Setting(
        "programs",
        str,
        None,
        "Program registry files of your own (TOML, as in docs/programs-registry.md), merged over the "
        "bundled registry when documents are read: your programs are recognised in any spelling they list "
        "and get one IRI each. Several files are separated by the path separator (`:`).",
    ),
    Setting(
        "ingest_batch_bytes",
        int,
        16_000_000,
        "N-Quads bytes `ingest` writes in one bulk load (embedded store) or one request (remote store), while "
        "the workers extract the next batch. Bigger is faster; a crash, a full disk or a server that goes "
        "away costs at most two batches, which the next run of the same command redoes.",
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :func:`load_settings`."""

    store: str = field(default_factory=_default_store)
    base_iri: str = "https://w3id.org/policykg/id/"
    remote_update_url: str | None = None
    remote_gsp_url: str | None = None
    remote_union: str = "auto"
    remote_timeout: float = 60.0
    host: str = "127.0.0.1"
    port: int = 8000
    header_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_connections: int = 256
    write_timeout: float = 30.0
    write_token: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log
    query_timeout: float = 30.0
    max_rows: int = 10000
    max_reply_bytes: int = 64_000_000
    query_memory: int = 2_000_000_000
    allow_unisolated_workers: bool = False
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    max_document_bytes: int = 50_000_000
    max_query_bytes: int = 100_000
    cors: bool = True
    query_workers: int = 2
    query_queue_wait: float = 5.0
    max_trace_nodes: int = 2000
    upload_timeout: float = 60.0
    snapshot_dir: str | None = None
    programs: str | None = None
    ingest_batch_bytes: int = 16_000_000

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def store_path(self) -> Path:
        return Path(self.store).expanduser()


_KINDS: dict[Callable[[str], Any], str] = {int: "a whole number", float: "a number"}


def _parse(setting: Setting, raw: str) -> Any:
    """``raw`` as the setting's type, or one readable error naming the variable (and, unless the
    setting is a secret, the value)."""
    try:
        return setting.type(raw)
    except ValueError:
        shown = "(its value)" if setting.secret else repr(raw)
        raise PolicyKGError(
            f"{setting.env}={shown} is not {_KINDS.get(setting.type, 'a valid value')}",
            hint=f"see `{setting.name}` in docs/settings.md",
        ) from None


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, then explicit overrides (None means 'not given')."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.env in env and env[setting.env] != "":
            values[setting.name] = _parse(setting, env[setting.env])
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise KeyError(f"unknown settings: {sorted(unknown)}")
    return Settings(**values)
