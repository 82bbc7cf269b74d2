"""What someone with write access to the database can do to the books, done the way they would
do it: plain SQL on the tables, then every hash recomputed with the published rule
(``ledger.render.chain_hash`` over ``render_txn``, ``ledger.events``) so the chain itself is
whole again. The tests in test_audit_chain_heads.py and test_ledger_event_chain.py show what
``commons verify`` still finds."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from ledger import events
from ledger.books import Books
from ledger.render import chain_hash, genesis_hash, render_txn


def community_id(books: Books, slug: str) -> str:
    with Session(books.engine) as session:
        return books.community(session, slug).id


def rechain_journal(books: Books, slug: str) -> None:
    """Recompute every entry's text, prev-hash and hash from the rows (postings and fields as
    they now are), and the community's head: a chain as whole as the one posted."""
    cid = community_id(books, slug)
    with Session(books.engine) as session:
        prev, seq = genesis_hash(cid), 0
        for item in list(books.chained(session, cid)):
            body = render_txn(item.txn)
            digest = chain_hash(prev, body)
            session.execute(
                text("UPDATE entry SET text = :t, prev_hash = :p, hash = :h WHERE id = :id"),
                {"t": body, "p": prev, "h": digest, "id": item.txn.id},
            )
            prev, seq = digest, item.txn.seq or 0
        session.execute(
            text("UPDATE community SET head_seq = :s, head_hash = :h WHERE id = :id"),
            {"s": seq, "h": prev, "id": cid},
        )
        session.commit()
    books.invalidate(cid)
    books.rebuild_projection(slug)


def rewrite_amount(books: Books, slug: str, seq: int, fen: int) -> None:
    """Attack 1: the entry at ``seq`` now moves ``fen`` (both legs), and every later hash and
    the community's head are recomputed."""
    cid = community_id(books, slug)
    with Session(books.engine) as session:
        session.execute(
            text(
                "UPDATE posting SET amount_fen = CASE WHEN amount_fen > 0 THEN :f ELSE -:f END "
                "WHERE entry_id = (SELECT id FROM entry WHERE community_id = :c AND seq = :s)"
            ),
            {"f": fen, "c": cid, "s": seq},
        )
        session.commit()
    rechain_journal(books, slug)


def delete_last_entry(books: Books, slug: str) -> None:
    """Attack 2: the last entry's rows deleted and the community's head moved back to the
    entry before it."""
    cid = community_id(books, slug)
    with Session(books.engine) as session:
        (entry_id,) = session.execute(
            text(
                "SELECT id FROM entry WHERE community_id = :c AND seq = "
                "(SELECT MAX(seq) FROM entry WHERE community_id = :c)"
            ),
            {"c": cid},
        ).one()
        session.execute(text("DELETE FROM posting WHERE entry_id = :e"), {"e": entry_id})
        session.execute(text("DELETE FROM entry WHERE id = :e"), {"e": entry_id})
        session.commit()
    rechain_journal(books, slug)


def rechain_events(books: Books, slug: str) -> None:
    """Recompute every event's link and the community's event head, in seq order."""
    cid = community_id(books, slug)
    with Session(books.engine) as session:
        rows = [
            dict(r._mapping)
            for r in session.execute(
                text(
                    "SELECT id, seq, at, actor, action, object_type, object_id, address, details "
                    "FROM event WHERE community_id = :c ORDER BY seq"
                ),
                {"c": cid},
            )
        ]
        for row in rows:
            row["at"] = _at(row["at"])
        seq = events.link(rows, cid, 0, None)
        for number, row in enumerate(rows, 1):
            session.execute(
                text("UPDATE event SET seq = :s, prev_hash = :p, hash = :h WHERE id = :id"),
                {"s": -number, "p": row["prev_hash"], "h": row["hash"], "id": row["id"]},
            )
        session.execute(
            text("UPDATE event SET seq = -seq WHERE community_id = :c AND seq < 0"), {"c": cid}
        )
        session.execute(
            text("UPDATE community SET event_seq = :s, event_head = :h WHERE id = :id"),
            {"s": seq, "h": rows[-1]["hash"] if rows else None, "id": cid},
        )
        session.commit()


def _at(value: object) -> object:
    """An event's time read through plain SQL (SQLite hands back text)."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value
