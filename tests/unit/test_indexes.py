"""Every foreign key is the leading column of some index (or of the primary key)."""

from rec_portal.extensions import db


def test_every_foreign_key_is_indexed(app):
    missing = []
    for table in db.metadata.sorted_tables:
        leading = {idx.columns[0].name for idx in table.indexes if idx.columns}
        leading |= {c.columns[0].name for c in table.constraints
                    if hasattr(c, "columns") and c.__class__.__name__ in ("PrimaryKeyConstraint", "UniqueConstraint") and len(c.columns)}
        for fk in table.foreign_keys:
            if fk.parent.name not in leading:
                missing.append(f"{table.name}.{fk.parent.name}")
    assert missing == []
