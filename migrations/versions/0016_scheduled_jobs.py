"""scheduled jobs: when each periodic job (``rec run-due``) last ran, and who holds it

Revision ID: 0016_scheduled_jobs
Revises: 0015_recovery_college
Create Date: 2026-12-07 17:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_scheduled_jobs'
down_revision = '0015_recovery_college'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduled_jobs',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_started_at', sa.DateTime(), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_ok', sa.Boolean(), nullable=True),
    sa.Column('last_summary', sa.String(length=500), server_default='', nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('run_by', sa.String(length=120), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduled_jobs'))
    )


def downgrade():
    op.drop_table('scheduled_jobs')
