"""Keep secrets out of everything Pickwise shows or stores: messages, listings, runs, exports.

A base URL may carry credentials (``http://user:password@host/v1``) or a key in its query string
(``?api-key=...``), and a field meant for an environment-variable *name* may be given the key itself.
Rather than sanitising each message, every URL that leaves the engine goes through ``redact_url``
and every key-shaped value is recognised by ``looks_like_secret``, so one rule covers all call sites.
"""

from __future__ import annotations

import re

REDACTED = "***"

# scheme://  then the authority (up to the first '/', '?' or '#'), then the rest
_URL_RE = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<tail>.*)$",
                     re.DOTALL)
# Prefixes of well-known key formats (OpenAI/Stripe, Hugging Face, GitHub, Slack, Google, AWS).
_KEY_PREFIXES = ("sk-", "sk_", "pk_", "rk_", "hf_", "ghp_", "gho_", "ghs_", "github_pat_", "xox", "AIza", "AKIA")
_LONG_MIXED_RUN = re.compile(r"[A-Za-z0-9]{16,}")


def redact_url(url: str) -> str:
    """``url`` with any userinfo replaced by ``***`` and any query/fragment by ``?***``.

    Never raises, whatever the input: it runs on URLs that failed validation too. The userinfo ends
    at the *last* '@' of the authority, as in RFC 3986, so a password holding '@' is hidden whole.
    """
    match = _URL_RE.match(url)
    if match is None:  # pragma: no cover - the pattern matches every string
        return REDACTED
    scheme, authority, path, tail = match.group("scheme", "authority", "path", "tail")
    if "@" in authority:
        authority = f"{REDACTED}@{authority.rsplit('@', 1)[1]}"
    return f"{scheme or ''}{authority}{path}{'?' + REDACTED if tail else ''}"


def looks_like_secret(value: str) -> bool:
    """True for values shaped like an API key or token rather than a variable name.

    Variable names are words joined by '_' (``AZURE_OPENAI_API_KEY``); keys are long runs of letters
    mixed with digits (Azure's 32 hex digits, AWS ``AKIA...``) or start with a vendor's key prefix.
    """
    if value.startswith(_KEY_PREFIXES):
        return True
    return any(
        any(c.isdigit() for c in run) and any(c.isalpha() for c in run) for run in _LONG_MIXED_RUN.findall(value)
    )
