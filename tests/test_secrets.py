"""Secret detection over a corpus of planted (fake) secrets and of look-alikes that are not secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nodeforge.learning.quality import analyze
from nodeforge.learning.secrets import SecretFinding, SecretKind, check_pattern_code, scan

CORPUS = Path(__file__).parent / "fixtures" / "secrets"
LEAKY = sorted((CORPUS / "leaky").glob("*.py"))
CLEAN = sorted((CORPUS / "clean").glob("*.py"))
PLANTED = "# planted"

# Fake values built from parts so this file does not itself look like it holds them.
FAKE_AWS_ID = "AKIA" + "FAKEEXAMPLE00000"
FAKE_GITHUB = "ghp_" + "FAKEexample" + "0" * 25


def kind_of(path: Path) -> str:
    """``leaky/<kind>.py`` or ``leaky/<kind>__<case>.py``."""
    return path.stem.split("__")[0]


def planted_line(text: str) -> int:
    (line,) = [number for number, content in enumerate(text.splitlines(), 1) if PLANTED in content]
    return line


def kinds(findings: tuple[SecretFinding, ...]) -> set[tuple[str, int]]:
    return {(finding.kind.value, finding.line) for finding in findings}


def only(code: str) -> SecretFinding:
    (finding,) = scan(code)
    return finding


# -- the corpus --------------------------------------------------------------------------------------


def test_the_corpus_covers_every_kind_and_enough_clean_files() -> None:
    # vendor_token stands for a detect-secrets detector newer than our kind list: nothing to plant
    assert {kind_of(path) for path in LEAKY} == {kind.value for kind in SecretKind} - {"vendor_token"}
    assert len(LEAKY) >= 40
    assert len(CLEAN) >= 10


@pytest.mark.parametrize("path", LEAKY, ids=lambda path: path.stem)
def test_each_planted_secret_is_found_with_its_kind_and_line(path: Path) -> None:
    text = path.read_text()

    findings = scan(text)

    assert kinds(findings) == {(kind_of(path), planted_line(text))}
    verdict = check_pattern_code(text)
    assert not verdict.clean
    assert verdict.reason == f"skipped: secret ({kind_of(path)}) at line {planted_line(text)}"


@pytest.mark.parametrize("path", LEAKY, ids=lambda path: path.stem)
def test_details_never_repeat_the_secret(path: Path) -> None:
    text = path.read_text()
    # the planted line and the next (a value split over concatenated literals)
    line = "\n".join(text.splitlines()[planted_line(text) - 1 : planted_line(text) + 1])
    literals = re.findall(r'"([^"]{6,})"(?!\s*[:\],])', line)  # values, not keys or names
    values = [*literals, *(v for v in re.findall(r"[\w./+=:@-]{6,}", line) if re.search(r"\d", v))]
    assert values

    for finding in scan(text):
        for value in values:
            assert value not in finding.detail
            assert value[-6:] not in finding.detail


@pytest.mark.parametrize("path", LEAKY, ids=lambda path: path.stem)
def test_the_secrets_are_planted_in_otherwise_good_code(path: Path) -> None:
    assert analyze(path.read_text()).passed


@pytest.mark.parametrize("path", CLEAN, ids=lambda path: path.stem)
def test_clean_files_have_no_findings(path: Path) -> None:
    verdict = check_pattern_code(path.read_text())

    assert verdict.findings == ()
    assert verdict.clean
    assert verdict.reason == ""


# -- what the policy says is not a secret ------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        'password = os.environ["DB_PASSWORD"]',
        "password: str",
        "def login(password: str, token: str | None = None) -> None: ...",
        "client = connect(password=settings.password)",
        'password = ""',
        'password = "<redacted>"',
        'password = "changeme"',
        'api_key = "YOUR_API_KEY"',
        'secret = "${APP_SECRET}"',
        'token = "********"',
        'password = "%(password)s"',
        'private_key = "~/.ssh/id_ed25519"',
        'token_type = "bearer"',
        'TOKEN_URL = "https://auth.example.com/token"',
        'if password == "":\n    raise ValueError("empty")',
        'dsn = f"postgresql://{user}:{password}@{host}/db"',
        'url = "https://user@example.com/path"',
        'checksum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
        'message = "Rotate the signing key every 90 days; see docs/RunbookKeyRotation2024.md"',
        'path = "src/nodeforge/store/QdrantEdgeStore2.py"',
        'CONCLUSION = {"pass": "success", "fail": "failure"}',
        'client = Client(api_key="test-key", token="fake_token")',
        'def f(github_token: str) -> None:\n    """github_token: GitHub token. Defaults to the env."""',
        "# password: required, see the runbook\nX = 1",
        'ERROR = "Invalid password: too short"',
        'QUERY = "SELECT id FROM users WHERE password = :password"',
        'api_key = "API_KEY"',
        'ETAG_SHA = "4f9a1c0be7d35a6e4f9a1c0be7d35a6e4f9a1c0be7d35a6e"',
    ],
)
def test_look_alikes_are_not_findings(code: str) -> None:
    assert scan(code) == ()


# -- bindings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        'password = "hunter2"',
        'self._db_password = "hunter2"',
        'config["password"] = "hunter2"',
        'settings: dict[str, str] = {"clientSecret": "hunter2"}',
        'connect(host="db", password="hunter2")',
        'def connect(user: str, password: str = "hunter2") -> None:\n    """Connect."""',
        'if token == "hunter2":\n    allow()',
        'if "hunter2" != password:\n    deny()',
        'password = os.getenv("DB_PASSWORD", "hunter2")',
        'headers = {"X-Api-Key": "hunter2"}',
        "password = 'hunter' '2'",
    ],
)
def test_literals_bound_to_secret_names_are_credentials(code: str) -> None:
    finding = only(code)

    assert finding.kind is SecretKind.HARDCODED_CREDENTIAL
    assert finding.line == 1
    assert "hunter2" not in finding.detail


def test_names_decide_by_their_last_word() -> None:
    assert scan('cache_key = "users:by-email:v2"') == ()
    assert scan('secret_name = "user-service-db"') == ()
    assert only('signing_key = "hunter2-but-longer"').kind is SecretKind.HARDCODED_CREDENTIAL


# -- formats wherever they are -----------------------------------------------------------------------


def test_formats_are_found_in_comments_docstrings_and_bytes() -> None:
    code = f'''
def rotate() -> None:
    """Rotate keys; the old one was {FAKE_AWS_ID}."""
    # token used by CI: {FAKE_GITHUB}
    return None

RAW = b"{FAKE_AWS_ID}"
'''
    assert kinds(scan(code)) == {
        ("aws_access_key_id", 3),
        ("github_token", 4),
        ("aws_access_key_id", 7),
    }


def test_implicit_concatenation_is_seen_as_one_value() -> None:
    code = f'KEY = (\n    "{FAKE_AWS_ID[:4]}"\n    "{FAKE_AWS_ID[4:]}"\n)\n'

    assert kinds(scan(code)) == {("aws_access_key_id", 2)}


def test_one_finding_per_line_the_most_specific() -> None:
    code = f'password = "{FAKE_AWS_ID}"\nother = 1\npassword2 = "{FAKE_AWS_ID}"\n'

    assert kinds(scan(code)) == {("aws_access_key_id", 1), ("aws_access_key_id", 3)}


def test_lines_inside_multiline_literals_are_exact() -> None:
    code = f'TEXT = """\nfirst line\nsecond line {FAKE_GITHUB}\n"""\n'

    assert kinds(scan(code)) == {("github_token", 3)}


@pytest.mark.parametrize("kind", ["RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""])
def test_pem_private_keys_in_triple_quoted_strings(kind: str) -> None:
    body = "\n".join(["MIIEFAKE" + "A" * 56, "FAKE" + "B" * 60, "FAKE=="])
    code = f'KEY = """-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----\n"""\n'

    assert kinds(scan(code)) == {("private_key", 1)}


def test_pgp_private_key_block_with_headers() -> None:
    body = "FAKE" + "C" * 60
    armor = "PGP PRIVATE KEY BLOCK"
    block = f"-----BEGIN {armor}-----\nVersion: Fake 1.0\n\n{body}\n-----END {armor}-----"
    code = f'KEY = """\n{block}\n"""\n'

    assert kinds(scan(code)) == {("private_key", 2)}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:FakePass123@db:3306/app",
        "mongodb+srv://app:FakePass123@cluster0.example.net/app",
        "redis://:FakePass123@cache:6379/0",
        "amqp://guest:FakePass123@rabbit:5672/",
        "postgres://u:p%40ss-Fake9@db/app",
    ],
)
def test_passwords_in_connection_urls(url: str) -> None:
    finding = only(f'URL = "{url}"')

    assert finding.kind is SecretKind.CONNECTION_STRING_PASSWORD
    assert "FakePass123" not in finding.detail
    assert "Fake9" not in finding.detail


def test_connection_url_password_in_an_fstring_is_still_a_secret() -> None:
    assert kinds(scan('dsn = f"postgresql://app:FakePass123@{host}/db"')) == {
        ("connection_string_password", 1)
    }


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("gho_" + "FAKEexample" + "0" * 25, SecretKind.GITHUB_TOKEN),
        ("ghs_" + "FAKEexample" + "0" * 25, SecretKind.GITHUB_TOKEN),
        ("github_pat_" + "FAKEexample0" * 6, SecretKind.GITHUB_TOKEN),
        ("xoxp-" + "0" * 12 + "-FAKEexample", SecretKind.SLACK_TOKEN),
        ("rk_live_" + "FAKEexample0" * 2, SecretKind.STRIPE_KEY),
        ("sk-" + "FAKEexample0" * 4, SecretKind.OPENAI_API_KEY),
        ("sk-ant-api03-" + "FAKEexample0" * 4, SecretKind.OPENAI_API_KEY),
    ],
)
def test_token_variants(value: str, kind: SecretKind) -> None:
    finding = only(f'VALUE = "{value}"')

    assert finding.kind is kind
    assert value[-12:] not in finding.detail


def test_details_name_the_rule_not_the_value() -> None:
    finding = only(f'TOKEN = "{FAKE_GITHUB}"')

    assert finding.detail == "GitHub Token (detect-secrets)"
    assert str(finding) == f"secret (github_token) at line 1: {finding.detail}"


def test_high_entropy_strings_and_their_guards() -> None:
    random_token = "q8Zr3LmW0pXv7TnB2kYs9HdJ4fGc6Ae1"

    assert only(f'SALT = "{random_token}"').kind is SecretKind.HIGH_ENTROPY_STRING
    assert scan(f'def f() -> None:\n    """Example value: {random_token}."""\n') == ()  # docstrings
    # ... unless the docstring says what it is: a token in prose is a token
    assert only(f'def f() -> None:\n    """Example token: {random_token}."""\n').line == 2
    assert scan('ID = "123e4567-e89b-12d3-a456-426614174000"') == ()  # UUIDs
    assert scan('NAME = "HandlerUserCreateOperation2024"') == ()  # identifiers
    assert scan('B64 = "bm9kZWZvcmdlIHRlc3QgcGF5bG9hZA=="') == ()  # encoded text


def test_unparsable_code_still_gets_the_binding_and_entropy_checks() -> None:
    code = 'password = "hunter2"\nSALT = "q8Zr3LmW0pXv7TnB2kYs9HdJ4fGc6Ae1"\ndef broken(:\n'

    assert kinds(scan(code)) == {("hardcoded_credential", 1), ("high_entropy_string", 2)}


def test_indented_fragments_are_scanned_with_their_own_lines() -> None:
    code = '    async def handle(self) -> None:\n        await connect(password="hunter2")\n'

    assert kinds(scan(code)) == {("hardcoded_credential", 2)}


def test_verdict_reason_lists_every_finding() -> None:
    verdict = check_pattern_code(f'password = "hunter2"\ntoken = "hunter3-fake"\nKEY = "{FAKE_AWS_ID}"\n')

    assert not verdict.clean
    assert verdict.reason == (
        "skipped: secret (hardcoded_credential) at line 1, secret (hardcoded_credential) at line 2, "
        "secret (aws_access_key_id) at line 3"
    )
