"""bookings by when they were made: the term report's "bookings made in the term" reads
only that term's rows instead of all of them

Revision ID: 0018_bookings_queued_at
Revises: 0017_catalogue_search
Create Date: 2026-12-07 18:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_bookings_queued_at'
down_revision = '0017_catalogue_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_queued_at', ['queued_at'], unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_queued_at')
