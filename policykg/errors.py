"""Errors a user can cause and act on.

Everything the CLI and the API report to a person derives from ``PolicyKGError``:
the CLI prints ``message`` without a traceback and exits non-zero, the API turns
it into the one JSON error envelope with ``http_status``.
"""

from __future__ import annotations


class PolicyKGError(Exception):
    """A failure caused by input or configuration, with a message for people."""

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(PolicyKGError):
    """A document that cannot be read: empty, binary, undecodable, unsupported."""

    code = "bad_input"
    http_status = 422


class QueryError(PolicyKGError):
    """A SPARQL query or update that is malformed or not allowed."""

    code = "bad_query"


class ForbiddenQueryError(QueryError):
    """A query that would reach outside the store (SERVICE, LOAD, FROM <url>)."""

    code = "forbidden_query"
    http_status = 400


class QueryTooComplex(QueryError):
    """A query or update nested so deeply (or so long) that parsing it could crash the process
    that parses it: refused before it can, or reported after it crashed a killable worker."""

    code = "query_too_complex"
    http_status = 400


class QueryTimeoutError(QueryError):
    code = "query_timeout"
    http_status = 503


class QueryMemoryError(QueryError):
    """A query that needed more memory than its worker may take (``query_memory``): the worker
    is replaced, the server is untouched."""

    code = "query_memory"
    http_status = 503


class StoreError(PolicyKGError):
    """The store cannot be opened or written (locked, wrong path, remote down)."""

    code = "store_error"
    http_status = 503


class NotFoundError(PolicyKGError):
    code = "not_found"
    http_status = 404


class AuthError(PolicyKGError):
    """A write without the right bearer token (401: the right token would be let in)."""

    code = "unauthorized"
    http_status = 401


class WritesDisabled(PolicyKGError):
    """A write to a server started without a write token (403: no token can help)."""

    code = "writes_disabled"
    http_status = 403


class BadEncoding(PolicyKGError):
    """A request whose bytes are not what they claim to be: not UTF-8, broken percent-encoding."""

    code = "bad_encoding"
    http_status = 400


class NotAcceptable(PolicyKGError):
    """No representation fits the request's Accept header."""

    code = "not_acceptable"
    http_status = 406


class UnsupportedMediaType(PolicyKGError):
    """The request body's media type or charset is not one the endpoint reads."""

    code = "unsupported_media_type"
    http_status = 415


class TooLarge(PolicyKGError):
    """The request body is over the size cap."""

    code = "request_too_large"
    http_status = 413


class IsolationUnavailable(StoreError):
    """Query workers cannot drop their network access here, and the operator did not allow that."""

    code = "isolation_unavailable"


class StoreUnavailableError(StoreError):
    """The store refuses every write or stopped answering: server gone, disk full, read-only.

    No document is to blame, so an ingest stops at once with this one message instead of
    reporting every remaining document as failed.
    """

    code = "store_unavailable"


class StoreTimeoutError(StoreUnavailableError):
    """A remote store did not answer within ``remote_timeout``: told apart so a query runner can
    report it as a query that ran out of time rather than a store that is gone."""


class UploadTimeout(InputError):
    """An upload whose extraction outlived ``upload_timeout``: stopped, nothing stored. 422, not
    503: the same bytes would take as long again."""

    code = "upload_timeout"


class UploadBusy(PolicyKGError):
    """Every upload worker stayed busy for ``upload_timeout``: try again later."""

    code = "server_busy"
    http_status = 503


class QueryBusy(PolicyKGError):
    """Every query worker stayed busy for the whole wait: 503 ``server_busy``, with the seconds
    until a worker surely comes free (the earliest running query's deadline) as ``retry_after``."""

    code = "server_busy"
    http_status = 503

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class RegistryError(PolicyKGError):
    """A program registry file (bundled or a user's ``--programs`` file) that cannot be used:
    bad TOML, an entry without id, name or sources, a duplicate id, a spelling claimed by two
    programs, a link to an id that does not exist, a cycle. The message names file and entry."""

    code = "bad_registry"


class MissingExtraError(PolicyKGError):
    """A feature whose optional packages are not installed (``pip install 'policykg[tables]'``)."""

    code = "not_installed"
    http_status = 501
