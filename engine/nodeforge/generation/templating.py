"""The Jinja2 environment for node templates, with the limits team templates need.

Team templates are code from the repository, run on every ``generate``. The sandbox already stops
attribute tricks and ranges over 100 000 items; on top of it:

* a template, its ``include``s and ``import``s resolve only inside the templates folder, *after*
  symlinks are resolved: a link to ``/etc/passwd`` is refused, not rendered into a node;
* ``*`` and ``**`` that would build a value over ``MAX_OUTPUT_CHARS`` (``"x" * 10**10``,
  ``10 ** 10 ** 9``) are refused before they run;
* one file's output is capped at ``MAX_OUTPUT_CHARS`` and its rendering at ``RENDER_SECONDS``.

Each limit ends in one ``InputError`` naming the template and the limit.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from nodeforge.errors import InputError

MAX_OUTPUT_CHARS = 2_000_000  # a generated module is a few KiB; this is a runaway, not a node
RENDER_SECONDS = 10.0
_MAX_EXPONENT = 4096
_SHIPPED = jinja2.PackageLoader("nodeforge.templates", "node")


class ContainedLoader(jinja2.FileSystemLoader):
    """A ``FileSystemLoader`` that refuses any template whose real path leaves its folder."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self._root = root.resolve()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not real.is_relative_to(self._root):
            raise InputError(
                f"template {template!r} resolves to {real}, outside the templates folder {self._root}"
            )
        return source, filename, uptodate


class LimitedEnvironment(SandboxedEnvironment):
    """The sandbox, with size checks on the two operators that can build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > _MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is over the limit of {_MAX_EXPONENT}")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(count, int) and hasattr(sized, "__len__") and len(sized) * count > MAX_OUTPUT_CHARS:
                raise SecurityError(f"a value of {len(sized) * count} items is over {MAX_OUTPUT_CHARS}")
        return super().call_binop(context, operator, left, right)


def sandboxed_environment(team_templates: Path | None = None) -> SandboxedEnvironment:
    loaders: list[jinja2.BaseLoader] = []
    if team_templates is not None:
        loaders.append(ContainedLoader(team_templates))
    loaders.append(_SHIPPED)
    return LimitedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def templates_digest(env: jinja2.Environment) -> str:
    """A digest of every template ``env`` would load, each as it resolves (a team's own wins).

    Recorded with each generated node: a different digest later means the templates moved on.
    """
    loader = env.loader
    if loader is None:
        return ""
    digest = hashlib.sha256()
    for name in sorted(loader.list_templates()):
        source, _, _ = loader.get_source(env, name)
        digest.update(f"{name}\0{source}\0".encode())
    return digest.hexdigest()[:24]


class _TooSlow(Exception):
    """Raised by the alarm inside a rendering that ran past ``RENDER_SECONDS``."""


def render_limited(template: jinja2.Template, context: dict[str, Any]) -> str:
    """``template`` rendered within the output-size and time limits, else one ``InputError``."""
    name = template.name or "<template>"
    deadline = time.monotonic() + RENDER_SECONDS
    pieces: list[str] = []
    size = 0
    try:
        with _alarm(RENDER_SECONDS):
            for piece in template.generate(**context):
                size += len(piece)
                if size > MAX_OUTPUT_CHARS:
                    raise InputError(f"template {name}: output is over {MAX_OUTPUT_CHARS} characters")
                if time.monotonic() > deadline:
                    raise _TooSlow
                pieces.append(piece)
    except _TooSlow:
        raise InputError(f"template {name}: rendering took over {RENDER_SECONDS:.0f} s; stopped") from None
    except (SecurityError, OverflowError) as error:  # the sandbox says OverflowError for a huge range
        raise InputError(f"template {name}: {error}") from None
    return "".join(pieces)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Interrupt a loop that produces no output; only the main thread can take a signal."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
