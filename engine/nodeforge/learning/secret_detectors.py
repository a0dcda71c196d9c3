"""detect-secrets' format detectors over the lines of a text: discovered, screened, cached.

Every regex detector detect-secrets ships (AWS, GitHub, GitLab, Slack, Stripe, SendGrid, Twilio,
JWT, private keys, Basic-auth URLs, ...) is discovered from the package, so a detector added
upstream is used without a change here, and what it finds is judged with our value policy
(``secret_rules``). A line goes through the detectors once per process (pattern texts share most
of their lines), and only through those that may match it (``needles``: the literal text their
regexes need).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

from nodeforge.learning import secret_rules
from nodeforge.learning.needles import Screen, needle_test
from nodeforge.learning.secret_rules import RuleHit

# detect-secrets' secret_type -> our kind; a type not listed (added upstream later) is a vendor_token.
_KIND_OF_TYPE = {
    "Artifactory Credentials": "artifactory_token",
    "AWS Access Key": "aws_access_key_id",
    "Azure Storage Account access key": "azure_connection_string",
    "Basic Auth Credentials": "connection_string_password",
    "Cloudant Credentials": "cloud_credential",
    "Discord Bot Token": "discord_token",
    "GitHub Token": "github_token",
    "GitLab Token": "gitlab_token",
    "IBM Cloud IAM Key": "cloud_credential",
    "IBM COS HMAC Credentials": "cloud_credential",
    "JSON Web Token": "jwt",
    "Mailchimp Access Key": "mailchimp_key",
    "NPM tokens": "npm_token",
    "OpenAI Token": "openai_api_key",
    "Private Key": "private_key",
    "PyPI Token": "pypi_token",
    "SendGrid API Key": "sendgrid_api_key",
    "Slack Token": "slack_token",
    "SoftLayer Credentials": "cloud_credential",
    "Square OAuth Secret": "square_oauth_secret",
    "Stripe Access Key": "stripe_key",
    "Telegram Bot Token": "telegram_token",
    "Twilio API Key": "twilio_api_key",
}
# Public IPs are not credentials; keyword and entropy detectors are not regex detectors.
_SKIPPED_TYPES = frozenset({"Public IP (ipv4)"})


def _finds_by_regex(detector: RegexBasedDetector) -> bool:
    return type(detector).analyze_string is RegexBasedDetector.analyze_string


def _detectors() -> list[tuple[str, RegexBasedDetector]]:
    found: list[tuple[str, RegexBasedDetector]] = []
    plugins: Mapping[str, type[BasePlugin]] = get_mapping_from_secret_type_to_class()
    for secret_type, plugin in sorted(plugins.items()):
        if issubclass(plugin, RegexBasedDetector) and secret_type not in _SKIPPED_TYPES:
            found.append((secret_type, plugin()))
    return found


_DETECTORS = _detectors()
# Which detectors may match a line (``needles``): only detectors whose every find is a match of
# their denylist regexes (detect-secrets' own ``analyze_string``) are screened; a detector with its
# own way of looking runs on every line.
_SCREEN = Screen([needle_test(list(d.denylist)) if _finds_by_regex(d) else None for _type, d in _DETECTORS])


def vendor_hits(text: str, *, cached: bool = True) -> Iterator[tuple[int, RuleHit]]:
    """detect-secrets' format detectors over each line of ``text``: (where the line starts, hit).

    What the detectors find in a line depends on the line alone, and pattern texts share most of
    their lines (a model or a helper is a dependency of many patterns): with ``cached`` each
    distinct line goes through the detectors once per process. The judging of what they found
    depends on the rest of the text too, so it runs every time.
    """
    detect = _detector_secrets if cached else _run_detectors
    start = 0
    for line in text.splitlines(keepends=True):
        secrets = detect(line)
        if secrets:
            for hit in _judged(line, secrets, text, start):
                yield start, hit
        start += len(line)


def _judged(line: str, secrets: tuple[tuple[str, str], ...], text: str, start: int) -> Iterator[RuleHit]:
    for secret_type, secret in secrets:
        kind = _KIND_OF_TYPE.get(secret_type, "vendor_token")
        if kind == "aws_access_key_id" and len(secret) == 40:
            kind = "aws_secret_access_key"  # AWSKeyDetector's second rule: the 40-char secret
        if kind == "slack_token" and secret.startswith("https://"):
            kind = "slack_webhook"
        if kind == "private_key" and not secret_rules.PEM_BODY.search(text, start):
            continue  # a parser checking for the header is not a key: a key has a body
        if kind == "connection_string_password" and not _url_password_is_real(secret):
            continue
        yield RuleHit(kind, line.find(secret), f"{secret_type} (detect-secrets)")


def _run_detectors(line: str) -> tuple[tuple[str, str], ...]:
    """(secret type, secret) for every secret each detector reports in ``line``, in detector order."""
    return tuple(
        (secret_type, secret)
        for secret_type, detector in _DETECTORS
        for secret in detector.analyze_string(line)
    )


def _run_needed_detectors(line: str) -> tuple[tuple[str, str], ...]:
    """``_run_detectors``' answer, skipping each detector that cannot match the line."""
    found: list[tuple[str, str]] = []
    for index in _SCREEN.groups(line):
        secret_type, detector = _DETECTORS[index]
        found.extend((secret_type, secret) for secret in detector.analyze_string(line))
    return tuple(found)


# The detectors are regexes (and a JWT decode) with no state: a pure function of the line.
_detector_secrets = functools.lru_cache(maxsize=1 << 17)(_run_needed_detectors)


def _url_password_is_real(password: str) -> bool:
    is_port = password.isdigit() and len(password) <= 5
    return not is_port and not secret_rules.is_placeholder(password, name="password")


def clear_caches() -> None:
    """Forget the per-line detector results (benchmarks measuring a cold process)."""
    _detector_secrets.cache_clear()
