"""The one hash-chain check (``ledger.chain.check_chain``) and its three readers.

On links built by hand: a good chain has no faults; an edited text, a re-pointed link, a gap
in seq and a foreign genesis each give exactly the fault they are, as a value. Then each
reader -- the beancount plugin, ``commons verify``, ``commons verify-export`` -- is fed a
tampered input and reports precisely ``check_chain``'s faults on it, in its own words; and no
reader outside ``ledger/`` recomputes a hash itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from beancount import loader
from sqlalchemy import update
from sqlmodel import Session, col

from audit import verify as db_verify
from audit import verify_export as package_verify
from audit.export import manifest_bytes
from ledger import journal
from ledger.books import Books
from ledger.chain import ChainProblem, ChainStart, Fault, Link, chained_entries, check_chain
from ledger.models import Entry
from ledger.render import chain_hash, genesis_hash, parse_entries
from rules import plugin
from tests.conftest import txn

COMMUNITY = "2292c333-ef12-4ed7-b1d0-ddaf7a59ac31"
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).parent / "fixtures" / "package-v0.1.zip"


def good_chain(n: int, community: str = COMMUNITY) -> list[Link]:
    links, prev = [], genesis_hash(community)
    for seq in range(1, n + 1):
        text = f'2025-01-{seq:02d} * "payee" "entry {seq}"\n  seq: {seq}\n'
        digest = chain_hash(prev, text)
        links.append(Link(seq, prev, digest, text))
        prev = digest
    return links


def test_a_good_chain_has_no_faults() -> None:
    links = good_chain(4)
    assert check_chain(links, ChainStart.genesis(COMMUNITY)) == []
    assert check_chain(links[2:], ChainStart(3, links[1].hash or "")) == []  # a stretch
    assert check_chain([], ChainStart.genesis(COMMUNITY)) == []


def test_a_changed_text_is_a_hash_fault_at_that_entry_only() -> None:
    links = good_chain(4)
    edited = links[1].text.replace("entry 2", "entry two")
    links[1] = Link(2, links[1].prev_hash, links[1].hash, edited)
    assert check_chain(links, ChainStart.genesis(COMMUNITY)) == [
        ChainProblem(1, 2, Fault.HASH, chain_hash(links[0].hash or "", edited), links[1].hash)
    ]


def test_a_broken_link_is_a_link_fault() -> None:
    links = good_chain(4)
    forged_prev = "0" * 64  # seq 3 re-pointed and re-hashed over its new prev-hash
    links[2] = Link(3, forged_prev, chain_hash(forged_prev, links[2].text), links[2].text)
    assert check_chain(links, ChainStart.genesis(COMMUNITY)) == [
        ChainProblem(2, 3, Fault.LINK, links[1].hash, forged_prev),
        ChainProblem(3, 4, Fault.LINK, links[2].hash, links[3].prev_hash),
    ]


def test_a_gap_in_seq_is_a_seq_fault_and_a_link_fault() -> None:
    links = good_chain(4)
    del links[2]  # seq 3 removed
    assert check_chain(links, ChainStart.genesis(COMMUNITY)) == [
        ChainProblem(2, 4, Fault.SEQ, 3, 4),
        ChainProblem(2, 4, Fault.LINK, links[1].hash, links[2].prev_hash),
    ]


def test_a_wrong_genesis_breaks_the_first_link() -> None:
    links = good_chain(3, community="another-community")
    assert check_chain(links, ChainStart.genesis(COMMUNITY)) == [
        ChainProblem(0, 1, Fault.LINK, genesis_hash(COMMUNITY), genesis_hash("another-community"))
    ]
    # Without a start (a reader that does not know the community) the first link is trusted.
    assert check_chain(links, None) == []


def test_nonsense_is_reported_not_raised() -> None:
    links = good_chain(3)
    links[1] = Link(None, None, None, "")
    problems = check_chain(links, ChainStart.genesis(COMMUNITY))
    assert [(p.index, p.fault) for p in problems] == [
        (1, Fault.SEQ),
        (1, Fault.LINK),
        (1, Fault.HASH),
    ]  # the seq-less link takes seq 2's place: seq 3 has no fault, its link goes unchecked


# --- each reader reports check_chain's faults ------------------------------------------------


def _without_entry(text: str, seq: int) -> str:
    """Beancount text with the transaction holding ``seq: <seq>`` deleted."""
    blocks = text.split("\n\n")
    kept = [b for b in blocks if f"\n  seq: {seq}\n" not in b + "\n"]
    assert len(kept) == len(blocks) - 1
    return "\n\n".join(kept)


def _faults(text: str, start: ChainStart | None) -> list[ChainProblem]:
    entries, _errors = parse_entries(text)
    return check_chain([c.link for c in chained_entries(entries)], start)


def test_plugin_reports_the_shared_faults(books: Books, community: str) -> None:
    for amount in ("100.00", "200.00", "300.00"):
        journal.post(books=books, slug=community, draft=txn(amount), actor="t")
    path = books.projection(community).path
    text = _without_entry(path.read_text(encoding="utf-8"), 2)
    path.write_text(text, encoding="utf-8")
    with Session(books.engine) as session:
        community_id = books.community(session, community).id

    faults = _faults(text, ChainStart.genesis(community_id))
    assert [(p.seq, p.fault) for p in faults] == [(3, Fault.SEQ), (3, Fault.LINK)]
    _entries, errors, _ = loader.load_file(str(path))
    assert [e.message for e in errors] == [plugin.chain_message(p) for p in faults]
    assert [e.message for e in errors] == [  # in the community default language, as in Fava
        "哈希链：应为第 2 笔，实际为第 3 笔",
        "哈希链在第 3 笔断开：prev-hash 与前一笔分录不衔接",
    ]


def test_verify_reports_the_shared_faults(books: Books, community: str) -> None:
    ids = [
        journal.post(books=books, slug=community, draft=txn(amount), actor="t").entry.id
        for amount in ("100.00", "200.00", "300.00")
    ]
    with Session(books.engine) as session:
        session.execute(
            update(Entry).where(col(Entry.id) == ids[1]).values(hash="f" * 64)
        )  # seq 2's hash rewritten in the database
        session.commit()
        community_id = books.community(session, community).id
        stored = {entry_id: session.get(Entry, entry_id) for entry_id in ids}
        links = [
            Link(row.seq, row.prev_hash, row.hash, row.text or "")
            for row in stored.values()
            if row is not None
        ]

    faults = check_chain(links, ChainStart.genesis(community_id))
    assert [(p.seq, p.fault) for p in faults] == [(2, Fault.HASH), (3, Fault.LINK)]
    report = db_verify.verify(books, community)
    assert report.findings == [db_verify.chain_message(p, ids[p.index]) for p in faults]
    assert report.problems == [
        f"seq 2 (entry {ids[1]}): hash does not match its text",
        "seq 3: prev-hash does not link to seq 2",
    ]


def _repack(package: bytes, changes: dict[str, bytes]) -> bytes:
    """The package with some members replaced (same names, order and times)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, changes.get(info.filename, source.read(info)))
    return out.getvalue()


def _reseal(package: bytes, name: str, data: bytes) -> bytes:
    """The package with one member replaced and its manifest rewritten to match (a forger)."""
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(package)).read("manifest.json"))
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return _repack(package, {name: data, "manifest.json": manifest_bytes(manifest)})


def test_verify_export_and_its_bean_check_report_the_shared_faults() -> None:
    package = PACKAGE.read_bytes()
    text = zipfile.ZipFile(io.BytesIO(package)).read("ledger.beancount").decode()
    forged = _without_entry(text, 4)  # the dividend taken out of the stretch
    start = plugin.parse_chain_from(re.findall(r";chain-from=([0-9]+:[0-9a-f]+)", text)[0])
    faults = _faults(forged, start)
    assert [(p.seq, p.fault) for p in faults] == [(5, Fault.SEQ), (5, Fault.LINK)]

    tampered = _reseal(package, "ledger.beancount", forged.encode())
    report = package_verify.verify_export(io.BytesIO(tampered), bean_check=True)
    chain = [p for p in report.problems if p.startswith("ledger.beancount: ") and "line" not in p]
    assert chain == [str(package_verify.chain_message(p)) for p in faults]
    assert chain == [
        "ledger.beancount: expected seq 4, found 5",
        "ledger.beancount: seq 5: prev-hash does not link to the entry before it",
    ]
    checked = [re.sub(r"^.*: line \d+: ", "", p) for p in report.problems if "bean-check" in p]
    assert checked == [plugin.chain_message(p) for p in faults]


@pytest.mark.parametrize("package", ["rules", "audit", "api"])
def test_no_reader_recomputes_the_chain_itself(package: str) -> None:
    """The hash is computed in ``ledger/`` only (posting, and ``ledger.chain``)."""
    users = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / package).rglob("*.py"))
        if re.search(r"\bchain_hash\b", path.read_text(encoding="utf-8"))
    ]
    assert users == []
    readers = {"rules": ["plugin.py"], "audit": ["verify.py", "verify_export.py"], "api": []}
    for name in readers[package]:
        assert "check_chain(" in (ROOT / package / name).read_text(encoding="utf-8")


def test_ledger_does_not_import_the_readers() -> None:
    source = (ROOT / "ledger" / "chain.py").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import) (rules|audit|api)\b", source, re.MULTILINE)


def test_verify_export_names_a_manifest_start_that_is_no_seq() -> None:
    package = PACKAGE.read_bytes()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(package)).read("manifest.json"))
    manifest["chain"]["from_seq"] = "2"
    tampered = _repack(package, {"manifest.json": manifest_bytes(manifest)})
    report = package_verify.verify_export(io.BytesIO(tampered))
    assert report.problems == ["manifest.json: chain.from_seq '2' is not a sequence number"]
