"""Query expressions the apps share."""

from django.db.models import BooleanField, Func, Subquery


class InSubquery(Func):
    """``column IN (subquery)``, written on PostgreSQL as ``column = ANY(ARRAY(subquery))``.

    Inside an OR, PostgreSQL cannot turn ``IN (subquery)`` into a join: it filters every
    row with a hashed subplan, a sequential scan of the whole table. ``= ANY(ARRAY(...))``
    runs the subquery once, first (an InitPlan), and compares the column with an array,
    which an index on the column serves, so each arm of the OR becomes an index scan
    (a BitmapOr). Use ``Q(InSubquery("child", children.values("pk"))) | Q(...)``.
    """

    template = "%(column)s IN %(subquery)s"
    output_field = BooleanField()
    conditional = True

    def __init__(self, column, queryset, **extra):
        # Unordered, as ``__in`` makes it: a model's default ordering would sort the set.
        super().__init__(column, Subquery(queryset.order_by()), **extra)

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        # A subquery that can match nothing raises EmptyResultSet here, which the WHERE
        # clause reads as "no row matches this arm" (Func would write NULL in its place).
        subquery_sql, subquery_params = compiler.compile(subquery)
        sql = (template or self.template) % {"column": column_sql, "subquery": subquery_sql}
        return sql, (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        # The subquery compiles in parentheses: ARRAY(SELECT ...).
        return self.as_sql(compiler, connection, template="%(column)s = ANY(ARRAY%(subquery)s)")
