"""What differs between SQLite and PostgreSQL, one small piece each.

Store code writes its SQL once, with ``?`` (or ``:name``) parameters as
sqlite3 takes them, and asks :func:`of` for the few fragments that differ:

* **placeholders**: kept as ``?``/``:name`` in the source. SQLite runs them
  as they are (nothing added on its path); a PostgreSQL engine rewrites
  driver-level statements to psycopg's ``%s``/``%(name)s`` in
  :func:`translate` (cached), and passes Python ``bool`` as 0/1 since the
  flags are integer columns on both (see :func:`install_placeholders`).
* **id and text lists**: :meth:`Dialect.values` / :meth:`Dialect.table` turn
  one JSON-array parameter into rows named ``value`` (``json_each`` versus
  ``json_array_elements_text``), so callers pass ``json.dumps(ids)`` on both.
* **upsert / insert-or-ignore**: written portably as ``INSERT … ON CONFLICT``
  (both engines support it; an ``INSERT … SELECT`` carries ``WHERE true``).
* **new row ids**: ``RETURNING id`` (both), never ``cursor.lastrowid``.
* **time**: :attr:`Dialect.now_iso` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``).
* **case-insensitive order and matching**: :meth:`Dialect.nocase`,
  :meth:`Dialect.ilike` (``LIKE`` is case-sensitive on PostgreSQL).
* **text aggregation**: :meth:`Dialect.group_concat`.
* **count slots**: :attr:`Dialect.count_slot`, the ``article_counts.slot`` this
  connection writes (its server process id modulo ``COUNT_SLOTS`` on
  PostgreSQL, as the count triggers do; 0 on SQLite).
* **search**: :meth:`Dialect.search_clause` / :meth:`Dialect.search_param`:
  FTS5 ``MATCH`` on ``articles_fts`` versus the generated ``articles.search``
  ``tsvector`` (GIN index) with a prefix ``to_tsquery('simple', …)``; both index
  and query text without Arabic and Hebrew points (``words.strip_points``).
* **transactions**: SQLite writers ``BEGIN IMMEDIATE`` (in ``db.make_engine``);
  PostgreSQL keeps its default ``READ COMMITTED`` and read engines open
  read-only transactions.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

COUNT_SLOTS = 64
"""PostgreSQL count rows per key (the writer's backend pid modulo this); the same
number as migration v0005_notify's, which stays frozen (a test checks they agree)."""


class Dialect:
    """SQLite's fragments; :class:`Postgres` overrides what differs."""

    name = "sqlite"
    now_iso = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    has_fts_table = True

    def values(self, sql_type: str = "bigint") -> str:
        """A subquery yielding one JSON-array parameter's items as rows (``IN (…)``)."""
        return "SELECT value FROM json_each(?)"

    def table(self, alias: str, sql_type: str = "bigint") -> str:
        """A FROM item over one JSON-array parameter, its column named ``value``."""
        return f"json_each(?) {alias}"

    def rows(self, alias: str, types: tuple[str, ...]) -> tuple[list[str], str]:
        """(column expressions, FROM item) over one parameter holding a JSON array of
        rows (arrays), ``types`` their SQL types: many rows in one statement."""
        return [f"json_extract({alias}.value, '$[{i}]')" for i in range(len(types))], (
            f"json_each(?) {alias}"
        )

    def nocase(self, expr: str) -> str:
        """``expr`` for ordering or comparing without regard to case."""
        return f"{expr} COLLATE NOCASE"

    def ilike(self, expr: str) -> str:
        """A case-insensitive ``LIKE ?`` on ``expr``."""
        return f"{expr} LIKE ?"

    def group_concat(self, expr: str, separator_sql: str) -> str:
        """Aggregate text values of ``expr`` joined by ``separator_sql``."""
        return f"group_concat({expr}, {separator_sql})"

    def chr(self, code: int) -> str:
        """A one-character string literal expression."""
        return f"char({int(code)})"

    greatest = "max"
    """The larger of two values (a scalar function, not the aggregate)."""
    count_slot = "0"
    """The ``article_counts.slot`` a writing connection uses (SQLite: one writer, 0)."""
    fixed_join = "CROSS JOIN"
    """An inner join whose left table the planner must read first (SQLite's hint)."""

    def json_array_agg(self, expr: str) -> str:
        """Aggregate values of ``expr`` into JSON array text (``'[]'`` when none)."""
        return f"json_group_array({expr})"

    def search_param(self, text: str) -> str | None:
        """The bound value for :meth:`search_clause` (None: the text has no words).

        Each word a quoted FTS5 phrase: a word with combining marks (Hindi vowel signs),
        which FTS5's tokenizer cuts in pieces, must match those pieces in a row. Arabic
        and Hebrew points are dropped, as from the indexed text (``v0008_search_points``).
        """
        from desktop.words import point_free_words

        words = point_free_words(text)
        if not words:
            return None
        quoted = [f'"{w}"' for w in words]
        quoted[-1] += "*"
        return " ".join(quoted)

    def search_clause(self, id_expr: str) -> str:
        """A condition on article id ``id_expr`` that one :meth:`search_param` must match."""
        return f"{id_expr} IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"

    def search_count(self) -> str:
        """Count matches of one search parameter, up to a second (limit) parameter."""
        return (
            "SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)"
        )


class Postgres(Dialect):
    """PostgreSQL 15 (psycopg 3)."""

    name = "postgresql"
    now_iso = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    has_fts_table = False

    def values(self, sql_type: str = "bigint") -> str:
        if sql_type == "text":
            return "SELECT value FROM json_array_elements_text(CAST(? AS json))"
        return f"SELECT CAST(value AS {sql_type}) FROM json_array_elements_text(CAST(? AS json))"

    def table(self, alias: str, sql_type: str = "bigint") -> str:
        return f"({self.values(sql_type)}) AS {alias}(value)"

    def rows(self, alias: str, types: tuple[str, ...]) -> tuple[list[str], str]:
        columns = [
            f"{alias}.value->>{i}" if t == "text" else f"CAST({alias}.value->>{i} AS {t})"
            for i, t in enumerate(types)
        ]
        return columns, f"json_array_elements(CAST(? AS json)) AS {alias}(value)"

    def nocase(self, expr: str) -> str:
        return f"lower({expr})"

    def ilike(self, expr: str) -> str:
        return f"{expr} ILIKE ?"

    def group_concat(self, expr: str, separator_sql: str) -> str:
        return f"string_agg({expr}, {separator_sql})"

    def chr(self, code: int) -> str:
        return f"chr({int(code)})"

    greatest = "greatest"
    fixed_join = "JOIN"
    count_slot = f"pg_backend_pid() % {COUNT_SLOTS}"

    def json_array_agg(self, expr: str) -> str:
        return f"CAST(coalesce(json_agg({expr}), '[]') AS text)"

    def search_param(self, text: str) -> str | None:
        from desktop.words import point_free_words

        # PostgreSQL's parser keeps a word's marks too; points are not indexed (v8)
        words = point_free_words(text)
        if not words:
            return None
        return " & ".join([*(f"'{w}'" for w in words[:-1]), f"'{words[-1]}':*"])

    def search_clause(self, id_expr: str) -> str:
        column = id_expr.lstrip("+").rpartition(".")[0] or "articles"
        return f"{column}.search @@ to_tsquery('simple', ?)"

    def search_count(self) -> str:
        return (
            "SELECT count(*) FROM (SELECT 1 FROM articles "
            "WHERE search @@ to_tsquery('simple', ?) LIMIT ?) m"
        )


SQLITE = Dialect()
POSTGRES = Postgres()


def of(conn: Any) -> Dialect:
    """The dialect of a SQLAlchemy connection (or of ``ReadOnlyConnection``: SQLite)."""
    dialect = getattr(conn, "dialect", None)
    if dialect is not None and dialect.name == "postgresql":
        return POSTGRES
    return SQLITE


def is_url(target: object) -> bool:
    """Whether a ``--database`` value is a server URL rather than a SQLite file path."""
    return isinstance(target, str) and target.startswith(("postgresql:", "postgresql+"))


# -- placeholders on PostgreSQL ------------------------------------------------
@cache
def _tokens() -> re.Pattern[str]:
    """The SQL tokens placeholders care about (compiled on first use: SQLite never needs
    it, and the window's start-up imports this module)."""
    return re.compile(
        r"""('(?:[^']|'')*')"""  # a string literal
        r"""|("(?:[^"]|"")*")"""  # a quoted identifier
        r"""|(--[^\n]*)"""  # a comment
        r"""|(::)"""  # a PostgreSQL cast
        r"""|(\?)"""  # a positional parameter
        r"""|(?<![\w:]):([A-Za-z_]\w*)"""  # a named parameter
        r"""|(%)"""  # a literal percent sign
    )


def _replace(m: re.Match[str]) -> str:
    literal, ident, comment, cast, qmark, name, _percent = m.groups()
    if literal is not None:
        return literal.replace("%", "%%")
    if ident is not None or comment is not None:
        return (ident or comment or "").replace("%", "%%")
    if cast is not None:
        return cast
    if qmark is not None:
        return "%s"
    if name is not None:
        return f"%({name})s"
    return "%%"


@lru_cache(maxsize=2048)
def translate(statement: str) -> str:
    """sqlite3's ``?``/``:name`` parameters → psycopg's ``%s``/``%(name)s`` (``%`` doubled)."""
    return _tokens().sub(_replace, statement)


def _plain(value: Any) -> Any:
    return int(value) if value is True or value is False else value


def _params(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {k: _plain(v) for k, v in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return tuple(_plain(v) for v in parameters)
    return parameters


def install_placeholders(engine: Any) -> None:
    """Rewrite driver-level statements (``exec_driver_sql``) of a PostgreSQL engine.

    Statements compiled by SQLAlchemy (``text()``, Core, ORM) already carry the
    driver's parameter style and pass through unchanged.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _rewrite(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if context is not None and getattr(context, "compiled", None) is not None:
            return statement, parameters
        if executemany:
            return translate(statement), [_params(p) for p in parameters]
        return translate(statement), _params(parameters if parameters is not None else ())
