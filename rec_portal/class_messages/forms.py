"""The message form: the words, whether the waiting list hears too, and which step."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from rec_portal.class_messages.operations import MAX_CHARS


def _plain(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class MessageForm(FlaskForm):
    words = TextAreaField(
        "Your message",
        validators=[DataRequired("Enter the message"),
                    Length(max=MAX_CHARS, message=f"The message must be {MAX_CHARS:,} characters or fewer")],
        filters=[_plain],
    )
    include_waiting = BooleanField("Also send it to everyone on the waiting list or holding an offered place")
