"""Domain errors: raised by operations, with a message fit for a person."""


class DomainError(Exception):
    """A business rule refused the change. ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
