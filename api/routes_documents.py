"""Documents over HTTP: invoices, receipts, contracts, minutes and ballots behind the entries.

``POST /api/v1/communities/{slug}/documents`` (multipart: ``file``, optional ``entry``,
``contract`` and ``resolution``) stores a PDF or image (checked by its content:
:mod:`rules.documents`) once per SHA-256 and links it; the treasurer uploads the evidence of
entries and the signed contracts, an admin or an approver that of resolutions. ``GET
.../documents`` lists them (``?entry=``, ``?contract=``: only those behind it) and ``GET
.../documents/{sha256}`` serves one to members only, as an attachment in a sandbox (never
rendered in the service's origin). Uploads have a body limit of their own (``api.upload_limit``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from api.deps import BooksDep, Member, Role, require_role
from api.errors import ERRORS
from rules import documents
from rules.documents import DocumentListed, DocumentOut

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["documents"])

MemberDep = Annotated[Member, Depends(require_role())]
UploaderDep = Annotated[Member, Depends(require_role(Role.TREASURER, Role.APPROVER, Role.ADMIN))]


@router.post(
    "/documents",
    status_code=201,
    responses={
        200: {"model": DocumentOut, "description": "Already stored (same SHA-256)"},
        **ERRORS,
    },
    summary="Upload a document (PDF, PNG, JPEG, WebP), linked to an entry, contract or resolution",
)
def upload(
    slug: str,
    books: BooksDep,
    member: UploaderDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="the document; its type is read from its content")
    ],
    entry: Annotated[str | None, Form(max_length=36)] = None,
    resolution: Annotated[str | None, Form(max_length=40)] = None,
    contract: Annotated[
        str | None, Form(max_length=40, description="the number of the contract it backs")
    ] = None,
) -> DocumentOut:
    body = file.file.read(documents.MAX_BYTES + 1)
    out, created = documents.add(
        books=books,
        slug=member.slug,
        body=body,
        name=file.filename or "",
        actor=member.username,
        entry=entry or None,
        resolution=resolution or None,
        contract=contract or None,
        address=member.address,
    )
    response.status_code = 201 if created else 200
    return out


@router.get("/documents", responses=ERRORS, summary="The documents, with what each backs")
def list_documents(
    slug: str,
    books: BooksDep,
    member: MemberDep,
    entry: Annotated[str | None, Query(max_length=36)] = None,
    contract: Annotated[str | None, Query(max_length=40)] = None,
) -> list[DocumentListed]:
    return documents.listed(books=books, slug=member.slug, entry=entry, contract=contract)


def disposition(name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/documents/{sha256}",
    responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
    response_class=Response,
    summary="Download a document (members)",
)
def download(slug: str, sha256: str, books: BooksDep, member: MemberDep) -> Response:
    out, body = documents.get(books=books, slug=member.slug, sha256=sha256)
    return Response(
        content=body,
        media_type=out.type,
        headers={
            "Content-Disposition": disposition(out.name),
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )
