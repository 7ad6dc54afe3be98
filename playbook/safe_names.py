"""One rule for every file name built from data, so that a value such as ``../other/name`` never writes elsewhere.

Any value that becomes part of a file name (a local authority code, a recipient, an organisation) goes through
:func:`safe_file_stem`, and the full path through :func:`path_inside`, before anything is written. The alphabet is
small on purpose: ASCII letters, digits, ``_``, ``-`` and ``.`` mean the same on every operating system, need no
quoting in a shell, and cannot spell a folder separator, a drive, a device or a hidden file. A value outside the
rule is refused, never quietly changed: two different codes must never end up in one file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

MAX_LENGTH = 100
#: Device names Windows reserves in any case and with any extension (``nul.csv`` is the null device there).
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10))})
_OUTSIDE_ALPHABET = re.compile(r"[^A-Za-z0-9_.-]")
_RULE = (
    "use only the letters A to Z, digits, '_', '-' and '.', not starting with '.' or '-' nor ending with '.', "
    f"at most {MAX_LENGTH} characters"
)


class UnsafeNameError(ValueError):
    """A value from the data cannot be used as a file name as it stands."""


def shorten(value: object, limit: int = 80, *, keep_end: bool = False) -> str:
    """``value`` as text, cut to ``limit`` characters with "…", so a hostile value cannot flood an error message.

    ``keep_end`` keeps the end instead of the start: the end of a long path says most.
    """
    text = str(value)
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def safe_file_stem(value: object, what: str, *, reserved: Iterable[str] = ()) -> str:
    """Return ``value`` unchanged if it is safe as a file name (before the extension); raise UnsafeNameError if not.

    ``what`` says what the value is ("local authority code"), for the message. ``reserved`` lists names the
    caller writes itself (such as ``manifest``); they, like Windows device names, are compared ignoring case,
    because Windows and macOS treat ``Manifest`` and ``manifest`` as one file.
    """

    def refuse(why: str) -> NoReturn:
        raise UnsafeNameError(
            f"{what} {shorten(value)!r} cannot be used as a file name: {why}. "
            f"Correct the value where it comes from; a file name must {_RULE}."
        )

    if not isinstance(value, str):
        refuse("it is not text")
    if not value:
        refuse("it is empty")
    if len(value) > MAX_LENGTH:
        refuse(f"it is {len(value)} characters long")
    outside = sorted(set(_OUTSIDE_ALPHABET.findall(value)))
    if outside:
        refuse(f"it contains {', '.join(repr(c) for c in outside[:5])}")
    if value[0] in ".-":
        refuse(f"it starts with {value[0]!r}")
    if value.endswith("."):
        refuse("it ends with '.'")
    if value.split(".")[0].upper() in WINDOWS_RESERVED:
        refuse("Windows reserves that name for a device")
    if value.casefold() in {name.casefold() for name in reserved}:
        refuse("the folder already has a file of that name")
    return value


def path_inside(folder: str | Path, name: str) -> Path:
    """``folder / name`` with links and ``..`` resolved; raise UnsafeNameError unless it lies inside ``folder``."""
    base = Path(folder).resolve()
    path = (base / name).resolve()
    if base not in path.parents:
        raise UnsafeNameError(
            f"file name {shorten(name)!r} would be written at {shorten(path)}, outside the folder "
            f"{shorten(base)}: build file names with safe_file_stem"
        )
    return path
