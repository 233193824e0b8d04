"""The one exception type that reaches the user as a one-line message and exit status 2."""


class UserError(Exception):
    """Bad input from the user (card, file, option): printed as one line, exit status 2, no traceback."""


class StopRequested(KeyboardInterrupt):
    """A run stopped on request (SIGINT/SIGTERM) after writing what it had evaluated: exit status 130."""
