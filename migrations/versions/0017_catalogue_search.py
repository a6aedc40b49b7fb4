"""catalogue search: a trigram index (pg_trgm) over the courses' search text, PostgreSQL only

The catalogue's search is ``lower(title || ' ' || summary || ' ' || description) LIKE
'%word%'`` for each word (models.courses.course_search_text). On PostgreSQL a GIN index of
trigrams over that very expression finds the matching courses without reading every row,
and its statistics give the planner a true estimate (the old ORed LIKEs over three columns
were estimated at one row, so the planner rescanned the per-session counts per course).
pg_trgm is a trusted extension since PostgreSQL 13: the database owner may create it.
SQLite has no such index and keeps the plain LIKE.

Revision ID: 0017_catalogue_search
Revises: 0016_scheduled_jobs
Create Date: 2026-12-07 18:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_catalogue_search'
down_revision = '0016_scheduled_jobs'
branch_labels = None
depends_on = None

SEARCH_TEXT = "lower(title || ' ' || summary || ' ' || description)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX ix_courses_search ON courses USING gin (({SEARCH_TEXT}) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_courses_search")
    # The extension stays: other databases' objects or a later migration may use it.
