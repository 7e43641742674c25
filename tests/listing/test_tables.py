"""The listings' lightweight table clauses (gateway.store.tables) name the model's
columns: the same names, each of the model's type."""

from __future__ import annotations

import pytest
from sqlalchemy import TableClause

from gateway.store import tables
from gateway.store.model import Base


@pytest.mark.parametrize("clause", [tables.tickets, tables.users, tables.messages], ids=str)
def test_columns_are_the_models(clause: TableClause) -> None:
    schema = Base.metadata.tables[clause.name]
    for column in clause.c:
        assert column.name in schema.c, f"{clause.name}.{column.name} is not in the model"
        # The type decides how values are bound and read (booleans, UTC datetimes).
        assert type(column.type) is type(schema.c[column.name].type), column.name
