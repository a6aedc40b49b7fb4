"""recovery college: personal tutors and learning-plan conversations, referrals from
professionals, confidential support requests (and facilitators' concerns moved out of
feedback), learning pathways, equality monitoring (answers, and each ended term's stored
counts); the tutor and support lead roles

Revision ID: 0015_recovery_college
Revises: 0014_reaching_everyone
Create Date: 2026-12-07 14:45:03

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

VENUE_QUESTION = "Anything else about the session or the venue?"
VENUE_HINT = ("For example the room, the equipment or the timings. If you are worried about someone's safety, "
              "use the separate \"I am worried about someone's safety\" section instead: it goes to the "
              "support lead, not into feedback.")
OLD_ROLES = "role IN ('student', 'facilitator', 'admin')"
NEW_ROLES = "role IN ('student', 'facilitator', 'admin', 'tutor', 'support_lead')"


# revision identifiers, used by Alembic.
revision = '0015_recovery_college'
down_revision = '0014_reaching_everyone'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pathways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), server_default='', nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('required_count', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("rule IN ('in_order', 'any_of')", name=op.f('ck_pathways_rule_known')),
    sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name=op.f('ck_pathways_status_known')),
    sa.CheckConstraint('required_count IS NULL OR required_count >= 1', name=op.f('ck_pathways_count_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathways')),
    sa.UniqueConstraint('slug', name=op.f('uq_pathways_slug'))
    )
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathways_status'), ['status'], unique=False)

    op.create_table('equality_answers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('age_band', sa.String(length=40), server_default='', nullable=False),
    sa.Column('sex', sa.String(length=40), server_default='', nullable=False),
    sa.Column('gender_identity', sa.String(length=40), server_default='', nullable=False),
    sa.Column('ethnicity', sa.String(length=40), server_default='', nullable=False),
    sa.Column('disability', sa.String(length=40), server_default='', nullable=False),
    sa.Column('sexual_orientation', sa.String(length=40), server_default='', nullable=False),
    sa.Column('religion', sa.String(length=40), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_equality_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_equality_answers'))
    )
    op.create_table('equality_terms',
    sa.Column('term_key', sa.String(length=20), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('term_key', name=op.f('pk_equality_terms'))
    )
    op.create_table('equality_term_figures',
    sa.Column('term_key', sa.String(length=20), nullable=False),
    sa.Column('question', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_equality_term_figures_count_not_negative')),
    sa.ForeignKeyConstraint(['term_key'], ['equality_terms.term_key'], name=op.f('fk_equality_term_figures_term_key_equality_terms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term_key', 'question', 'code', name=op.f('pk_equality_term_figures'))
    )
    op.create_table('pathway_courses',
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_pathway_courses_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_courses_pathway_id_pathways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pathway_id', 'course_id', name=op.f('pk_pathway_courses'))
    )
    with op.batch_alter_table('pathway_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_courses_course_id'), ['course_id'], unique=False)

    op.create_table('plan_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('tutor_id', sa.Integer(), nullable=True),
    sa.Column('way', sa.String(length=20), nullable=False),
    sa.Column('when_suits', sa.String(length=300), server_default='', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('arranged_for', sa.DateTime(), nullable=True),
    sa.Column('arranged_details', sa.String(length=300), server_default='', nullable=False),
    sa.Column('arranged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'arranged', 'held', 'cancelled')", name=op.f('ck_plan_conversations_status_known')),
    sa.CheckConstraint("way IN ('in_person', 'phone', 'video')", name=op.f('ck_plan_conversations_way_known')),
    sa.ForeignKeyConstraint(['arranged_by_id'], ['users.id'], name=op.f('fk_plan_conversations_arranged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_plan_conversations_student_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tutor_id'], ['users.id'], name=op.f('fk_plan_conversations_tutor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_conversations'))
    )
    with op.batch_alter_table('plan_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_conversations_arranged_by_id'), ['arranged_by_id'], unique=False)
        batch_op.create_index('ix_plan_conversations_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_conversations_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_conversations_tutor_id'), ['tutor_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('referrer_name', sa.String(length=200), nullable=False),
    sa.Column('referrer_organisation', sa.String(length=200), nullable=False),
    sa.Column('org_type', sa.String(length=30), nullable=False),
    sa.Column('referrer_role', sa.String(length=200), server_default='', nullable=False),
    sa.Column('referrer_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('referrer_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('person_name', sa.String(length=200), nullable=False),
    sa.Column('person_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('person_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('person_contact_preference', sa.String(length=10), nullable=False),
    sa.Column('person_postal_address', sa.Text(), server_default='', nullable=False),
    sa.Column('contact_notes', sa.Text(), server_default='', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('person_agreed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_note', sa.Text(), server_default='', nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("org_type IN ('nhs_mental_health', 'gp', 'police', 'social_care', 'victim_support', 'voluntary', 'other')", name=op.f('ck_referrals_org_type_known')),
    sa.CheckConstraint("status IN ('new', 'contacted', 'enrolled', 'declined', 'could_not_contact')", name=op.f('ck_referrals_status_known')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_referrals_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_referrals_student_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_handled_by_id'), ['handled_by_id'], unique=False)
        batch_op.create_index('ix_referrals_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_student_id'), ['student_id'], unique=False)

    op.create_table('tutorships',
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('tutor_id', sa.Integer(), nullable=False),
    sa.Column('review_every_months', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('review_every_months BETWEEN 1 AND 24', name=op.f('ck_tutorships_interval_sane')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_tutorships_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['users.id'], name=op.f('fk_tutorships_student_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tutor_id'], ['users.id'], name=op.f('fk_tutorships_tutor_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('student_id', name=op.f('pk_tutorships'))
    )
    with op.batch_alter_table('tutorships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tutorships_assigned_by_id'), ['assigned_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tutorships_tutor_id'), ['tutor_id'], unique=False)

    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('came_from', sa.String(length=20), server_default='', nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=10), server_default='', nullable=False),
    sa.Column('contact_detail', sa.String(length=254), server_default='', nullable=False),
    sa.Column('safe_times', sa.String(length=300), server_default='', nullable=False),
    sa.Column('may_leave_message', sa.Boolean(), nullable=True),
    sa.Column('details', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('asked', 'concern')", name=op.f('ck_support_requests_kind_known')),
    sa.CheckConstraint("status IN ('new', 'contacted', 'closed')", name=op.f('ck_support_requests_status_known')),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_support_requests_person_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_support_requests_raised_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_support_requests_session_id_course_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests'))
    )
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_requests_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_raised_by_id'), ['raised_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_support_requests_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('support_request_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status_to', sa.String(length=20), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_support_request_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_request_notes_request_id_support_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_request_notes'))
    )
    with op.batch_alter_table('support_request_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_request_notes_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_request_notes_request_id'), ['request_id'], unique=False)
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_roles_role_known'), NEW_ROLES)

    _move_concerns_out_of_feedback()


def _move_concerns_out_of_feedback():
    """Facilitators' concerns were a free-text question of the reflection ("Do you have any
    concerns?"), so they appeared among feedback comments. Each written answer becomes a
    support request for the support lead (with a note saying where it came from), the
    answers leave feedback (and any content review that picked one), and the question is
    retired: the reflection now has its own "I am worried about someone's safety" part."""
    bind = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    questions = [row[0] for row in bind.execute(sa.text(
        "SELECT id FROM feedback_questions WHERE audience = 'facilitator' AND kind = 'text' "
        "AND lower(text) LIKE '%concern%'"
    ))]
    if not questions:
        return
    ids = sa.bindparam("ids", expanding=True)
    answers = bind.execute(sa.text(
        "SELECT a.id, a.text, r.session_id, r.respondent_id, r.given_on FROM feedback_answers a "
        "JOIN feedback_responses r ON r.id = a.response_id WHERE a.question_id IN :ids ORDER BY a.id"
    ).bindparams(ids), {"ids": questions}).all()
    for _answer_id, text, session_id, respondent_id, given_on in answers:
        if not (text or "").strip():
            continue
        if isinstance(given_on, str):  # SQLite hands dates back as text here
            given_on = datetime.fromisoformat(given_on).date()
        written = datetime(given_on.year, given_on.month, given_on.day)
        request_id = bind.execute(sa.text(
            "INSERT INTO support_requests (kind, came_from, person_id, raised_by_id, session_id, how, "
            "contact_detail, safe_times, details, status, created_at) VALUES ('concern', 'reflection', "
            "NULL, :raised_by, :session_id, '', '', '', :details, 'new', :created_at) RETURNING id"
        ), {"raised_by": respondent_id, "session_id": session_id, "details": text.strip(),
            "created_at": written}).scalar_one()
        bind.execute(sa.text(
            "INSERT INTO support_request_notes (request_id, author_id, body, status_to, created_at) "
            "VALUES (:request_id, NULL, :body, '', :created_at)"
        ), {"request_id": request_id, "created_at": now,
            "body": (f"Moved here from the feedback comments when the portal was updated: written in a "
                     f"facilitator's reflection on {given_on:%d %B %Y}. It names no student; the "
                     f"facilitator and the session are linked.")})
    answer_ids = [row[0] for row in answers]
    if answer_ids:
        bind.execute(sa.text("DELETE FROM content_review_items WHERE answer_id IN :ids").bindparams(ids),
                     {"ids": answer_ids})
        bind.execute(sa.text("DELETE FROM feedback_answers WHERE id IN :ids").bindparams(ids),
                     {"ids": answer_ids})
    in_use = [row for row in bind.execute(sa.text(
        "SELECT id, course_id, position FROM feedback_questions WHERE id IN :ids AND retired_at IS NULL"
    ).bindparams(ids), {"ids": questions})]
    bind.execute(sa.text(
        "UPDATE feedback_questions SET retired_at = :now WHERE id IN :ids AND retired_at IS NULL"
    ).bindparams(ids), {"now": now, "ids": questions})
    # Each question in use is replaced, at its place, by one about the session and the venue
    # (the app's own default, feedback/bank.py; this copy never changes with the app).
    for question_id, course_id, position in in_use:
        bind.execute(sa.text(
            "INSERT INTO feedback_questions (audience, kind, text, hint, course_id, position, replaces_id, "
            "created_at) VALUES ('facilitator', 'text', :text, :hint, :course_id, :position, :replaces, :now)"
        ), {"text": VENUE_QUESTION, "hint": VENUE_HINT, "course_id": course_id, "position": position,
            "replaces": question_id, "now": now})


def downgrade():
    # Concerns moved out of feedback are not put back (the support requests are dropped
    # with their table); the retired question stays retired.
    op.execute("DELETE FROM user_roles WHERE role IN ('tutor', 'support_lead')")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_roles_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_roles_role_known'), OLD_ROLES)

    with op.batch_alter_table('support_request_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_request_notes_request_id'))
        batch_op.drop_index(batch_op.f('ix_support_request_notes_author_id'))

    op.drop_table('support_request_notes')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_support_requests_status_created_at')
        batch_op.drop_index(batch_op.f('ix_support_requests_session_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_raised_by_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_person_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_closed_at'))

    op.drop_table('support_requests')
    with op.batch_alter_table('tutorships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tutorships_tutor_id'))
        batch_op.drop_index(batch_op.f('ix_tutorships_assigned_by_id'))

    op.drop_table('tutorships')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_student_id'))
        batch_op.drop_index('ix_referrals_status_created_at')
        batch_op.drop_index(batch_op.f('ix_referrals_handled_by_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_created_at'))

    op.drop_table('referrals')
    with op.batch_alter_table('plan_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_conversations_tutor_id'))
        batch_op.drop_index(batch_op.f('ix_plan_conversations_student_id'))
        batch_op.drop_index('ix_plan_conversations_status_created_at')
        batch_op.drop_index(batch_op.f('ix_plan_conversations_arranged_by_id'))

    op.drop_table('plan_conversations')
    with op.batch_alter_table('pathway_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_courses_course_id'))

    op.drop_table('pathway_courses')
    op.drop_table('equality_answers')
    op.drop_table('equality_term_figures')
    op.drop_table('equality_terms')
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathways_status'))

    op.drop_table('pathways')
