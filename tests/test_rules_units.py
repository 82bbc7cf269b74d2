"""The unit register: CSV and JSON import, every bad row refused with its line, all or none."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from api.cli import main
from api.users import Role, add_member
from ledger.books import Books
from ledger.errors import ValidationFailed
from ledger.models import Community, Event, Unit
from rules.units import import_units, parse_csv, parse_json

GOOD = "unit,owner,area,developer_unsold\n1-1-0101,O1,89.30,false\n1-1-0102,O1,127.38,\n"


def _messages(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [p.text.render("en") for p in exc.value.problems]


def test_a_csv_with_a_bom_parses_and_the_flag_defaults_to_false() -> None:
    units = parse_csv(("\ufeff" + GOOD + "10-2-1601,developer,68.52,true\n").encode())
    assert [(u.unit, u.owner, u.area, u.developer_unsold) for u in units] == [
        ("1-1-0101", "O1", Decimal("89.30"), False),
        ("1-1-0102", "O1", Decimal("127.38"), False),
        ("10-2-1601", "developer", Decimal("68.52"), True),
    ]
    assert units[1].area_centi == 12738


def test_the_flag_column_may_be_left_out() -> None:
    units = parse_csv(b"unit,owner,area\n1-1-0101,O1,89.3\n")
    assert units[0].area == Decimal("89.30") and units[0].developer_unsold is False


def test_every_bad_row_is_reported_with_its_line_number() -> None:
    text = (
        "unit,owner,area,developer_unsold\n"
        "1-1-0101,O1,89.30,false\n"  # line 2: fine
        "1-1-0102,O2,0,false\n"  # line 3: not positive
        "1-1-0103,O3,-5,false\n"  # line 4: negative
        "1-1-0104,O4,12.345,false\n"  # line 5: three places
        "1-1-0105,,80,false\n"  # line 6: no owner
        "1-1-0101,O5,80,false\n"  # line 7: duplicate of line 2
        "1-1-0106,O6,eighty,false\n"  # line 8: not a number
        "1-1-0107,O7,80,yes\n"  # line 9: bad flag
        "1-1-0108,O8\n"  # line 10: missing fields
    )
    with pytest.raises(ValidationFailed) as exc:
        parse_csv(text.encode())
    assert _messages(exc) == [
        "line 3: area must be positive (got '0')",
        "line 4: area must be positive (got '-5')",
        "line 5: area '12.345' has more than two decimal places",
        "line 6: the owner id is missing",
        "line 7: unit 1-1-0101 appears twice (first at line 2)",
        "line 8: area 'eighty' is not a number",
        "line 9: developer_unsold must be true or false (got 'yes')",
        "line 10: expected 4 fields, found 2",
    ]
    assert {p.rule for p in exc.value.problems} == {"unit-register"}


def test_a_wrong_header_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_csv(b"code,owner,area\n1,O1,80\n")
    assert _messages(exc) == [
        "units.csv line 1: the header must be unit,owner,area,developer_unsold "
        "(developer_unsold may be left out), not code,owner,area"
    ]


def test_json_rows_name_their_index() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_json([{"unit": "A", "owner": "O", "area": "1.00"}, {"unit": "A/1", "area": 2.5}])
    messages = _messages(exc)
    assert messages[0].startswith("units[1]: unit code 'A/1': '/' (U+002F) is not allowed")
    assert "units[1]: the owner id is missing" in messages
    assert "units[1]: area must be a decimal string such as '89.30', not 2.5" in messages


def _count(books: Books) -> tuple[int, int]:
    with Session(books.engine) as session:
        units = len(list(session.exec(select(Unit))))
        rev = session.exec(select(Community.rev)).one()
    return units, rev


def test_import_stores_bumps_rev_and_refuses_units_already_registered(
    books: Books, community: str
) -> None:
    summary = import_units(books=books, slug=community, units=parse_csv(GOOD), actor="admin")
    assert (summary.added, summary.units, summary.total_area) == (2, 2, Decimal("216.68"))
    assert _count(books) == (2, 1)
    again = parse_csv("unit,owner,area\n1-1-0201,O9,50\n1-1-0102,O9,50\n")
    with pytest.raises(ValidationFailed) as exc:
        import_units(books=books, slug=community, units=again, actor="admin")
    assert _messages(exc) == [
        "unit 1-1-0102 is already in the register of maple; an import only adds units"
    ]
    assert _count(books) == (2, 1)  # nothing of the refused import stored
    with Session(books.engine) as session:
        actions = [e.action for e in session.exec(select(Event))]
    assert actions.count("units") == 1


def test_cli_import(books: Books, community: str, data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "units.csv"
    good.write_bytes(("\ufeff" + GOOD).encode())
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,owner,area\nX,O,0\n", encoding="utf-8")
    add_member(books=books, username="ann", slug=community, role=Role.ADMIN, token=False)
    runner = CliRunner()
    args = ["--lang", "en", "--data", str(data_dir), "units", "import", community, "--as", "ann"]
    result = runner.invoke(main, [*args, str(bad)])
    assert result.exit_code == 1
    assert "line 2: area must be positive (got '0')" in result.output
    result = runner.invoke(main, [*args, str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 units into maple: the register has 2 units, 216.68 m²" in result.output
