"""The message catalogue (ledger.catalogue) and the code that uses it: every entry in both
languages with the same placeholders, every message built from the catalogue (a scan of the
source, so a new untranslated refusal fails here), every legal source the rules cite translated,
and the choice of language."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.catalogue import CATALOGUE
from ledger.errors import PeriodLocked, Problem, ValidationFailed
from ledger.messages import (
    Invalid,
    cite,
    from_accept_language,
    msg,
    negotiate,
    parse_lang,
    placeholders,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "rules", "audit", "api")
WORDS = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


TREES = list(sources())


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_entry_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert entry.zh.strip() and entry.en.strip(), key
    assert placeholders(entry.zh) == placeholders(entry.en), key
    words = re.sub(r"{[^}]*}", "", entry.en)
    if WORDS.search(words):
        # Not the English copied over: a sentence in Chinese says something in Chinese.
        assert entry.zh != entry.en and CJK.search(entry.zh), key
    # Both render with every placeholder filled (no stray braces, no bad format spec).
    values = {name: 1 for name in placeholders(entry.en)}
    assert entry.zh.format_map(values) and entry.en.format_map(values)


def _error_classes() -> set[str]:
    """The names of ledger.errors.LedgerError and every subclass of it in our packages."""
    found = {"LedgerError"}
    grew = True
    while grew:
        grew = False
        for _path, tree in TREES:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & found:
                        found.add(node.name)
                        grew = True
    return found


ERRORS = _error_classes()
#: Where each constructor takes its words.
MESSAGE_ARGUMENT = {"Problem": 0, "RuleViolation": 1, "Invalid": 0} | dict.fromkeys(ERRORS, 0)


def _is_literal_text(node: ast.expr) -> bool:
    """Words written in place: a string, an f-string, a concatenation or formatting of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _is_literal_text(node.left) or _is_literal_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _is_literal_text(node.func.value)
    return False


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def test_no_refusal_is_built_with_words_outside_the_catalogue() -> None:
    """A Problem, RuleViolation, LedgerError (any subclass) or Invalid built with a literal
    message would be English only: it must be msg("key", ...) from the catalogue."""
    assert {"NotFound", "ValidationFailed", "PeriodLocked", "RulesFileError"} <= ERRORS
    offenders = []
    for path, tree in TREES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            if name not in MESSAGE_ARGUMENT:
                continue
            given = [kw.value for kw in node.keywords if kw.arg in ("message", "text")]
            position = MESSAGE_ARGUMENT[name]
            if len(node.args) > position:
                given.append(node.args[position])
            if any(_is_literal_text(arg) for arg in given):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(...)")
    assert offenders == []


def test_the_scan_catches_a_literal_message() -> None:
    """The scan above is not vacuous: it flags the shapes an untranslated message takes."""
    for source in (
        'Problem("over budget", rule="budget")',
        'NotFound(f"no unit {unit}")',
        'RuleViolation("x", "too " + "much")',
        'ValidationFailed("{} is bad".format(x))',
    ):
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        name = _callee(call)
        assert name in MESSAGE_ARGUMENT
        assert _is_literal_text(call.args[MESSAGE_ARGUMENT[name]]), source
    call = ast.parse('Problem(msg("journal.unknown-account", account=a))').body[0].value  # type: ignore[attr-defined]
    assert not _is_literal_text(call.args[0])


def _has_words(node: ast.expr) -> bool:
    """Text with words written in place (English, or anything but numbers and punctuation)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(node.value) or CJK.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _has_words(node.left) or _has_words(node.right)
    if isinstance(node, ast.IfExp):
        return _has_words(node.body) or _has_words(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _has_words(node.func.value)
    return False


#: Kept in English on purpose: the package's own verifier runs under a bare ``python3 -I``
#: beside the audit package, without this catalogue (docs/i18n.md).
STDLIB_ONLY = {"audit/verify_package.py"}


def _wordy_calls(where: str) -> Iterator[str]:
    """What a person reads, written in place: ``click.echo("...")`` in a command, or a finding
    appended in words to a report's ``problems``/``findings`` (``commons verify``,
    ``verify-export``, the plugin's errors)."""
    for path, tree in TREES:
        name = path.relative_to(ROOT).as_posix()
        if name in STDLIB_ONLY or not name.startswith(where):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value)
            echo = node.func.attr == "echo" and receiver == "click"
            finding = node.func.attr in ("append", "add") and receiver.split(".")[-1] in (
                "problems",
                "findings",
                "report",
            )
            if (echo or finding) and node.args and _has_words(node.args[0]):
                yield f"{name}:{node.lineno} {receiver}.{node.func.attr}(...)"


def test_no_command_prints_and_no_report_lists_words_outside_the_catalogue() -> None:
    """The CLI's lines and the findings of verify and verify-export are in the reader's
    language: built with msg() and rendered by ``say``/``render``, never written in place."""
    assert list(_wordy_calls("")) == []


def test_the_wordy_call_scan_catches_words_in_place() -> None:
    for source in (
        'click.echo(f"{n} document(s) listed")',
        'click.echo("done" if ok else "failed")',
        'report.problems.append(f"{name}: missing")',
        'report.findings.append("projection: " + name)',
        'problems.append("规则文件")',
    ):
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert _has_words(call.args[0]), source
    for source in (
        'click.echo(f"  - {where}{say(text)}")',
        'report.findings.append(msg("verify.seq-hash", seq=1, entry_id="e"))',
        'click.echo("\\n".join(report.lines(reader())))',
    ):
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert not _has_words(call.args[0]), source


def _msg_calls() -> Iterator[tuple[str, ast.Call, list[str]]]:
    """Every msg(...) call with the keys it may name (both branches of a conditional)."""
    for path, tree in TREES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node) == "msg" and node.args:
                first = node.args[0]
                options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
                keys = [o.value for o in options if isinstance(o, ast.Constant)]
                if len(keys) == len(options):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node, [str(k) for k in keys]


def test_every_message_named_in_the_code_exists_with_exactly_its_placeholders() -> None:
    """A key missing from the catalogue, or a placeholder without its value, would be a 500
    at the moment of refusing; the scan finds both before that."""
    wrong = []
    calls = list(_msg_calls())
    assert len(calls) > 300
    for where, call, keys in calls:
        given = {kw.arg for kw in call.keywords if kw.arg is not None}
        spread = any(kw.arg is None for kw in call.keywords)
        for key in keys:
            if key not in CATALOGUE:
                wrong.append(f"{where}: no entry {key!r}")
            elif not spread and given != placeholders(CATALOGUE[key].en):
                wrong.append(f"{where}: {key} takes {sorted(placeholders(CATALOGUE[key].en))}")
    assert wrong == []


def test_every_entry_is_used() -> None:
    """No dead entries: each key is named in the code (sources are looked up by their
    English, and some keys are composed: ``reserve.<comparison>``)."""
    named = {
        node.value
        for path, tree in TREES
        if path.name != "catalogue.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    composed = {"reserve.more_than", "reserve.at_least"}
    unused = [
        key
        for key in CATALOGUE
        if key not in named and key not in composed and not key.startswith("source.")
    ]
    assert unused == []


def test_every_legal_source_the_rules_cite_reads_in_chinese() -> None:
    from ledger.period import LOCKED_SOURCE
    from rules import contracts, overdraft, reserve, resolution_required, vote
    from rules.config import SOURCES

    cited = [
        *SOURCES.values(),
        *reserve.SOURCE.values(),
        SOURCES["reserve_condition"].split("; ")[1],
        overdraft.SOURCE,
        contracts.SOURCE,
        vote.SOURCE,
        resolution_required.SOURCE_KINDS,
        resolution_required.SOURCE_FUND,
        resolution_required.SOURCE_CITED,
        LOCKED_SOURCE,
    ]
    for source in cited:
        text = cite(source)
        assert text.key.startswith("source."), source
        assert text.render("en") == source
    assert (
        cite("Shanghai 住宅物业管理规定 art. 51").render("zh")
        == "《上海市住宅物业管理规定》第五十一条"
    )
    assert cite("Beijing 物业管理条例 art. 74").render("zh") == "《北京市物业管理条例》第七十四条"


def test_a_message_renders_its_parameters_and_nested_messages_in_one_language() -> None:
    text = msg(
        "resolution_required.resolution-required",
        text=msg("resolution_required.kind-always", kind="dividend"),
        source=cite("民法典 art. 278 (九), 283"),
    )
    assert text.render("en") == (
        "resolution required: a dividend always needs an owners' resolution "
        "(民法典 art. 278 (九), 283)"
    )
    zh = text.render("zh")
    assert zh.startswith("须经业主决议：dividend 一律须经业主决议")
    assert "《民法典》第二百七十八条" in zh and "resolution" not in zh
    assert render([msg("period.inside"), msg("period.before-end")], "zh") == "在；早于"
    with pytest.raises(KeyError):
        msg("no.such-key")


def test_errors_keep_the_chinese_message_and_render_english_on_request() -> None:
    text = msg("journal.unknown-account", account="Assets:9999")
    exc = ValidationFailed([Problem(text, field="postings[0].account", rule="known-account")])
    assert exc.problems[0].message == "未知科目 'Assets:9999'"
    assert exc.detail("en")[0] == {
        "field": "postings[0].account",
        "rule": "known-account",
        "message": "unknown account 'Assets:9999'",
        "details": {},
    }
    assert exc.detail()[0]["message"] == "未知科目 'Assets:9999'"
    # A bare message takes the class's rule; str() is for logs, in English.
    locked = PeriodLocked(msg("journal.transaction-has-already-been", entry_id="e1"))
    assert locked.problems[0].rule == "closed-period"
    assert str(locked) == "transaction e1 has already been reversed"
    assert str(Invalid(msg("units.area-number", value="x"))) == "area x is not a number"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("en", "en"),
        ("en-GB", "en"),
        ("en_US.UTF-8", "en"),
        ("EN", "en"),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("fr-FR", None),
        ("", None),
        (None, None),
    ],
)
def test_a_language_tag_or_locale_names_one_of_ours(
    value: str | None, expected: str | None
) -> None:
    assert parse_lang(value) == expected


def test_the_query_wins_then_accept_language_by_weight_then_the_default() -> None:
    assert from_accept_language("fr-FR, en;q=0.8, zh;q=0.9") == "zh"
    assert from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert from_accept_language("zh;q=0, en;q=0.1") == "en"
    assert from_accept_language("fr, de") is None
    assert from_accept_language("en;q=abc") is None
    assert negotiate("en", "zh-CN") == "en"
    assert negotiate("klingon", "en") == "en"
    assert negotiate(None, "zh-CN,zh;q=0.9") == "zh"
    assert negotiate(None, None) == "zh"
    assert negotiate(None, "fr") == "zh"


def _declared_statuses() -> dict[str, str]:
    """``status = HTTPStatus.X`` in a class body of our packages: class name → X."""
    found = {}
    for path, tree in TREES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.Assign) and len(item.targets) == 1:
                    target, value = item.targets[0], item.value
                elif isinstance(item, ast.AnnAssign) and item.value is not None:
                    target, value = item.target, item.value
                else:
                    continue
                if (
                    isinstance(target, ast.Name)
                    and target.id == "status"
                    and isinstance(value, ast.Attribute)
                    and isinstance(value.value, ast.Name)
                    and value.value.id == "HTTPStatus"
                ):
                    found[f"{path.relative_to(ROOT)} {node.name}"] = value.attr
    return found


def test_every_status_a_refusal_declares_has_its_phrase_in_both_languages() -> None:
    """The CLI prints a refusal as "已拒绝（409 冲突）：" / "refused (409 Conflict):": a new
    status on a LedgerError subclass needs its phrase (api.cli_common.PHRASES)."""
    from http import HTTPStatus

    from api.cli_common import PHRASES, phrase

    declared = _declared_statuses()
    assert {"CONFLICT", "NOT_FOUND", "TOO_MANY_REQUESTS"} <= set(declared.values())
    missing = [where for where, name in declared.items() if HTTPStatus[name] not in PHRASES]
    assert missing == []
    for status in PHRASES:
        assert phrase(status).render("en") == status.phrase
        assert CJK.search(phrase(status).render("zh")), status
    assert phrase(HTTPStatus.CONFLICT).render("zh") == "冲突"
    assert phrase(HTTPStatus.IM_A_TEAPOT).render("zh") == "I'm a Teapot"
