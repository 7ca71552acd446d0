"""The ``reconciler`` command line.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` to a callable taking the parsed namespace and returning
an exit code. Modules are imported only when the CLI runs, so importing the library stays cheap.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from reconciler import errors

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = ("demo", "watch", "dispatch", "queue", "apiserver")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Kubernetes controllers on a distributed Redis work queue and Celery.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"reconciler.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the process exit code.

    A :class:`~reconciler.errors.ReconcilerError` (bad configuration, Redis unreachable, ...)
    is printed as one line naming the problem and exits 2, without a traceback."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except errors.ReconcilerError as exc:
        print(f"reconciler {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
