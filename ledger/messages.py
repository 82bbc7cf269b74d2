"""Every sentence a person reads, in Chinese first and English too, from one catalogue.

A refusal is built once, deep in the layers, as a :class:`Msg`: a catalogue key and its named
parameters (numbers, dates, account names, or other messages). It is rendered into words only
at the edge, in the reader's language: the API's error handlers (``?lang=``, then
``Accept-Language``, then the community default), the entry page, the CLI (``--lang``, then
``LANG``) and the Fava plugin (the default, Chinese). So the same refusal reads
"余额不足…" to a committee member and "no overdraft…" to an English-speaking auditor, and
the rule code and the numbers in ``details`` stay the same for programs.

The catalogue itself is :data:`ledger.catalogue.CATALOGUE`; docs/i18n.md says how to add a
message. The catalogue lives in ``ledger``, the lowest layer, so every layer can use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Literal, cast

from ledger.catalogue import CATALOGUE

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
#: The community default: committees and owners read Chinese.
DEFAULT_LANG: Lang = "zh"


@dataclass(frozen=True)
class Msg:
    """A message not yet in words: its catalogue key and named parameters. A parameter that is
    itself a :class:`Msg` is rendered in the same language; anything else with ``format``."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT_LANG) -> str:
        entry = CATALOGUE[self.key]
        template = entry.en if lang == "en" else entry.zh
        values = {name: render(value, lang) for name, value in self.params.items()}
        return template.format_map(values)

    def __str__(self) -> str:
        """English, as an exception's ``str()``: for logs, tracebacks and libraries that
        format a message themselves (pydantic); people get :meth:`render` in their language."""
        return self.render("en")


def render(value: Any, lang: str = DEFAULT_LANG) -> Any:
    """A parameter as it goes into a template: messages (and lists of them) in words."""
    if isinstance(value, Msg):
        return value.render(lang)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Msg) for v in value):
        return ("；" if lang == "zh" else "; ").join(v.render(lang) for v in value)
    return value


def msg(key: str, /, **params: Any) -> Msg:
    """The message ``key`` with its parameters; an unknown key is a programming error."""
    if key not in CATALOGUE:
        raise KeyError(f"no message {key!r} in ledger.catalogue")
    return Msg(key, params)


class Invalid(ValueError):
    """A value a validator refuses, in catalogue words. Pydantic keeps the exception in the
    error's ``ctx``, so the API's handler renders it in the reader's language; ``str()``, for
    logs and tracebacks, is English (as a :class:`ledger.errors.LedgerError`'s)."""

    def __init__(self, text: Msg) -> None:
        self.text = text
        super().__init__(text.render("en"))


def text_of(exc: BaseException) -> Msg:
    """The words of an exception: its catalogue message, or its text as it is (a library's
    own message, e.g. the CSV reader's, which has no translation)."""
    found = getattr(exc, "text", None)
    return found if isinstance(found, Msg) else msg("common.text", text=str(exc))


#: Pydantic's error types, grouped by the catalogue message that says them.
_VALIDATION: dict[str, str] = {
    "missing": "validation.missing",
    "extra_forbidden": "validation.extra",
    "json_type": "validation.json-type",
    "string_type": "validation.string",
    "int_type": "validation.int",
    "int_parsing": "validation.int",
    "int_from_float": "validation.int",
    "bool_type": "validation.bool",
    "bool_parsing": "validation.bool",
    "decimal_type": "validation.number",
    "decimal_parsing": "validation.number",
    "float_type": "validation.number",
    "float_parsing": "validation.number",
    "decimal_max_places": "validation.decimal-places",
    "decimal_max_digits": "validation.decimal-digits",
    "decimal_whole_digits": "validation.decimal-whole",
    "date_type": "validation.date",
    "date_parsing": "validation.date",
    "date_from_datetime_parsing": "validation.date",
    "date_from_datetime_inexact": "validation.date",
    "datetime_type": "validation.datetime",
    "datetime_parsing": "validation.datetime",
    "datetime_from_date_parsing": "validation.datetime",
    "string_too_short": "validation.string-short",
    "string_too_long": "validation.string-long",
    "too_short": "validation.list-short",
    "too_long": "validation.list-long",
    "list_type": "validation.list",
    "dict_type": "validation.object",
    "model_type": "validation.object",
    "model_attributes_type": "validation.object",
    "enum": "validation.choice",
    "literal_error": "validation.choice",
    "greater_than": "validation.gt",
    "greater_than_equal": "validation.ge",
    "less_than": "validation.lt",
    "less_than_equal": "validation.le",
    "string_pattern_mismatch": "validation.pattern",
}


def validation_text(error: Mapping[str, Any], field: str | None) -> Msg:
    """A pydantic validation error (wrong type, malformed JSON, missing or extra field, too
    many decimals...) as a catalogue message naming the field; a validator's own words
    (:class:`Invalid`) are kept, and an unlisted type keeps pydantic's English text."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    where: Any = field if field else msg("validation.body")
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), Invalid):
        return msg("validation.value", field=where, text=ctx["error"].text)
    if kind == "json_invalid":
        return msg("validation.json", error=str(ctx.get("error", "")))
    key = _VALIDATION.get(kind)
    if key is None:
        return msg("validation.value", field=where, text=msg("common.text", text=error["msg"]))
    wanted = placeholders(CATALOGUE[key].en) - {"field"}
    return msg(key, field=where, **{name: ctx.get(name, "") for name in wanted})


def cite(source: str) -> Msg:
    """A legal source as the reader reads it: the ``source.*`` entry whose English is
    ``source`` (``《上海市住宅物业管理规定》第五十一条`` for "Shanghai 住宅物业管理规定 art. 51").
    The rules keep their sources as English constants (the rules file's comments and the
    violations' ``source`` carry them); a source without an entry is shown as it is written,
    and tests/test_messages.py fails for every source the rules cite without one."""
    key = _SOURCES.get(source)
    return msg(key) if key is not None else msg("common.text", text=source)


_SOURCES = {entry.en: key for key, entry in CATALOGUE.items() if key.startswith("source.")}


def placeholders(template: str) -> set[str]:
    """The named placeholders of a template, for the catalogue's own test."""
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*")


def parse_lang(value: str | None) -> Lang | None:
    """``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``en-GB``... as one of :data:`LANGS`, else None."""
    if not value:
        return None
    found = _TAG.match(value)
    if found is None:
        return None
    tag = found.group(1).lower()
    return cast(Lang, tag) if tag in LANGS else None


def from_accept_language(header: str | None) -> Lang | None:
    """The best of :data:`LANGS` an ``Accept-Language`` header asks for (by its q-values)."""
    if not header:
        return None
    ranked: list[tuple[float, int, Lang]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        weight = 1.0
        if rest.strip().startswith("q="):
            try:
                weight = float(rest.strip()[2:])
            except ValueError:
                weight = 0.0
        lang = parse_lang(tag)
        if lang is not None and weight > 0:
            ranked.append((-weight, index, lang))
    return min(ranked)[2] if ranked else None


def negotiate(query: str | None, accept_language: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """The reader's language: ``?lang=`` first, then ``Accept-Language``, then the default."""
    return parse_lang(query) or from_accept_language(accept_language) or default
