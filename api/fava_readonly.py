"""What a supervisory committee's Fava does not offer: the editor, the import page and the data
behind them. Fava is read-only here (every write method is refused before it, and Fava is run
``read_only``), but its script still draws an editor with a Save button, a "+" to add entries,
an import page with an upload field. Members of the committee are not accountants: a button
that cannot work is a question to the treasurer at best and a worry at worst.

So the pages and their data answer 404 from our mount (:func:`blocked`), and the controls are
hidden by our ``_layout.html`` (``api/fava_templates``). Entries are added, approved and
documented on the entry page and through the API, where the rules and the four-eyes check
apply.
"""

from __future__ import annotations

#: Fava's pages for writing: ``/fava/<slug>/editor/``, ``/fava/<slug>/import/``.
BLOCKED_PAGES = frozenset({"editor", "import"})
#: The JSON they load: the whole ledger text for the editor, the import files and their
#: extraction. (An entry's own source, ``api/source_slice``, stays: the entry's context shows
#: it, without its Save button.)
BLOCKED_API = frozenset({"source", "imports", "extract"})


def blocked(rest: str) -> bool:
    """Whether ``rest`` (the path under ``/fava``: ``<slug>/...``, or ``<slug>/<year>/...``
    for a fiscal year's Fava) names a page or data the committee does not get."""
    parts = [part for part in rest.split("/") if part][1:]  # after the slug
    if parts and parts[0].isdigit():
        parts = parts[1:]
    if not parts:
        return False
    if parts[0] in BLOCKED_PAGES:
        return True
    return len(parts) == 2 and parts[0] == "api" and parts[1] in BLOCKED_API
