"""reaching everyone: people without email (added by staff, invitations to claim an
account), text messages in the outbox, the staff call list, waiting-list offers that wait
for an answer, messages to a class, supporters

Revision ID: 0014_reaching_everyone
Revises: 0013_outbox_delivery
Create Date: 2026-12-07 12:52:38

"""
import sqlalchemy as sa
from alembic import op

OLD_BOOKING_STATUSES = "status IN ('confirmed', 'waitlisted', 'cancelled')"
NEW_BOOKING_STATUSES = "status IN ('confirmed', 'waitlisted', 'cancelled', 'offered')"
CHANNELS = "channel IN ('email', 'text')"


# revision identifiers, used by Alembic.
revision = '0014_reaching_everyone'
down_revision = '0013_outbox_delivery'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_account_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_invitations_token_hash'))
    )
    with op.batch_alter_table('account_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_invitations_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_invitations_invited_by_id'), ['invited_by_id'], unique=False)

    op.create_table('class_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('include_waiting', sa.Boolean(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('by_email', sa.Integer(), nullable=False),
    sa.Column('by_text', sa.Integer(), nullable=False),
    sa.Column('by_call_list', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_class_messages_sender_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_class_messages_session_id_course_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_messages'))
    )
    with op.batch_alter_table('class_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_messages_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_messages_sender_id'), ['sender_id'], unique=False)

    op.create_table('contact_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('useless_after', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('outcome_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("method IN ('phone', 'letter')", name=op.f('ck_contact_tasks_method_known')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_contact_tasks_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outcome_by_id'], ['users.id'], name=op.f('fk_contact_tasks_outcome_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_contact_tasks_session_id_course_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_tasks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tasks'))
    )
    with op.batch_alter_table('contact_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_tasks_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_contact_tasks_closed_at_created_at', ['closed_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_tasks_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_tasks_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_tasks_outcome_by_id'), ['outcome_by_id'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('offer_lapsed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_minute_told_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('supporter', sa.String(length=20), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_bookings_offer_expires_at'), ['offer_expires_at'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_bookings_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bookings_status_known'), NEW_BOOKING_STATUSES)

    with op.batch_alter_table('student_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_address', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supporters_take_place', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='email', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_outbox_messages_channel_known'), CHANNELS)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_taken_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_note', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('added_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=True)
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=255),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_users_added_by_id_users'), 'users', ['added_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_users_consent_taken_by_id_users'), 'users', ['consent_taken_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_users_added_by_id'), ['added_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_consent_taken_by_id'), ['consent_taken_by_id'], unique=False)



def downgrade():
    # Before this revision every account had an address and a password: a person added by
    # staff gets an address that cannot receive mail and a password nobody can use; a held
    # offer goes back to the waiting list; text messages are dropped.
    op.execute("UPDATE users SET email = 'no-email-' || id || '@invalid' WHERE email IS NULL")
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    op.execute("UPDATE bookings SET status = 'waitlisted' WHERE status = 'offered'")
    op.execute("DELETE FROM outbox_messages WHERE channel = 'text'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_consent_taken_by_id'))
        batch_op.drop_index(batch_op.f('ix_users_added_by_id'))
        batch_op.drop_constraint(batch_op.f('fk_users_consent_taken_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_users_added_by_id_users'), type_='foreignkey')
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=255),
               nullable=False)
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=False)
        batch_op.drop_column('added_by_id')
        batch_op.drop_column('consent_note')
        batch_op.drop_column('consent_taken_by_id')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_messages_channel_known'), type_='check')
        batch_op.drop_column('channel')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('supporters_take_place')

    with op.batch_alter_table('student_profiles', schema=None) as batch_op:
        batch_op.drop_column('postal_address')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_offer_expires_at'))
        batch_op.drop_constraint(batch_op.f('ck_bookings_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bookings_status_known'), OLD_BOOKING_STATUSES)
        batch_op.drop_column('supporter')
        batch_op.drop_column('cancelled_reason')
        batch_op.drop_column('last_minute_told_at')
        batch_op.drop_column('offer_lapsed_at')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('offered_at')

    with op.batch_alter_table('contact_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_tasks_user_id'))
        batch_op.drop_index(batch_op.f('ix_contact_tasks_outcome_by_id'))
        batch_op.drop_index(batch_op.f('ix_contact_tasks_session_id'))
        batch_op.drop_index('ix_contact_tasks_closed_at_created_at')
        batch_op.drop_index(batch_op.f('ix_contact_tasks_booking_id'))

    op.drop_table('contact_tasks')
    with op.batch_alter_table('class_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_messages_session_id'))
        batch_op.drop_index(batch_op.f('ix_class_messages_sender_id'))

    op.drop_table('class_messages')
    with op.batch_alter_table('account_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_invitations_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_invitations_invited_by_id'))

    op.drop_table('account_invitations')
