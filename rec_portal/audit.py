"""Write audit events. Callers pass codes and ids, never the content of a record."""

from __future__ import annotations

import logging

from flask import has_request_context, request

from rec_portal.extensions import db
from rec_portal.models import AuditEvent

log = logging.getLogger("rec_portal.audit")

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
REGISTERED = "account.registered"
PASSWORD_CHANGED = "account.password_changed"
PASSWORD_RESET_REQUESTED = "account.password_reset_requested"
PASSWORD_RESET = "account.password_reset"
DETAILS_CHANGED = "account.details_changed"
ROLE_GRANTED = "role.granted"
ROLE_REMOVED = "role.removed"
ACCOUNT_DISABLED = "account.disabled"
ACCOUNT_ENABLED = "account.enabled"
ACCESS_DENIED = "access.denied"
ADMIN_CREATED = "account.admin_created"
ACCOUNT_VIEWED = "account.viewed_by_staff"
BOOKINGS_VIEWED = "bookings.viewed_by_staff"
EXPORTED = "export"
PLAN_VIEWED = "plan.viewed_by_staff"
PLAN_REVIEW_ADDED = "plan.review_added"
ENROLMENT_CHANGED = "account.enrolment_changed"
OWN_DATA_DOWNLOADED = "account.data_downloaded"
ACCOUNT_DELETED = "account.deleted"
ACCOUNT_DELETED_BY_STAFF = "account.deleted_by_staff"
ACCOUNT_ANONYMISED = "account.anonymised_for_retention"
SUPPORT_SERVICE_CHANGED = "support.service_changed"
FEEDBACK_QUESTION_CHANGED = "feedback.question_changed"
CONTENT_REVIEW_STARTED = "content_review.started"
CONTENT_REVIEW_CHANGED = "content_review.changed"
CONTENT_REVIEW_COMPLETED = "content_review.completed"
CONTENT_REVIEW_PUBLISHED = "content_review.summary_published"
CONTENT_REVIEW_UNPUBLISHED = "content_review.summary_unpublished"
OUTCOMES_REPORT_VIEWED = "outcomes.report_viewed"
WORKSHOP_REQUESTS_VIEWED = "workshop.queue_viewed_by_staff"
WORKSHOP_REQUEST_VIEWED = "workshop.request_viewed_by_staff"
WORKSHOP_REQUEST_CHANGED = "workshop.request_changed"
OUTBOX_SENT_AGAIN = "outbox.sent_again"
CALL_LIST_VIEWED = "calls.list_viewed_by_staff"
PERSON_ADDED = "account.added_by_staff"
CONTACT_CHANGED_BY_STAFF = "account.contact_changed_by_staff"
INVITATION_SENT = "account.invitation_sent"
ACCOUNT_CLAIMED = "account.claimed"
CLASS_MESSAGE_SENT = "class_message.sent"
# Support requests (issue 17): no subject is recorded, so the audit page (open to every
# admin) never shows who asked for help or who a concern is about; the detail has the id.
SUPPORT_REQUESTS_VIEWED = "support_request.queue_viewed_by_staff"
SUPPORT_REQUEST_VIEWED = "support_request.viewed_by_staff"
SUPPORT_REQUEST_CHANGED = "support_request.changed"
REFERRALS_VIEWED = "referral.queue_viewed_by_staff"
REFERRAL_VIEWED = "referral.viewed_by_staff"
REFERRAL_CHANGED = "referral.outcome_recorded"
REFERRAL_ENROLLED = "referral.enrolled"
TUTOR_ASSIGNED = "tutoring.tutor_assigned"
TUTOR_REMOVED = "tutoring.tutor_removed"
PLAN_CONVERSATION_CHANGED = "tutoring.conversation_changed"
# Equality monitoring (issue 17): that answers were saved or removed, never the answers.
EQUALITY_ANSWERS_SAVED = "equality.answers_saved"
EQUALITY_ANSWERS_REMOVED = "equality.answers_removed"

EVENT_LABELS = {
    LOGIN_SUCCEEDED: "Signed in",
    LOGIN_FAILED: "Sign-in failed",
    LOGOUT: "Signed out",
    REGISTERED: "Registered",
    PASSWORD_CHANGED: "Changed password",
    PASSWORD_RESET_REQUESTED: "Asked to reset password",
    PASSWORD_RESET: "Reset password",
    DETAILS_CHANGED: "Changed account details",
    ROLE_GRANTED: "Role given",
    ROLE_REMOVED: "Role removed",
    ACCOUNT_DISABLED: "Account disabled",
    ACCOUNT_ENABLED: "Account re-enabled",
    ACCESS_DENIED: "Access refused",
    ADMIN_CREATED: "Admin created from the command line",
    ACCOUNT_VIEWED: "Account opened by staff",
    BOOKINGS_VIEWED: "Class list opened by staff",
    EXPORTED: "Data downloaded",
    PLAN_VIEWED: "Learning plan opened by staff",
    PLAN_REVIEW_ADDED: "Learning plan review recorded",
    ENROLMENT_CHANGED: "Changed enrolment details",
    OWN_DATA_DOWNLOADED: "Downloaded their own data",
    ACCOUNT_DELETED: "Deleted their account",
    ACCOUNT_DELETED_BY_STAFF: "Record deleted by staff at the person's request (no online account)",
    ACCOUNT_ANONYMISED: "Anonymised after the retention period",
    SUPPORT_SERVICE_CHANGED: "Support guide entry changed",
    FEEDBACK_QUESTION_CHANGED: "Feedback question changed",
    CONTENT_REVIEW_STARTED: "Course content review started",
    CONTENT_REVIEW_CHANGED: "Course content review changed",
    CONTENT_REVIEW_COMPLETED: "Course content review completed",
    CONTENT_REVIEW_PUBLISHED: "“You said, we did” published",
    CONTENT_REVIEW_UNPUBLISHED: "“You said, we did” unpublished",
    OUTCOMES_REPORT_VIEWED: "Outcomes report (crime questionnaire totals) opened",
    WORKSHOP_REQUESTS_VIEWED: "Individual workshop requests listed by staff",
    WORKSHOP_REQUEST_VIEWED: "Individual workshop request opened by staff",
    WORKSHOP_REQUEST_CHANGED: "Individual workshop request changed",
    OUTBOX_SENT_AGAIN: "Email sent again by staff",
    CALL_LIST_VIEWED: "Call list (names and phone numbers) opened by staff",
    PERSON_ADDED: "Person added by staff (no online account)",
    CONTACT_CHANGED_BY_STAFF: "Contact details changed by staff",
    INVITATION_SENT: "Invitation to set up an online account sent",
    ACCOUNT_CLAIMED: "Online account set up from an invitation",
    CLASS_MESSAGE_SENT: "Message sent to everyone on a session",
    SUPPORT_REQUESTS_VIEWED: "Support requests listed by a support lead",
    SUPPORT_REQUEST_VIEWED: "Support request opened by a support lead",
    SUPPORT_REQUEST_CHANGED: "Support request changed (note or state)",
    REFERRALS_VIEWED: "Referral queue (names of people referred) listed by staff",
    REFERRAL_VIEWED: "Referral from a professional opened by staff",
    REFERRAL_CHANGED: "Referral contact or outcome recorded",
    REFERRAL_ENROLLED: "Referral linked to a student record",
    TUTOR_ASSIGNED: "Personal tutor assigned or review interval changed",
    TUTOR_REMOVED: "Personal tutor removed",
    PLAN_CONVERSATION_CHANGED: "Learning-plan conversation asked for, arranged, held or cancelled",
    EQUALITY_ANSWERS_SAVED: "Equality monitoring answers saved (the answers are not recorded here)",
    EQUALITY_ANSWERS_REMOVED: "Equality monitoring answers removed",
}


def record(event: str, *, actor=None, subject=None, detail: str | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    ip = request.remote_addr if has_request_context() else None
    row = AuditEvent(
        event=event,
        actor_id=getattr(actor, "id", None),
        subject_id=getattr(subject, "id", None),
        ip_address=ip,
        detail=(detail or None) and detail[:300],
    )
    db.session.add(row)
    log.info(
        "audit event=%s actor=%s subject=%s ip=%s detail=%s",
        event, row.actor_id, row.subject_id, ip, row.detail,
    )
    return row
