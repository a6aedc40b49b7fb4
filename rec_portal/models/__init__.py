"""All models. Importing this package registers every table with the metadata (Alembic)."""

from rec_portal.models.accounts import (  # noqa: F401
    ROLES,
    AccountInvitation,
    PasswordResetToken,
    PendingSignup,
    User,
    UserRole,
    UserSession,
)
from rec_portal.models.attendance import Attendance  # noqa: F401
from rec_portal.models.audit import AuditEvent  # noqa: F401
from rec_portal.models.bookings import Booking  # noqa: F401
from rec_portal.models.contact import ClassMessage, ContactTask  # noqa: F401
from rec_portal.models.courses import (  # noqa: F401
    Course,
    CourseRoleNeed,
    CourseSession,
    SessionDate,
)
from rec_portal.models.drafts import SavedDraft  # noqa: F401
from rec_portal.models.equality import EqualityAnswers, EqualityTerm, EqualityTermFigure  # noqa: F401
from rec_portal.models.jobs import ScheduledJob  # noqa: F401
from rec_portal.models.feedback import (  # noqa: F401
    ContentReview,
    ContentReviewAction,
    ContentReviewItem,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.models.outbox import OutboxMessage  # noqa: F401
from rec_portal.models.outcomes import (  # noqa: F401
    OutcomeCheck,
    OutcomeCrimeType,
    OutcomeInvitation,
    OutcomeQuarter,
    OutcomeQuarterFigure,
    OutcomeReportedTo,
)
from rec_portal.models.pathways import Pathway, PathwayCourse  # noqa: F401
from rec_portal.models.plans import (  # noqa: F401
    LearningGoal,
    LearningPlan,
    PlanCourse,
    PlanReview,
)
from rec_portal.models.referrals import Referral  # noqa: F401
from rec_portal.models.rosters import (  # noqa: F401
    FacilitatorProfile,
    FacilitatorRole,
    RosterAssignment,
    RosterOffer,
    Unavailability,
)
from rec_portal.models.safety import (  # noqa: F401
    SafetyPlan,
    SafetyPlanService,
    TrustedPerson,
)
from rec_portal.models.students import StudentProfile  # noqa: F401
from rec_portal.models.support import SupportService, SupportServiceNeed  # noqa: F401
from rec_portal.models.support_requests import SupportRequest, SupportRequestNote  # noqa: F401
from rec_portal.models.tutoring import PlanConversation, Tutorship  # noqa: F401
from rec_portal.models.workshops import WorkshopRequest, WorkshopRequestNote  # noqa: F401
