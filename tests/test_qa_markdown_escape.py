"""QA: the public Markdown disclosure (for the owners' chat group) shows text as text. A
resolution title, the community's name, a resolution reference or a unit code with Markdown
or HTML in it (a link, an image with ``onerror``, emphasis, a heading, a table pipe) renders as
the characters typed, never as a link, an image or markup; the tables keep their shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from audit import disclosure
from audit import disclosure_render as render
from tests import disclosure_books as fixture

EVIL = '[点我领红包](http://evil.example/x) <img src=x onerror="alert(1)"> **急** `c` ~~x~~ | y'
HEADING = "# 公告 \\"


@pytest.fixture(scope="module")
def st(tmp_path_factory: pytest.TempPathFactory) -> Iterator[disclosure.Statement]:
    community = fixture.build(fixture.open_at(Path(tmp_path_factory.mktemp("md"))))
    yield disclosure.statement(books=community.books, slug=fixture.SLUG, period="2025Q1")
    community.books.engine.dispose()


def _hostile(st: disclosure.Statement) -> disclosure.Statement:
    resolutions = tuple(dataclasses.replace(r, title=EVIL) for r in st.resolutions)
    schedules = tuple(
        dataclasses.replace(
            s,
            resolution="<b>1</b>",
            lines=tuple(dataclasses.replace(line, unit="=1+2_[x]") for line in s.lines),
        )
        for s in st.schedules
    )
    return dataclasses.replace(st, community=HEADING, resolutions=resolutions, schedules=schedules)


def _html(text: str) -> str:
    return str(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text))


def test_text_in_the_markdown_is_not_markup(st: disclosure.Statement) -> None:
    assert st.resolutions and st.schedules
    plain = _html(render.markdown(st))
    html = _html(render.markdown(_hostile(st)))
    for markup in ("<a ", "<img", "<strong>", "<em>", "<code>", "<s>", "<del>", "<b>", "<h"):
        assert html.count(markup) == plain.count(markup), markup  # the template's own only
    assert "onerror" not in html.replace("onerror=&quot;", "")  # only as escaped text
    # what was typed is what a reader sees
    assert "[点我领红包](http://evil.example/x) &lt;img src=x" in html
    assert "**急**" in html
    assert "=1+2_[x]" in html
    # the title heading stays one heading, with the name as its text
    assert html.count("<h1>") == 1 and "<h1># 公告 \\ · " in html


def test_the_tables_keep_their_columns(st: disclosure.Statement) -> None:
    plain = _html(render.markdown(st))
    hostile = _html(render.markdown(_hostile(st)))
    assert hostile.count("<td") == plain.count("<td")
    assert hostile.count("<tr>") == plain.count("<tr>")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a|b\nc", "a\\|b c"),
        ("[x](y)", "\\[x\\]\\(y\\)"),
        ("<script>", "&lt;script&gt;"),
        ("# h", "\\# h"),
        ("1. x", "1\\. x"),
        ("- x", "\\- x"),
        ("*a* _b_", "\\*a\\* \\_b\\_"),
        ("AT&T", "AT&amp;T"),
        ("电梯改造 2025-01", "电梯改造 2025-01"),
    ],
)
def test_md_cell_escapes(text: str, escaped: str) -> None:
    assert render.md_cell(text) == escaped
