"""TAP_SECRETS_PLAINTEXT_IN_STRINGS: no secret written into any string of any resource or output.

Guard judges named properties (MasterUserPassword, SecretString, Lambda variables); this looks inside every
string of every resource's Properties, Fn::Sub and Fn::Join pieces included, for what secrets look like:
AWS access key ids, private keys, credentials in URLs, `password=...` pairs, well-known token formats, and
literal strings under secret-named keys. References stay allowed: `${Param}`, `{{resolve:...}}`, Ref/GetAtt.
"""

from __future__ import annotations

import re
from typing import Any

from tapgate.checks.declarative import ValueCheck
from tapgate.model import Severity

SECRET_VALUE_PATTERNS = {
    "an AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a private key": re.compile(r"-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----"),
    "credentials in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@${}]+:[^/\s@${}]+@"),
    "a password/secret/token assignment": re.compile(
        r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)\b[\"']?\s*[:=]\s*[\"']?[^\s\"'{}$]{4,}"
    ),
    "a Slack or GitHub token": re.compile(r"\b(xox[baprs]-[0-9A-Za-z-]{10,}|gh[pousr]_[0-9A-Za-z]{36})\b"),
}
SECRET_KEY = re.compile(
    r"(?i)(passw(or)?d|pwd|secret|secret_?key|token|api_?key|private_?key|access_?key|credentials?|SecretString)$"
)
REFERENCE = re.compile(r"^\s*(\{\{resolve:|\$\{[^}]+\}\s*$)")


def joined(value: Any) -> str | None:
    """The text an Fn::Join builds, "${ref}" for each non-literal piece: a secret may be split."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)):
        return None
    delimiter = value[0] if isinstance(value[0], str) else ""
    return delimiter.join(piece if isinstance(piece, str) else "${ref}" for piece in value[1])


def secret_reason(key: str | int, value: Any) -> str | None:
    """Why `value` looks like a plaintext secret, or None."""
    if key == "Fn::Join":
        value = joined(value)
    if not isinstance(value, str) or not value.strip():
        return None
    if isinstance(key, str) and SECRET_KEY.search(key) and not REFERENCE.match(value):
        return f"a literal value under the secret-named key {key}"
    return next((what for what, pattern in SECRET_VALUE_PATTERNS.items() if pattern.search(value)), None)


class PlaintextSecretsInStrings(ValueCheck):
    rule = "TAP_SECRETS_PLAINTEXT_IN_STRINGS"
    title = "No plaintext secret in any string of the template"
    severity = Severity.CRITICAL
    resource_types = ("*",)
    selector = "$..*"
    # The value itself is never quoted: a report must not spread the secret further.
    message = "A string under {key} looks like a plaintext secret ({why})."
    ok_message = "No string in {resource}'s Properties looks like a secret."
    fix = (
        "Keep secrets in Secrets Manager (ManageMasterUserPassword, GenerateSecretString) and pass ARNs; "
        "never write a secret into the template."
    )

    def prepare(self, resource: dict[str, Any]):
        properties = resource.get("Properties")
        return (properties, ("Properties",), True) if isinstance(properties, dict) else None

    def expect(self, key: str | int, value: Any) -> bool:
        return secret_reason(key, value) is None

    def explain(self, key: str | int, value: Any) -> str:
        return secret_reason(key, value) or ""
