"""The commons-ledger beancount plugin: re-checks the hash chain and the rules on the projection.

Why: the database is the book of record, but anyone holding the projection (Fava's users, an
auditor with bean-check) must be able to tell whether it is the books. Each transaction carries
``seq``, ``prev-hash`` and ``hash``; the plugin recomputes ``sha256(prev-hash + canonical text)``
and the links between them, then folds the same rule state the posting path uses over all
transactions, so a hand edit shows up as an error at its line.

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
from typing import Any

from beancount.core import data

from ledger.facts import facts_from_entries
from ledger.render import chain_hash, genesis_hash, render_txn, txn_from_entry
from ledger.txn import Txn
from rules import config as rules_config
from rules.engine import AccountSpec, Context, build_state
from rules.registry import RULES

__plugins__ = ("verify",)

RuleError = namedtuple("RuleError", "source message entry")


def parse_config(config: str | None) -> dict[str, str]:
    """``community=<id>;rules=rules.toml`` into a dict."""
    out: dict[str, str] = {}
    for part in (config or "").split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def parse_chain_from(value: str | None) -> tuple[int, str] | None:
    """``chain-from=<seq>:<prev-hash>``: a file holding a stretch of the chain (an audit
    export of a period) starts at that seq, linked to that hash, instead of at the genesis."""
    if not value:
        return None
    seq, _, prev = value.partition(":")
    return int(seq), prev


def chain_errors(
    chain: list[tuple[Txn, str | None, str | None, Any]],
    community_id: str | None,
    start: tuple[int, str] | None = None,
) -> list[RuleError]:
    """Check seq continuity, the links and each hash. ``chain`` is sorted by seq. It begins
    at seq 1 and the genesis hash, or at ``start`` (seq, prev-hash) for a stretch."""
    errors: list[RuleError] = []
    prev = genesis_hash(community_id) if community_id else None
    expected_seq = 1
    if start is not None:
        expected_seq, prev = start
    for txn, prev_hash, hash_, entry in chain:
        where = entry.meta
        if txn.seq != expected_seq:
            errors.append(
                RuleError(where, f"hash chain: expected seq {expected_seq}, found {txn.seq}", entry)
            )
        if prev is not None and prev_hash != prev:
            errors.append(
                RuleError(
                    where,
                    f"hash chain broken at seq {txn.seq}: prev-hash does not link to the "
                    "entry before it",
                    entry,
                )
            )
        if hash_ != chain_hash(prev_hash or "", render_txn(txn)):
            errors.append(
                RuleError(
                    where,
                    f"hash chain broken at seq {txn.seq}: the entry's text does not match "
                    "its hash (edited after posting?)",
                    entry,
                )
            )
        prev = hash_
        expected_seq = (txn.seq or expected_seq) + 1
    return errors


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
                RuleError({"filename": str(path), "lineno": 0}, f"rules file: {exc}", None)
            )

    chain = []
    for entry in entries:
        if isinstance(entry, data.Transaction) and "hash" in (entry.meta or {}):
            txn, prev_hash, hash_ = txn_from_entry(entry)
            chain.append((txn, prev_hash, hash_, entry))
    chain.sort(key=lambda item: item[0].seq or 0)
    try:
        start = parse_chain_from(settings.get("chain-from"))
    except ValueError:
        start = None
        errors.append(
            RuleError(
                {"filename": "<plugin>", "lineno": 0},
                f"plugin option chain-from={settings['chain-from']!r} is not <seq>:<prev-hash>",
                None,
            )
        )
    errors += chain_errors(chain, community_id, start)

    try:
        context = context_from_entries(entries, community_id or "", rules_file)
    except ValueError as exc:
        # A malformed resolution or close: report it, and judge without the facts.
        errors.append(RuleError({"filename": "<plugin>", "lineno": 0}, str(exc), None))
        context = context_from_entries(
            [e for e in entries if not isinstance(e, data.Custom)], community_id or "", rules_file
        )
    state = build_state(context, RULES)
    if start is not None:
        # A stretch carries the balances before it in as unchained "opening" transactions.
        for entry in entries:
            meta = entry.meta or {}
            opening = "hash" not in meta and meta.get("kind") == "opening"
            if isinstance(entry, data.Transaction) and opening:
                state.apply(txn_from_entry(entry)[0])
    for txn, _prev, _hash, entry in chain:
        for violation in state.check(txn):
            errors.append(RuleError(entry.meta, f"{violation.rule}: {violation.message}", entry))
        state.apply(txn)
    return entries, errors
