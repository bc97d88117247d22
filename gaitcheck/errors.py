"""Errors that gaitcheck reports to the user as one line, without a traceback."""

from __future__ import annotations


class GaitcheckError(Exception):
    """A problem with the user's input or set-up that the user can fix.

    The command-line interface prints ``str(err)`` on one line and exits with a
    non-zero code. The message says what is wrong and, in ``hint``, what to do.

    Parameters
    ----------
    message : str
        What is wrong, naming the file or setting involved.
    hint : str, optional
        What the user can do about it.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} - {hint}")


class VideoError(GaitcheckError):
    """The video cannot be opened, has no video stream or holds no decodable frame."""


class ModelError(GaitcheckError):
    """A pose model bundle is missing, damaged or cannot be loaded."""


class NoPersonError(GaitcheckError):
    """No person was found in the video."""
