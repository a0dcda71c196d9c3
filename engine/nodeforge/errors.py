"""The one error type of nodeforge, mapped to an exit code in one place (``cli.main``)."""

from __future__ import annotations

from nodeforge.redact import redact

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class NodeforgeError(Exception):
    """A failure to report to the user as one line, without a traceback.

    ``exit_code`` is 2 for bad input or usage (the user's contract, paths, options) and 1 for a
    check that failed (a store that cannot be opened, a generated node that does not validate).
    """

    exit_code: int = EXIT_CHECK_FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(redact(message))  # messages often quote a URL, which may hold a password
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(NodeforgeError):
    """The user's input is wrong: a contract, a path, an option. Exit 2."""

    exit_code = EXIT_BAD_INPUT


class StoreError(NodeforgeError):
    """The pattern store cannot do what was asked (locked, unreachable, corrupt). Exit 1."""


class UsageError(InputError):
    """The command line itself is wrong (an unknown option, a missing argument). Exit 2."""

    def __init__(self, message: str, *, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage
