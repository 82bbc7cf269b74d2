"""The commons-ledger beancount plugin: re-checks the hash chain and the rules on the projection.

Why: the database is the book of record, but anyone holding the projection (Fava's users, an
auditor with bean-check) must be able to tell whether it is the books. Each transaction carries
``seq``, ``prev-hash`` and ``hash``; the plugin recomputes ``sha256(prev-hash + canonical text)``
and the links between them, then folds the same rule state the posting path uses over all
transactions, so a hand edit shows up as an error at its line. The chain check itself is
``ledger.chain.check_chain``, shared with ``commons verify`` and ``commons verify-export``;
this module words its faults for bean-check.

Before (a tampered amount)::

    plugin "rules.plugin" "community=8e0c...;rules=rules.toml"
    2025-03-31 * "停车场" "3月地面停车费"
      seq: 1
      ...
      hash: "77c2..."
      Assets:1002-银行存款:01-基本户   9700.00 CNY    ; was 9600.00
      Income:4301-共有收益:01-停车费  -9700.00 CNY

After: the entries unchanged, plus the error
``<file>:2: hash chain broken at seq 1: the entry's text does not match its hash``.
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any, assert_never

from beancount.core import data

from ledger.budgets import budgets_from_entries
from ledger.chain import (
    ChainedEntry,
    ChainProblem,
    ChainStart,
    Fault,
    chained_entries,
    check_chain,
)
from ledger.errors import LedgerError
from ledger.facts import facts_from_entries
from ledger.messages import msg, text_of
from ledger.render import txn_from_entry
from rules import config as rules_config
from rules.engine import AccountSpec, Context, build_state
from rules.registry import RULES

__plugins__ = ("verify",)

#: ``custom "carry" "rules" "<json>"``: the rule folds of the entries before a file that holds
#: part of the chain (``ledger.projection.Carry``), restored instead of refolding them.
CARRY = "carry"
#: ``custom "chain-resume" "<seq>:<prev-hash>"``: in a file holding part of the chain, the
#: entries resume at ``seq`` after a stretch kept in another file (a closed year's), linked to
#: that hash.
RESUME = "chain-resume"

RuleError = namedtuple("RuleError", "source message entry")


def parse_config(config: str | None) -> dict[str, str]:
    """``community=<id>;rules=rules.toml`` into a dict."""
    out: dict[str, str] = {}
    for part in (config or "").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def parse_chain_from(value: str | None) -> ChainStart | None:
    """``chain-from=<seq>:<prev-hash>``: a file holding a stretch of the chain (an audit
    export of a period) starts at that seq, linked to that hash, instead of at the genesis."""
    if not value:
        return None
    seq, _, prev = value.partition(":")
    return ChainStart(int(seq), prev)


def chain_message(problem: ChainProblem) -> str:
    """How bean-check words a fault in the chain (``ledger.chain.check_chain``), in the
    community default language: Fava's Errors page has no reader to ask."""
    match problem.fault:
        case Fault.SEQ:
            text = msg("plugin.chain-seq", expected=problem.expected, found=problem.found)
        case Fault.LINK:
            text = msg("plugin.chain-link", seq=problem.seq)
        case Fault.HASH:
            text = msg("plugin.chain-hash", seq=problem.seq)
        case _:
            assert_never(problem.fault)
    return text.render()


def chain_errors(
    chain: list[ChainedEntry],
    community_id: str | None,
    start: ChainStart | None = None,
    resumes: dict[int, str] | None = None,
) -> list[RuleError]:
    """Check seq continuity, the links and each hash (``ledger.chain.check_chain``), each
    error at its entry's line. ``chain`` is sorted by seq. It begins at seq 1 and the genesis
    hash (not checked without a community id), or at ``start`` for a stretch; ``resumes``
    (seq -> prev-hash) are where it goes on after a stretch held elsewhere: a gap anywhere
    else is a fault."""
    if start is None and community_id:
        start = ChainStart.genesis(community_id)
    runs: list[tuple[int, ChainStart | None]] = [(0, start)]
    for index, item in enumerate(chain):
        seq = item.txn.seq
        if index and seq in (resumes or {}) and chain[index - 1].txn.seq != (seq or 0) - 1:
            runs.append((index, ChainStart(seq or 0, (resumes or {})[seq or 0])))
    errors = []
    for (first, run_start), (stop, _) in zip(runs, [*runs[1:], (len(chain), None)], strict=True):
        errors += [
            RuleError(
                chain[first + p.index].entry.meta, chain_message(p), chain[first + p.index].entry
            )
            for p in check_chain((item.link for item in chain[first:stop]), run_start)
        ]
    return errors


def carried(entries: list[data.Directive]) -> tuple[str | None, dict[int, str], list[str]]:
    """A partial file's carry: the rule folds (``custom "carry" "rules"``), the chain's resumes
    (``custom "chain-resume"``), and what in them does not parse (in the community default
    language, as every error of the plugin)."""
    folds: str | None = None
    resumes: dict[int, str] = {}
    problems: list[str] = []
    for entry in entries:
        if not isinstance(entry, data.Custom) or entry.type not in (CARRY, RESUME):
            continue
        values = [str(v.value) for v in entry.values]
        if entry.type == CARRY and len(values) == 2 and values[0] == "rules":
            folds = values[1]
        elif entry.type == RESUME and len(values) == 1:
            seq, _, prev = values[0].partition(":")
            if seq.isdigit() and prev:
                resumes[int(seq)] = prev
            else:
                problems.append(msg("plugin.chain-resume", value=values[0]).render())
        else:
            problems.append(
                msg("plugin.custom-not-understood", type=entry.type, values=values).render()
            )
    return folds, resumes, problems


def _words(exc: Exception) -> str:
    """An error's words in the community default language: a refusal's catalogue messages,
    else its text as it is (an OSError's, a malformed directive's)."""
    if isinstance(exc, LedgerError):
        return "；".join(p.message for p in exc.problems)
    return text_of(exc).render()


def context_from_entries(
    entries: list[data.Directive], community_id: str, rules_file: rules_config.RulesFile | None
) -> Context:
    accounts = {}
    for entry in entries:
        if isinstance(entry, data.Open):
            meta = entry.meta or {}
            accounts[entry.account] = AccountSpec(
                entry.account, str(meta.get("code", "")), meta.get("restricted") == "true"
            )
    resolutions, closed = facts_from_entries(entries)  # ValueError on a malformed directive
    return Context(
        community_id=community_id,
        accounts=accounts,
        config=rules_file,
        resolutions=resolutions,
        closed=closed,
        budgets=budgets_from_entries(entries),
    )


def verify(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[RuleError]]:
    settings = parse_config(config)
    community_id = settings.get("community")
    errors: list[RuleError] = []
    rules_file = None
    if "rules" in settings:
        path = Path(options_map.get("filename") or ".").parent / settings["rules"]
        try:
            rules_file = rules_config.load(path)
        except (OSError, rules_config.RulesFileError) as exc:
            errors.append(
                RuleError(
                    {"filename": str(path), "lineno": 0},
                    msg("plugin.rules-file", problem=_words(exc)).render(),
                    None,
                )
            )

    chain = chained_entries(entries)
    try:
        start = parse_chain_from(settings.get("chain-from"))
    except ValueError:
        start = None
        errors.append(
            RuleError(
                {"filename": "<plugin>", "lineno": 0},
                msg("plugin.chain-from", value=settings["chain-from"]).render(),
                None,
            )
        )
    folds, resumes, problems = carried(entries)
    errors += [RuleError({"filename": "<plugin>", "lineno": 0}, p, None) for p in problems]
    errors += chain_errors(chain, community_id, start, resumes)

    try:
        context = context_from_entries(entries, community_id or "", rules_file)
    except ValueError as exc:
        # A malformed resolution or close: report it, and judge without the facts.
        errors.append(RuleError({"filename": "<plugin>", "lineno": 0}, _words(exc), None))
        context = context_from_entries(
            [e for e in entries if not isinstance(e, data.Custom)], community_id or "", rules_file
        )
    state = build_state(context, RULES)
    if folds is not None:
        # The open years or a closed year: the folds of the years before, carried in.
        try:
            state.restore(folds)
        except (ValueError, TypeError, AttributeError) as exc:
            errors.append(RuleError({"filename": "<plugin>", "lineno": 0}, f"carry: {exc}", None))
    elif start is not None:
        # An audit export's stretch carries the balances before it in as unchained
        # "opening" transactions.
        for entry in entries:
            meta = entry.meta or {}
            opening = "hash" not in meta and meta.get("kind") == "opening"
            if isinstance(entry, data.Transaction) and opening:
                state.apply(txn_from_entry(entry)[0])
    for item in chain:
        for violation in state.check(item.txn):
            errors.append(
                RuleError(item.entry.meta, f"{violation.rule}: {violation.message}", item.entry)
            )
        state.apply(item.txn)
    return entries, errors
