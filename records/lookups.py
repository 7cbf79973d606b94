"""Substring lookups that PostgreSQL's trigram indexes can serve, with the same answers on
SQLite.

Django's `icontains` on PostgreSQL is `UPPER(x) LIKE UPPER(pattern)`, which no index serves;
`x ILIKE pattern` folds case the same way and a `gin_trgm_ops` index serves it. `contains` is
`LIKE` on PostgreSQL (case-sensitive there, and indexable) but `instr` on SQLite, whose LIKE
ignores ASCII case.
"""

from django.db.models import lookups


class TrigramIContains(lookups.IContains):
    def as_postgresql(self, compiler, connection):
        # The plain left-hand side: process_lhs would wrap it in UPPER(), which the index on
        # the bare column cannot serve.
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs_sql})::text ILIKE {rhs_sql}", (*lhs_params, *rhs_params)


class CaseSensitiveContains(lookups.Contains):
    def as_sqlite(self, compiler, connection):
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        # The needle itself, not the LIKE pattern process_rhs would build.
        if hasattr(self.rhs, "resolve_expression"):
            rhs_sql, rhs_params = compiler.compile(self.rhs)
        else:
            rhs_sql, rhs_params = "%s", (self.rhs,)
        return f"instr({lhs_sql}, {rhs_sql}) > 0", (*lhs_params, *rhs_params)


class TrigramIExact(lookups.IExact):
    """Equal regardless of case, as an ILIKE without wildcards on PostgreSQL, which the
    trigram index on the bare column serves (IExact's UPPER() = UPPER() would not)."""

    def as_postgresql(self, compiler, connection):
        lhs_sql, lhs_params = compiler.compile(self.lhs)
        pattern = connection.ops.prep_for_like_query(self.rhs)
        return f"({lhs_sql})::text ILIKE %s", (*lhs_params, pattern)
