"""Every foreign key's columns lead some index (or the primary key, or a unique constraint):
a one-column key is that index's first column; a composite key is its first columns, in
any order."""

from sqlalchemy import ForeignKeyConstraint, Index, PrimaryKeyConstraint, UniqueConstraint

from rec_portal.extensions import db


def _leading_column_sets(table) -> list[list[str]]:
    covers = [list(idx.columns.keys()) for idx in table.indexes if isinstance(idx, Index)]
    covers += [list(c.columns.keys()) for c in table.constraints
               if isinstance(c, (PrimaryKeyConstraint, UniqueConstraint)) and len(c.columns)]
    return covers


def test_every_foreign_key_is_indexed(app):
    missing = []
    for table in db.metadata.sorted_tables:
        covers = _leading_column_sets(table)
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            columns = set(fk.columns.keys())
            if not any(set(cover[: len(columns)]) == columns for cover in covers):
                missing.append(f"{table.name}.({', '.join(sorted(columns))})")
    assert missing == []


def test_a_composite_key_needs_its_columns_first_in_one_index():
    """The rule itself: (a, b) is covered by an index on (b, a, c), not by one on (a, c, b)."""
    from sqlalchemy import Column, Integer, MetaData, Table

    meta = MetaData()
    Table("parent", meta, Column("a", Integer, primary_key=True), Column("b", Integer, primary_key=True))
    child = Table(
        "child", meta, Column("id", Integer, primary_key=True),
        Column("a", Integer), Column("b", Integer), Column("c", Integer),
        ForeignKeyConstraint(["a", "b"], ["parent.a", "parent.b"]),
        Index("ix_acb", "a", "c", "b"),
    )
    fk = next(c for c in child.constraints if isinstance(c, ForeignKeyConstraint))
    wanted = set(fk.columns.keys())
    assert not any(set(cover[:2]) == wanted for cover in _leading_column_sets(child))
    Index("ix_bac", child.c.b, child.c.a, child.c.c)
    assert any(set(cover[:2]) == wanted for cover in _leading_column_sets(child))
