"""Planted secrets never reach the store, an export or a generated node; the learn report says why.

Every fake secret of ``tests/fixtures/secrets/leaky/`` (one case per file, 40+) is planted in an otherwise
good node of a factory repo, as an extra handler module and inside an existing handler; the real
``learn`` runs; then every stored pattern's code and dependencies are scanned for the raw secret.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path

from nodeforge.learning.secrets import SecretKind
from tests.reliability.conftest import Result, nodes_of, stored

Cli = Callable[..., Result]
LEAKY = sorted((Path(__file__).parents[1] / "fixtures" / "secrets" / "leaky").glob("*.py"))
_LITERAL = re.compile(r"(?:[rbuf]?)(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')")


def raw_secrets(path: Path) -> list[str]:
    """The secret planted in a fixture as it reads in source: the longest literal on the ``# planted``
    line (its longest line, for multi-line values), or the PEM body line that follows a PEM header."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.rstrip().endswith("# planted"))
    source = lines[index + 1] if lines[index].strip().startswith('"-----BEGIN') else lines[index]
    code = source.split("# planted")[0]
    values = [ast.literal_eval(m.group(1)) for m in _LITERAL.finditer(code) if m.group(0)[0] != "f"]
    values = [v for v in values if isinstance(v, str)] or code.split()  # a comment: its words
    longest = max(values, key=len)
    return [max(longest.split("\n"), key=len)]


def test_the_corpus_covers_at_least_40_cases_of_known_kinds() -> None:
    kinds = {p.stem.split("__")[0] for p in LEAKY}
    assert len(LEAKY) >= 40 and kinds <= {k.value for k in SecretKind}
    assert all(raw_secrets(p) for p in LEAKY)


def used_by_the_handler(path: Path) -> str:
    """The fixture with its handler using the planted module-level secret, so it travels with the pattern.

    Some fixtures plant the secret in a module constant or helper the handler never uses; mining
    would then never see it. Referencing it from ``handle`` makes it a dependency of the pattern.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    planted = next(i for i, line in enumerate(lines) if line.rstrip().endswith("# planted")) + 1
    names: list[str] = []
    for statement in ast.parse(text).body:
        if statement.lineno <= planted <= (statement.end_lineno or statement.lineno):
            if isinstance(statement, ast.Assign):
                names = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [statement.name]
    if not names:
        return text  # the secret is inside the handler class already
    at = next(i for i, line in enumerate(lines) if "def handle(" in line) + 2  # after the docstring
    indent = " " * 8
    lines.insert(at, f"{indent}logger.debug('using %s', {names[0]})")
    return "\n".join(lines) + "\n"


def _plant(team: Path) -> Path:
    node = nodes_of(team)[0]
    for path in LEAKY:
        (node / "handlers" / f"handler_leak_{path.stem}.py").write_text(
            used_by_the_handler(path), encoding="utf-8"
        )
    # and inside an existing, good handler: a credential passed inline in its handle method
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    text = handler.read_text(encoding="utf-8")
    text, count = re.subn(
        r"(\n(\s+)(async )?def (handle|execute)\([^\n]*\n)",
        r'\1\2    _dsn = "postgresql://svc:Inline-FAKE-pass0@db:5432/app"\n',
        text,
        count=1,
    )
    assert count == 1, handler
    handler.write_text(text, encoding="utf-8")
    return node


def test_no_planted_secret_reaches_the_store_and_the_report_says_so(cli: Cli, team: Path) -> None:
    node = _plant(team)
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0, result.err
    patterns = stored(team)
    assert patterns, "the good parts of the node are still learned"
    texts = [p.code for p in patterns] + [d.code for p in patterns for d in p.dependencies]
    texts += [json.dumps(p.extra) + p.summary + " ".join(p.identifiers) for p in patterns]
    secrets = {path.stem: raw_secrets(path) for path in LEAKY}
    secrets["inline"] = ["Inline-FAKE-pass0"]
    leaked = {kind: s for kind, values in secrets.items() for s in values if any(s in t for t in texts)}
    assert leaked == {}  # goal: 0 secrets stored
    export = team / "export.jsonl"
    assert cli("patterns", "export", export, "--repo", team).code == 0
    out = team.parent / "generated"
    generated = cli("generate", node / "contract.yaml", "--out", out, "--repo", team)
    assert generated.code == 0, generated.err
    written = export.read_text(encoding="utf-8") + "".join(
        path.read_text(encoding="utf-8") for path in out.rglob("*") if path.is_file()
    )
    assert any(out.rglob("*.py")), "generate wrote the node"
    exposed = {s for values in secrets.values() for s in values if s in written}
    assert exposed == set()  # 0 exported, 0 generated
    reasons = [
        line for line in result.out.splitlines() if line.startswith("  skipped:") and "secret (" in line
    ]
    summary = result.out.splitlines()[0]
    assert f"{len(reasons)} blocked for secrets" in summary, summary
    reported = {kind for line in reasons for kind in re.findall(r"secret \(([a-z_]+)\)", line)}
    # every planted kind, and the inline credential, is named in the report
    planted = {p.stem.split("__")[0] for p in LEAKY}
    assert planted - reported == set(), sorted(planted - reported)
    assert reported <= {k.value for k in SecretKind}, sorted(reported)
    assert any("handler_leak" not in line for line in reasons), "the inline credential is reported too"
    shown = {s for values in secrets.values() for s in values if s in result.out + result.err}
    assert shown == set()  # the report names kinds, never the secret
