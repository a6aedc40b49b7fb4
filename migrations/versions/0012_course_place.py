"""one place per person per course: when a person passed over was told they can swap

Revision ID: 0012_course_place
Revises: 0011_signup_confirmation
Create Date: 2026-12-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_course_place'
down_revision = '0011_signup_confirmation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('swap_offered_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('swap_offered_at')
