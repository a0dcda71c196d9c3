"""The ``nodeforge`` command: parse arguments, dispatch to ``commands``, map errors to exit codes (here only).

Imports go one way: ``cli`` -> ``parser`` (the arguments) and ``commands`` (what each does);
``commands`` print through ``output``, never through ``cli``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

from nodeforge.cli.parser import build_parser
from nodeforge.errors import EXIT_BAD_INPUT, EXIT_OK, NodeforgeError, UsageError


def _report_error(error: NodeforgeError, as_json: bool) -> int:
    """One error, as JSON on stdout under ``--json`` (scripts read one stream), else a line on stderr."""
    if as_json:
        print(json.dumps({"error": str(error), "exit_code": error.exit_code}, indent=2, sort_keys=True))
    else:
        if isinstance(error, UsageError):
            print(error.usage, end="", file=sys.stderr)
        print(f"nodeforge: error: {error}", file=sys.stderr)
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    from nodeforge.redact import redacted_streams

    with redacted_streams():  # no credential reaches the terminal, whoever prints it
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        from nodeforge.cli import commands  # heavy imports only once the arguments are good

        return commands.run(args)
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0) and EXIT_BAD_INPUT
    except NodeforgeError as error:
        return _report_error(error, as_json)
    except KeyboardInterrupt:
        print("nodeforge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `nodeforge ... --json | head`: the reader left; say nothing more, as cat and grep do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["main"]
