"""The command line's one error type: a mistake in what the user asked for (exit code 2)."""


class UsageError(Exception):
    """Raised by a subcommand for a bad name, value or path; ``main`` prints it on one line."""
