"""The one exception type the compute layer raises for a configuration a user got wrong."""


class SpecError(ValueError):
    """A network configuration that cannot run; the message names the field and the fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
