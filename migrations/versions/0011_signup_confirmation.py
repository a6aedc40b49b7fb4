"""sign-ups wait for the email address to be confirmed

Registration no longer creates an account at once: the details wait in pending_signups
until the link sent to the address is followed. Accounts that exist already were made
before this change (or by staff) and stay as they are: they count as confirmed.

Revision ID: 0011_signup_confirmation
Revises: 0010_outcome_quarters
Create Date: 2026-12-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_signup_confirmation'
down_revision = '0010_outcome_quarters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('preferred_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('profile', sa.Text(), nullable=False),
    sa.Column('privacy_consent_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_signups')),
    sa.UniqueConstraint('email', name=op.f('uq_pending_signups_email')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_signups_token_hash'))
    )
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_signups_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_signups_expires_at'))

    op.drop_table('pending_signups')
