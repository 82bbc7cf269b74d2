"""The demo's documents: an invoice, receipt or transfer slip behind every entry at or over the
approval threshold, a scan of each 2026 contract and the minutes of each resolution.

The demo's rules say ``require_document_for_approval = true``, so a payment at or over the
threshold is approved only once its document is uploaded: :func:`post` posts an entry as the
treasurer, uploads its document (before the approval when it waits for one) and has the chair
approve it. The documents are small one-page PDFs made here from what they back (the same
bytes on every build) that pass :func:`rules.documents.sniff` (a PDF with no script) like any
upload: they go in through :func:`rules.documents.add`, the path of ``commons documents add``.

The text uses the PDF reader's own Chinese font (STSong-Light, Adobe-GB1, not embedded), so a
page costs a few hundred bytes.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from ledger import journal
from ledger.books import Books
from ledger.models import Document
from ledger.money import fmt
from ledger.schemas import TransactionIn, TransactionOut
from rules import documents, ruleset

#: What the document behind an entry of each kind is called.
TITLES = {
    "opening": "银行存款余额证明",
    "income": "收款收据",
    "cost": "发票",
    "reserve": "专项维修资金缴存回单",
    "subsidy": "补贴物业费支付审批单",
    "upgrade": "发票",
    "dividend": "分红发放明细表",
}
_FONT = (
    b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
    b"/DescendantFonts [6 0 R] >>",
    b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
    b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R "
    b"/DW 1000 /W [1 95 500] >>",
    b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
    b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
)


def pdf(lines: list[str]) -> bytes:
    """A one-page A5 (landscape) PDF showing ``lines``, the first as its title: the same bytes
    for the same lines. Characters outside the Basic Multilingual Plane are not used."""
    text = [b"BT /F1 16 Tf 40 370 Td"]
    for index, line in enumerate(lines):
        if index == 1:
            text.append(b"/F1 11 Tf 0 -34 Td")
        elif index > 1:
            text.append(b"0 -20 Td")
        text.append(b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj")
    text.append(b"ET")
    content = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 420] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        *_FONT,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _community(books: Books, slug: str) -> str:
    with Session(books.engine) as session:
        return books.community(session, slug).name


def attach_to_entry(books: Books, slug: str, entry: TransactionOut, actor: str) -> None:
    """Upload the document behind ``entry`` (its kind's title, the community, the date, the
    counterparty, what it is for and the amount) and link it to the entry."""
    from api.demo import TREASURER

    title = TITLES.get(entry.kind, "凭证")
    amount = sum((p.amount for p in entry.postings if p.amount > 0), Decimal("0.00"))
    lines = [
        title,
        f"单位: {_community(books, slug)}",
        f"日期: {entry.date}",
        f"对方: {entry.payee or '-'}",
        f"摘要: {entry.narration}",
        f"金额: 人民币 {fmt(amount)} 元",
    ]
    documents.add(
        books=books,
        slug=slug,
        body=pdf(lines),
        name=f"{title}-{entry.date}-{amount}.pdf",
        actor=actor or TREASURER,
        entry=entry.id,
        project=False,  # build_demo rewrites the projection once, at the end
    )


def needs_document(books: Books, slug: str, entry: TransactionOut) -> bool:
    """Whether ``entry`` is at or over the approval threshold in force on its date."""
    threshold = ruleset.of(books).approval(slug, entry.date).threshold
    return sum((p.amount for p in entry.postings if p.amount > 0), Decimal("0.00")) >= threshold


def post(books: Books, slug: str, draft: TransactionIn) -> TransactionOut:
    """Post ``draft`` as the treasurer; at or over the approval threshold, upload its document;
    when it waits for a second member, the chair approves it (after the upload, as the rules
    require)."""
    from api.demo import TREASURER

    result = journal.post(books=books, slug=slug, draft=draft, actor=TREASURER)
    if draft.contract:
        attach_contract(books, slug, draft.contract, result.entry)
    return settle(books, slug, result.entry, result.pending)


def settle(books: Books, slug: str, entry: TransactionOut, pending: bool) -> TransactionOut:
    """Document ``entry`` if it is at or over the threshold, and approve it if it waits."""
    from api.demo import APPROVER, TREASURER

    if needs_document(books, slug, entry):
        attach_to_entry(books, slug, entry, TREASURER)
    if pending:
        return journal.approve(books=books, slug=slug, entry_id=entry.id, actor=APPROVER)
    return entry


def attach_contract(books: Books, slug: str, number: str, entry: TransactionOut) -> None:
    """The scan of contract ``number``, linked to the contract and its first entry (once)."""
    from api.demo import TREASURER

    name = f"合同-{number}-扫描件.pdf"
    with Session(books.engine) as session:
        community = books.community(session, slug)
        scanned = session.execute(
            select(col(Document.id))
            .where(col(Document.community_id) == community.id)
            .where(col(Document.name) == name)
        ).first()
    if scanned is not None:
        return
    lines = [
        "共有部分经营性使用合同 (扫描件)",
        f"甲方: {_community(books, slug)}",
        f"乙方: {entry.payee}",
        f"合同编号: {number}",
        f"首笔款项: {entry.date} {entry.narration}",
        "双方签字盖章页见原件",
    ]
    documents.add(
        books=books,
        slug=slug,
        body=pdf(lines),
        name=name,
        actor=TREASURER,
        entry=entry.id,
        contract=number,
        project=False,
    )


def attach_to_resolution(books: Books, slug: str, number: str, title: str, voted: str) -> None:
    """The minutes of the owners' vote on resolution ``number``."""
    from api.demo import APPROVER

    lines = [
        "业主大会表决结果公告及会议记录",
        f"单位: {_community(books, slug)}",
        f"决议: {number} {title}",
        f"表决日期: {voted}",
        "计票人、监票人签字见原件",
    ]
    documents.add(
        books=books,
        slug=slug,
        body=pdf(lines),
        name=f"决议-{number}-会议记录.pdf",
        actor=APPROVER,
        resolution=number,
    )
