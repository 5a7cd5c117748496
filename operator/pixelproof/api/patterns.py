"""Patterns of names and strings, with what each means in words.

Patterns are written for the API server's regex engine (Go RE2, as is pydantic's Rust
engine): `$` matches only at the very end, never before a trailing newline."""

from __future__ import annotations

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
QUALIFIED_NAME = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
WHOLE_DURATION = r"^[0-9]+(s|m|h)$"
QUANTITY = r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][-+]?[0-9]+)?$"
HTTP_URL = r"^https?://"
HTTPS_URL = r"^https://"
SHA256 = r"^[a-f0-9]{64}$"
FILE_NAME = r"^[^/]+$"
URL_PATH = r"^/.*"
PULL_POLICY = r"^(Always|IfNotPresent|Never)$"

MEANINGS: dict[str, str] = {
    DNS_LABEL: "a DNS-1123 label: lower-case letters, digits and '-', "
    "starting and ending with a letter or digit",
    DNS_SUBDOMAIN: "a DNS-1123 subdomain: DNS-1123 labels joined by '.'",
    QUALIFIED_NAME: "a label key: an optional DNS subdomain and '/', then letters, digits, "
    "'-', '_' and '.', starting and ending with a letter or digit",
    LABEL_VALUE: "a label value: letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit",
    DURATION: "a duration: use a number and a unit, e.g. 30s, 10m, 1h30m",
    WHOLE_DURATION: "a duration of one whole number and one unit (s, m or h), e.g. 90m or 1h",
    QUANTITY: "a resource quantity: a non-negative number, e.g. 1, 500m, 16Gi",
    HTTP_URL: "an http:// or https:// URL",
    HTTPS_URL: "an https:// URL",
    SHA256: "a sha256 digest: 64 lower-case hex digits",
    FILE_NAME: "a file name without '/'",
    URL_PATH: "a path starting with '/'",
    PULL_POLICY: "one of Always, IfNotPresent, Never",
}
"""Each pattern's meaning, for messages: "'x' is not <meaning>"."""
