"""The JSON API for people and the network view: typed, paginated, read through the typed read API
(:mod:`policykg.graph.documents`, :mod:`~policykg.graph.tasks` … one module per kind of resource).

Uploads (``POST /documents``) are :mod:`policykg.api.uploads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from policykg.api.pools import api_thread
from policykg.errors import PolicyKGError
from policykg.graph import neighbourhood, resources
from policykg.graph.compare import Comparison, compare
from policykg.graph.divisions import DivisionDetail, get_division
from policykg.graph.documents import DocumentInfo, DocumentText, Outline, get_document, list_documents, outline
from policykg.graph.documents import document_text as text_of_document
from policykg.graph.fact_tables import MEDIA_TYPES, TABLE_FORMATS, fact_table, table_bytes
from policykg.graph.iris import IriScheme
from policykg.graph.plan_diff import PlanDiff, diff
from policykg.graph.programs import ProgramDetail, get_program_named
from policykg.graph.read import Page, Ref
from policykg.graph.search import LabelHit, search_labels
from policykg.graph.store import read_consistently
from policykg.graph.targets import TargetInfo, find_targets
from policykg.graph.tasks import TaskDetail, get_task, list_tasks
from policykg.graph.timeline import Timeline, timeline

router = APIRouter(prefix="/api", tags=["api"])

Offset = Annotated[int, Query(ge=0, description="Items to skip")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]


def _iris(request: Request) -> IriScheme:
    return IriScheme(request.app.state.settings.base_iri)


def _store(request: Request):
    return request.app.state.store


@router.get("/documents", response_model=Page[DocumentInfo], summary="List the documents")
async def documents(request: Request, offset: Offset = 0, limit: Limit = 50):
    return await api_thread(list_documents, _store(request), offset=offset, limit=limit)


@router.get("/documents/{doc_id}", response_model=DocumentInfo, summary="One document")
async def document(request: Request, doc_id: str):
    return await api_thread(get_document, _store(request), _iris(request).document(doc_id))


@router.get("/documents/{doc_id}/outline", response_model=Outline, summary="Sections and tasks of a document")
async def document_outline(request: Request, doc_id: str):
    return await api_thread(outline, _store(request), _iris(request).document(doc_id))


@router.get(
    "/documents/{doc_id}/text", response_model=DocumentText, summary="The document's text with the spans read from it"
)
async def document_text(request: Request, doc_id: str, offset: Offset = 0, limit: Limit = 500):
    return await api_thread(
        text_of_document, _store(request), _iris(request).document(doc_id), offset=offset, limit=limit
    )


@router.get("/tasks", response_model=Page[Ref], summary="List tasks, by document or by what they mention")
async def tasks(
    request: Request, document: str | None = None, mentioning: str | None = None, offset: Offset = 0, limit: Limit = 100
):
    return await api_thread(
        list_tasks, _store(request), document=document, mentioning=mentioning, offset=offset, limit=limit
    )


@router.get("/tasks/{doc_id}/{ordinal}", response_model=TaskDetail, summary="One task with its targets")
async def task(request: Request, doc_id: str, ordinal: int):
    return await api_thread(get_task, _store(request), _iris(request).task(doc_id, ordinal))


@router.get("/programs", response_model=list[LabelHit], summary="Find programs by name or short name")
async def programs(request: Request, q_: Annotated[str, Query(alias="q", min_length=1)], limit: Limit = 20):
    return await api_thread(search_labels, _store(request), q_, ["Program"], limit)


# ``:path`` because a program's name is free text and may hold "/" (``</script>计划``): the
# server decodes %2F before routing, so a plain ``{name}`` segment could never match it. No
# other route lies under /api/programs/. Document ids need no such care: they are file stems
# (an upload keeps only the last path part), which hold no "/".
@router.get(
    "/programs/{name:path}",
    response_model=ProgramDetail,
    summary="One program: its parts, the tasks that mention it, their targets and divisions",
)
async def program(request: Request, name: str):
    return await api_thread(get_program_named, _store(request), name, _iris(request).program(name))


@router.get(
    "/divisions/{code}",
    response_model=DivisionDetail,
    summary="One administrative division by its 6-digit code, with everything scoped to it",
)
async def division(request: Request, code: str):
    if not (len(code) == 6 and code.isdigit()):
        raise PolicyKGError("a division code has 6 digits (GB/T 2260)")
    return await api_thread(get_division, _store(request), code)


@router.get("/targets", response_model=Page[TargetInfo], summary="Filter targets")
async def targets(
    request: Request,
    indicator: str | None = Query(None, description="indicator IRI or label text"),
    division: str | None = Query(None, description="division IRI or 6-digit code (includes divisions within it)"),
    comparator: str | None = Query(
        None, description="AtLeast, AtMost, Exactly, Approximately, Between, IncreaseBy, DecreaseBy"
    ),
    document: str | None = Query(None, description="document IRI"),
    min_value: float | None = None,
    max_value: float | None = None,
    offset: Offset = 0,
    limit: Limit = 100,
):
    return await api_thread(
        find_targets,
        _store(request),
        indicator=indicator,
        division=division,
        comparator=comparator,
        document=document,
        min_value=min_value,
        max_value=max_value,
        offset=offset,
        limit=limit,
    )


@router.get("/search", response_model=list[LabelHit], summary="Search Chinese names and short names")
async def search(
    request: Request,
    q_: Annotated[str, Query(alias="q", min_length=1)],
    kind: Annotated[list[str] | None, Query(description="class local names, e.g. Program")] = None,
    limit: Limit = 20,
):
    return await api_thread(search_labels, _store(request), q_, kind, limit)


@dataclass(frozen=True)
class Neighbourhood:
    node: resources.NodeInfo
    neighbours: list[neighbourhood.Neighbour]


@router.get("/neighbours", response_model=Neighbourhood, summary="Neighbours of any node (for the network view)")
async def neighbours(request: Request, iri: str, limit: Limit = 200, provenance: bool = False):
    store = _store(request)

    def run() -> Neighbourhood:
        return Neighbourhood(
            resources.node_info(store, iri), neighbourhood.neighbours(store, iri, limit, provenance=provenance)
        )

    # Two typed reads, one reply: both see one state of the store (never a node's label from one
    # version of its document beside the neighbours of another).
    return await api_thread(read_consistently, store, run)


@router.get("/resource", response_model=resources.Resource, summary="Everything about one node")
async def resource(request: Request, iri: str):
    return await api_thread(resources.describe, _store(request), iri)


@router.get("/overview", response_model=resources.StoreOverview, summary="What is in the store")
async def overview(request: Request):
    return await api_thread(resources.overview, _store(request))


def _table_file(store, name: str, fmt: str) -> bytes:
    return table_bytes(fact_table(store, name), fmt)


@router.get(
    "/tables/{name}",
    summary="One tidy table of the store (CSV, JSON, Parquet or Excel)",
    responses={200: {"content": {MEDIA_TYPES[f]: {} for f in TABLE_FORMATS}}},
)
async def tables(
    request: Request,
    name: str,
    fmt: Annotated[str, Query(alias="format", pattern="^(" + "|".join(TABLE_FORMATS) + ")$")] = "csv",
):
    """``name`` is one of the tables of docs/tables.md (an unknown one is 404)."""
    data = await api_thread(_table_file, _store(request), name, fmt)
    return Response(
        data, media_type=MEDIA_TYPES[fmt], headers={"content-disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@router.get("/compare", response_model=Comparison, summary="One indicator across documents, places and years")
async def compare_indicator(
    request: Request,
    indicator: Annotated[str, Query(min_length=1, max_length=500, description="label, any spelling, or IRI")],
    place: Annotated[str | None, Query(max_length=500, description="division name, code or IRI")] = None,
    year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2200)] = None,
    year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2200)] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=5000, description="Targets per page")] = 500,
):
    return await api_thread(
        compare,
        _store(request),
        indicator,
        place=place,
        year_from=year_from,
        year_to=year_to,
        offset=offset,
        limit=limit,
    )


@router.get(
    "/timeline", response_model=Timeline, summary="A program through time: documents by year and place, lineage"
)
async def program_timeline(
    request: Request,
    program: Annotated[str, Query(min_length=1, max_length=500, description="label, short name or IRI")],
):
    return await api_thread(timeline, _store(request), program)


@router.get("/diff", response_model=PlanDiff, summary="What changed between two plans")
async def plan_diff(
    request: Request,
    a: Annotated[str, Query(min_length=1, max_length=2000, description="the earlier document: id, title or IRI")],
    b: Annotated[str, Query(min_length=1, max_length=2000, description="the later document")],
):
    return await api_thread(diff, _store(request), a, b)
