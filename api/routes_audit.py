"""The audit package over HTTP: ``GET /api/v1/communities/{slug}/exports/{period}`` (auditor,
supervisor) answers the same zip as ``commons export``, and puts the export in the audit trail;
``?with_documents=true`` is ``--with-documents`` (the documents' files in ``documents/``).

The zip is written to a temporary file (never held whole in memory) and streamed from it; the
file is removed once the response is sent.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import BooksDep, Member, Role, require_role
from ledger.period import parse_period

router = APIRouter(prefix="/api/v1/communities/{slug}", tags=["audit"])

AuditorDep = Annotated[Member, Depends(require_role(Role.AUDITOR, Role.SUPERVISOR))]


@router.get(
    "/exports/{period}",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the audit package"}},
)
def get_export(
    slug: str,
    period: str,
    books: BooksDep,
    member: AuditorDep,
    with_documents: Annotated[
        bool,
        Query(description="also put the files of documents.csv in the zip (documents/)"),
    ] = False,
) -> FileResponse:
    """The audit package of ``period`` (``2025``, ``2025Q1`` or ``2025-01-01..2025-06-30``):
    journal, general ledger, trial balance, statements, registers, schedules, events, the
    beancount stretch with its rules file, the workbook and the manifest (see ``commons
    verify-export``); with ``with_documents=true``, the documents' files too."""
    from audit.export import export, record_export  # openpyxl: imported on first export

    parsed = parse_period(period)
    with tempfile.NamedTemporaryFile(prefix="commons-export-", suffix=".zip", delete=False) as tmp:
        try:
            manifest = export(
                books=books, slug=slug, period=parsed, out=tmp, with_documents=with_documents
            )
        except BaseException:
            os.unlink(tmp.name)
            raise
    record_export(books, slug, manifest, actor=member.username, address=member.address)
    return FileResponse(
        tmp.name,
        media_type="application/zip",
        filename=f"{slug}-{parsed.slug}.zip",
        background=BackgroundTask(os.unlink, tmp.name),
    )
