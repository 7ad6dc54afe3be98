"""How the purpose modules report a problem: :class:`SpecError`, which lists every problem found, and
:func:`shorten`, which keeps a value from a file or from data short in a message.

Every other module in the package raises or words its messages through these, so they sit below all of them.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

from playbook.safe_names import shorten as cut  # one rule for cutting text in messages

#: Problems shown in a :class:`SpecError` message; the rest stay in ``problems``, so a hostile file cannot make a
#: huge message.
SHOWN_PROBLEMS = 100

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: values in messages come from files and data, and a long or
    hostile one must not make a huge message."""
    return cut(repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value), limit)


class SpecError(ValueError):
    """A purpose specification is incomplete or inconsistent. ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS])
        if count > SHOWN_PROBLEMS:
            lines += f"\n  - ... and {count - SHOWN_PROBLEMS} more (all are in the error's problems)"
        super().__init__(f"purpose specification {source} has {count} {noun}:\n{lines}")
