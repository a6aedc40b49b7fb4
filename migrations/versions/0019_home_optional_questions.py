"""the home page's optional questions: when a student said "not now"

Revision ID: 0019_home_optional_questions
Revises: 0018_bookings_queued_at
Create Date: 2026-12-07 23:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_home_optional_questions'
down_revision = '0018_bookings_queued_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('optional_questions_not_now_at', sa.DateTime(), nullable=True))
    # Students enrolled before this were offered the questions once, at enrolment: the home
    # page does not ask them again (the questions stay in My account).
    op.execute(sa.text(
        "UPDATE users SET optional_questions_not_now_at = CURRENT_TIMESTAMP "
        "WHERE id IN (SELECT user_id FROM user_roles WHERE role = 'student')"
    ))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('optional_questions_not_now_at')
