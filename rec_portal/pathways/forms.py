"""Forms for managing learning pathways."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from rec_portal.models.pathways import ANY_OF, RULES

MAX_COUNT = 20


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PathwayForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title"), Length(max=200, message="The title must be 200 characters or fewer")],
                        filters=[_strip])
    slug = StringField("Short name for the web address (optional)",
                       validators=[Length(max=200, message="The short name must be 200 characters or fewer")],
                       filters=[_strip])
    summary = TextAreaField(
        "Summary",
        validators=[DataRequired("Enter a summary: what the pathway is for, in one or two sentences"),
                    Length(max=600, message="The summary must be 600 characters or fewer")],
        filters=[_strip],
    )
    rule = RadioField(
        "How do students complete it?",
        choices=[SelectChoice(k, v) for k, v in RULES.items()],
        validators=[InputRequired("Choose how students complete the pathway")],
    )
    # Typed as text so a mistake gets a plain message (parsed in validate_required_count).
    required_count = StringField("How many of the courses? (only for “Any of these”)", filters=[_strip])

    def validate_required_count(self, field):
        if self.rule.data != ANY_OF:
            return
        if not field.data:
            raise ValidationError("Enter how many of the courses complete the pathway")
        if not field.data.isdigit() or not 1 <= int(field.data) <= MAX_COUNT:
            raise ValidationError(f"Enter the number of courses as a whole number from 1 to {MAX_COUNT}, like 2")

    def count(self) -> int | None:
        return int(self.required_count.data) if self.rule.data == ANY_OF else None

    def pathway_fields(self) -> dict:
        return {"title": self.title.data, "slug": self.slug.data or "", "summary": self.summary.data,
                "rule": self.rule.data, "required_count": self.count()}

    @classmethod
    def for_pathway(cls, pathway):
        return cls(data={"title": pathway.title, "slug": pathway.slug, "summary": pathway.summary,
                         "rule": pathway.rule, "required_count": str(pathway.required_count or "")})


def _course_id(value) -> int:
    return int(value) if str(value).isdigit() else 0


class AddCourseForm(FlaskForm):
    """Choose a published course to add (the choices are set by the view)."""

    course_id = SelectField("Add a course", coerce=_course_id, validate_choice=False,
                            validators=[DataRequired("Choose a course to add")])

    def validate_course_id(self, field):
        if field.data not in {value for value, _ in self.course_id.choices if value}:
            raise ValidationError("Choose a course from the list")


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])


class ButtonForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""
