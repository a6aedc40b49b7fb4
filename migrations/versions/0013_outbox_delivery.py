"""outbox delivery: stable Message-ID, claim token and lease, awaiting-reply marker,
expiry, unconfirmed/expired statuses, refusals and purging

Revision ID: 0013_outbox_delivery
Revises: 0012_course_place
Create Date: 2026-12-01 10:00:00

"""
from email.utils import make_msgid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_outbox_delivery'
down_revision = '0012_course_place'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sent', 'logged', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sent', 'logged', 'failed', 'unconfirmed', 'expired')"


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('awaiting_reply_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))

    # Messages already queued get their Message-ID now (kept for every later attempt).
    bind = op.get_bind()
    outbox = sa.table('outbox_messages', sa.column('id', sa.Integer), sa.column('message_id', sa.String))
    ids = [row.id for row in bind.execute(sa.select(outbox.c.id))]
    for message_id in ids:
        bind.execute(
            outbox.update().where(outbox.c.id == message_id).values(message_id=make_msgid(domain="rec-portal"))
        )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_message_id'), ['message_id'])
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_messages_status_known'), NEW_STATUSES)
        batch_op.create_index('ix_outbox_messages_to_address_refused_at', ['to_address', 'refused_at'], unique=False)


def downgrade():
    # The two new statuses do not exist before: such messages count as failed.
    op.execute("UPDATE outbox_messages SET status = 'failed' WHERE status IN ('unconfirmed', 'expired')")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_to_address_refused_at')
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_messages_status_known'), OLD_STATUSES)
        batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_message_id'), type_='unique')
        batch_op.drop_column('purged_at')
        batch_op.drop_column('refused_at')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('awaiting_reply_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('message_id')
