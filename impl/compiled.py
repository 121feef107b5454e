"""Hot statements compiled once from SQLAlchemy Core and run on the DBAPI cursor the SQLAlchemy connection wraps.

SQLAlchemy stays the single source of every statement, its types and its dialect; only the per-execution
machinery is skipped. Measured in-process on SQLite (see bench/inprocess.py): a Core `execute` of GET-one cost
~66 us against ~10 us on the raw cursor, and most of a request's database time was that machinery.

Rows come back as dicts keyed by column (what the services validate into models), each built by a function
compiled once per statement: a dict display with the value processors inlined took 20 us for a page of 20 items
against 40 us for a loop over the processors followed by `dict(zip(...))` (profiled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any]
Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for one dialect: SQL text, positional bind order, and the row-to-record function."""

    sql: str
    binds: tuple[tuple[str, Processor | None], ...]
    record: Callable[[Sequence[Any]], Record]


def _record_function(keys: Sequence[str], processors: Sequence[Processor | None]) -> Callable[[Sequence[Any]], Record]:
    """`lambda r: {"id": r[0], "tags": p5(r[5]), ...}` for these columns, compiled once (the way `dataclasses`
    compiles `__init__`): keys are written as literals (`repr`), processors are passed in by name, never as text."""
    namespace = {f"p{index}": process for index, process in enumerate(processors) if process is not None}
    values = (
        f"p{index}(r[{index}])" if process is not None else f"r[{index}]" for index, process in enumerate(processors)
    )
    display = ", ".join(f"{key!r}: {value}" for key, value in zip(keys, values, strict=True))
    function: Callable[[Sequence[Any]], Record] = eval(f"lambda r: {{{display}}}", namespace)
    return function


class Query:
    """A SELECT, or a DML statement with RETURNING, whose rows come back as dicts of processed values by column key.

    `columns` are the bind keys an INSERT is compiled for (an INSERT otherwise compiles every column).
    """

    def __init__(self, statement: Select[Any] | UpdateBase, *, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        # Whether it can change rows: a write earns its connection the commit watch's callbacks (impl/db.py).
        self.writes = not isinstance(statement, Select)
        self._columns = list(columns) if columns is not None else None
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        """The statement compiled for `dialect` (once per dialect)."""
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = self.statement.compile(dialect=dialect, column_keys=self._columns)
        if dialect.paramstyle not in ("qmark", "numeric", "format") or compiled.positiontup is None:
            raise TypeError(f"{dialect.name}: only positional paramstyles run on the raw cursor")
        # `dialect_impl`: the type as this dialect runs it (SQLite's DATETIME parses strings, a TypeDecorator wraps it).
        binds = tuple(
            (compiled.binds[name].key, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        )
        columns = (
            self.statement.selected_columns if isinstance(self.statement, Select) else self.statement.exported_columns
        )
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        keys = [key for key in columns.keys() if key is not None]  # iterating a ColumnCollection yields columns
        if len(keys) != len(processors):
            raise TypeError("every column of a Query needs a name (label the expressions)")
        return _Plan(compiled.string, binds, _record_function(keys, processors))


def run_on_cursor(plan: _Plan, cursor: Any, parameters: Mapping[str, Any]) -> list[Record]:
    """Execute `plan` with `parameters` on a DBAPI cursor; each row as a dict of processed values by column key."""
    values = [parameters[key] if process is None else process(parameters[key]) for key, process in plan.binds]
    cursor.execute(plan.sql, values)
    return list(map(plan.record, cursor.fetchall()))
