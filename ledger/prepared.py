"""Statements of the posting path, compiled once per database dialect and run on the driver's
cursor.

A post runs about six statements. Through SQLAlchemy each one pays for an execution context,
events, cache-key generation and result wrapping: about a tenth of a millisecond of Python per
statement, half of what a whole post may cost (profiled), which a bulk post of thousands of
entries or a fold over the whole journal pays thousands of times. Here the SQL text comes from
the same SQLAlchemy constructs, compiled for the engine's dialect, and every value goes through
the column type's own bind and result processors, so the database sees exactly what the ORM
would have written (a test compares the rows). Errors come back as SQLAlchemy's exceptions
(``IntegrityError`` and so on) so callers handle one family.

Only the hot path uses this; everything else speaks SQLAlchemy.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement for one dialect: its SQL text, its parameters in the driver's order with
    their bind processors, and (for a query) the result processors of its columns."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)  # a SQLCompiler
        self.sql = compiled.string
        self.dialect = dialect
        self.positional = bool(compiled.positional)
        binds = compiled.binds
        keys: Sequence[str] = list(compiled.positiontup or ()) if self.positional else list(binds)
        # (name the driver sees, name in the caller's values, bind processor); parameters
        # with a value in the statement itself (``column == "x"``) keep it in ``fixed``.
        self.bind: tuple[tuple[str, str, Processor], ...] = tuple(
            (
                compiled.bind_names[binds[key]],
                binds[key].key,
                binds[key].type.dialect_impl(dialect).bind_processor(dialect),
            )
            for key in keys
        )
        self.fixed = {binds[k].key: binds[k].value for k in keys if not binds[k].required}
        # The hot loop of a bulk insert: values picked in one C call, and only the
        # parameters with a processor (dates and times on SQLite) touched in Python.
        self._pick = _picker(tuple(key for _, key, _ in self.bind))
        self._process_params = _converter(
            tuple((index, process) for index, (_, _, process) in enumerate(self.bind) if process)
        )
        self._names = tuple(name for name, _, _ in self.bind)
        columns = getattr(statement, "selected_columns", None)
        self.columns: tuple[str, ...] = ()
        self.results: tuple[Processor, ...] = ()
        if columns is not None:
            self.columns = tuple(c.key for c in columns)
            self.results = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            )
        self._process_row = _converter(
            tuple((index, process) for index, process in enumerate(self.results) if process)
        )

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.fixed:
            values = {**self.fixed, **values}
        row = self._process_params(self._pick(values))
        if self.positional:
            return row
        return dict(zip(self._names, row, strict=True))

    def _run(self, cursor: Any, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                self.sql, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from exc

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run once; the number of rows changed."""
        cursor = _cursor(connection)
        try:
            self._run(cursor, lambda: cursor.execute(self.sql, self.params(values)))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, connection: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        params = [self.params(row) for row in rows]
        if not params:
            return
        cursor = _cursor(connection)
        try:
            if len(params) == 1:
                self._run(cursor, lambda: cursor.execute(self.sql, params[0]))
            else:
                self._run(cursor, lambda: cursor.executemany(self.sql, params))
        finally:
            cursor.close()

    def tuples(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """A query's rows as tuples in column order, each value through its result
        processor (only the columns that have one are touched: a bulk read's loop)."""
        cursor = _cursor(connection)
        try:
            self._run(cursor, lambda: cursor.execute(self.sql, self.params(values)))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return list(map(self._process_row, fetched))

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A query's rows as dicts keyed by column (see :meth:`tuples`)."""
        return [
            dict(zip(self.columns, row, strict=True)) for row in self.tuples(connection, values)
        ]


def _converter(
    converted: tuple[tuple[int, Callable[[Any], Any]], ...],
) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """``row -> row`` as a tuple with ``process`` applied at each ``(index, process)``."""
    if not converted:
        return tuple

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index, process in converted:
            values[index] = process(values[index])
        return tuple(values)

    return convert


def _picker(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """``values -> (values[k] for k in keys)`` as a tuple, in C for more than one key."""
    if not keys:
        return lambda _values: ()
    if len(keys) == 1:
        (key,) = keys
        return lambda values: (values[key],)
    return operator.itemgetter(*keys)


@contextmanager
def batched(connection: Connection) -> Iterator[None]:
    """Send the statements run inside to PostgreSQL without waiting for each one's answer
    (psycopg's pipeline mode): the posting path's inserts and updates cost one round trip
    instead of one each, while the community's row lock is held. An error surfaces when the
    block ends, as SQLAlchemy's exception like any other; on SQLite (no round trips) this is
    nothing. Only for statements whose results are not read inside the block."""
    driver = connection.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None)
    if connection.dialect.name != "postgresql" or pipeline is None:
        yield
        return
    error = connection.dialect.loaded_dbapi.Error
    try:
        with pipeline():
            yield
    except error as exc:
        dialect = connection.dialect
        raise DBAPIError.instance("(pipeline)", None, exc, error, dialect=dialect) from exc


def _cursor(connection: Connection) -> Any:
    """A cursor on the driver connection under ``connection`` (in its open transaction)."""
    return connection.connection.cursor()


def insert_of(table: Table, columns: Iterable[str]) -> ClauseElement:
    """``INSERT INTO table (columns...) VALUES (...)``, one parameter per column, named by it
    (an autoincrement key left out is assigned by the database on every backend)."""
    return insert(table).values({name: bindparam(name) for name in columns})


class Statements:
    """Prepared statements by name, each compiled on first use for a dialect. Module-level
    instances hold a path's statements::

        SQL = Statements(head=lambda: select(...), ...)
        SQL("head", connection.dialect).rows(connection, {"slug": slug})
    """

    def __init__(self, **builders: Callable[[], ClauseElement]) -> None:
        self._builders = builders
        self._prepared: dict[tuple[str, str, str], Prepared] = {}

    def __call__(self, name: str, dialect: Dialect) -> Prepared:
        key = (name, dialect.name, dialect.driver)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = Prepared(self._builders[name](), dialect)
        return prepared
