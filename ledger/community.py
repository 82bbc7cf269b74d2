"""Creating a community: its row, the default chart and its projection. (Its rules file is the
caller's: ``rules`` owns it; without one a community lives by the defaults.)"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from ledger import clock, events
from ledger.books import Books
from ledger.chart import DEFAULT_CHART
from ledger.db import writer
from ledger.errors import Conflict, ValidationFailed
from ledger.messages import msg
from ledger.models import Account, Community
from ledger.render import genesis_hash
from ledger.schemas import clean_text

#: ``\A``/``\Z``: a trailing newline is not part of a slug (``$`` would let one through).
#: Path segments the service uses beside the communities' slugs (Fava's static files).
RESERVED = frozenset({"static"})
SLUG = re.compile(r"\A[a-z0-9][a-z0-9-]{0,39}\Z")


def create(
    *, books: Books, slug: str, name: str, actor: str = "system", start: date | None = None
) -> Community:
    """A new community whose books start on ``start`` (default: 1 January of this year).
    Its accounts open the day before, the date of the opening balances."""
    start = start or date(clock.today().year, 1, 1)
    opened = start - timedelta(days=1)
    if not SLUG.match(slug):
        raise ValidationFailed(msg("community.community-slug-lowercase-letters"))
    if slug in RESERVED:
        raise ValidationFailed(msg("community.names-part-service-s", slug=slug))
    try:
        clean_text(name, max_length=200, min_length=1, multiline=False)
    except ValueError as exc:
        raise ValidationFailed(msg("community.community-name-one-line-2", exc=exc)) from None
    if not name.strip():
        raise ValidationFailed(msg("community.community-name-one-line"))
    with writer(books.engine) as session:
        exists = session.execute(
            select(col(Community.id)).where(col(Community.slug) == slug)
        ).first()
        if exists is not None:
            raise Conflict(msg("community.community-already-exists", slug=slug))
        community_id = str(uuid.uuid4())
        community = Community(
            id=community_id,
            slug=slug,
            name=name,
            created_at=clock.now(),
            head_seq=0,
            head_hash=genesis_hash(community_id),
            start_date=start,
        )
        session.add(community)
        session.flush()
        for item in DEFAULT_CHART:
            session.add(
                Account(
                    community_id=community_id,
                    name=item.name,
                    code=item.code,
                    name_zh=item.name_zh,
                    name_en=item.name_en,
                    restricted=item.restricted,
                    open_date=opened,
                )
            )
        events.record(
            session,
            community_id=community_id,
            actor=actor,
            action="create",
            object_type="community",
            object_id=slug,
            details={"name": name},
        )
    books.community_dir(slug).mkdir(mode=0o700, parents=True, exist_ok=True)
    books.rebuild_projection(slug)
    return community
