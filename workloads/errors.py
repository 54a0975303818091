"""The one exception type for user mistakes.

Every loader, validator and command raises :class:`InputError` for input a
user can fix (a missing file, a cycle, a negative cost, an unknown policy).
The CLI prints it as one line and exits non-zero without a traceback; any
other exception is a bug in hybridsched and keeps its traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """A user mistake, located by file and item.

    ``str(err)`` reads ``FILE: ITEM: MESSAGE`` with the parts that are known.
    """

    def __init__(self, message: str, *, source: str | None = None, item: str | None = None):
        self.message = message
        self.source = source
        self.item = item
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [p for p in (self.source, self.item) if p]
        # One line, always: a key or value quoted from the input may hold line breaks.
        return ": ".join(parts + [self.message]).replace("\r", "\\r").replace("\n", "\\n")

    def located(self, source: str) -> "InputError":
        """Return this error with ``source`` filled in when it was unknown."""
        if self.source:
            return self
        return InputError(self.message, source=source, item=self.item)
