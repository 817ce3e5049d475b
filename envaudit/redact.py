"""Credentials never leave: every output path runs text through here.

Redacts userinfo in URLs (`https://user:token@host` -> `https://***@host`),
token-looking query parameters, HTTP credentials on command lines (Authorization
headers, bearer tokens, `-u user:pass`, `--password`/`--token` arguments), and the
values of secret-looking variables.
"""

from __future__ import annotations

import re

from envaudit._lazyre import lazy_re

MASK = "***"

# An image reference pinned by digest, `python:3.12-slim@sha256:<hex>` (also
# `docker://name:tag@sha256:<hex>` for skopeo/crane), has the shape of a login
# (name:tag@algorithm:hex) and no secret: a "host" that is a digest algorithm (OCI
# image-spec: sha256, sha512; blake3 is registered too) followed by hex is a digest.
_DIGEST_AHEAD = r"(?!(?:sha256|sha384|sha512|blake3):[0-9a-fA-F])"
# scheme://user[:password]@host  (also git+https://, ssh://, ...)
# Every repetition that a match can start inside of is bounded (a scheme is at most 32
# characters, a user 64): long runs of URL-ish characters stay linear to scan.
_URL_USERINFO = lazy_re(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]{0,31}://)(?P<userinfo>[^/@\s'\"<>]+)@" + _DIGEST_AHEAD
)
# scp-style git remotes with a password: `user:pass@host:org/repo.git` (no scheme).
_SCP_USERINFO = lazy_re(
    r"(?<![A-Za-z0-9._~+/:@])(?P<user>[A-Za-z0-9_~][A-Za-z0-9._~+\-]{0,63}):(?P<password>[^@\s/:'\"<>]+)@"
    + _DIGEST_AHEAD
    + r"(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*):"
)
# conda's token in a channel URL: `https://conda.anaconda.org/t/<token>/channel`.
_CONDA_TOKEN = lazy_re(
    r"(?P<pre>(?:\b[a-zA-Z][a-zA-Z0-9+.\-]{0,31}://[^\s'\"<>/]+(?:/[^\s'\"<>/]+){0,8}?"
    r"|(?<![\w.\-])(?:[\w\-]+\.){0,8}anaconda\.(?:org|com|cloud))/t/)(?P<token>[A-Za-z0-9_\-.]+)"
)
_QUERY_SECRET = lazy_re(
    r"(?P<key>[?&](?:access_token|token|auth|api[_-]?key|apikey|key|secret|password|passwd|pwd|sig|signature"
    r"|private_token|X-Amz-Signature|X-Amz-Credential)=)(?P<value>[^&#\s'\"<>]+)",
    re.IGNORECASE,
)
SECRET_NAME = lazy_re(
    r"(?i)(?:^|_|-)(?:pass(?:word|wd)?|pwd|secret|token|api_?key|apikey|access_?key|private_?key"
    r"|credentials?|auth|session_?key|client_?secret|signature|cookie)(?:$|_|-)"
    r"|^(?:HF_TOKEN|HUGGING_FACE_HUB_TOKEN|WANDB_API_KEY|GITHUB_TOKEN|GH_TOKEN|NPM_TOKEN"
    r"|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|OPENAI_API_KEY|ANTHROPIC_API_KEY|PYPI_TOKEN"
    r"|MLFLOW_TRACKING_PASSWORD|MLFLOW_TRACKING_TOKEN|KAGGLE_KEY|COMET_API_KEY|NEPTUNE_API_TOKEN)$"
)
# Tokens that are recognisable on their own, wherever they appear.
_BARE_TOKENS = lazy_re(
    r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\bglpat-[A-Za-z0-9_\-]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bxox[baprs]-[A-Za-z0-9\-]{10,}"
    r"|\bsk-[A-Za-z0-9_\-]{32,}"
    r"|\bpypi-[A-Za-z0-9_\-]{50,}"
)

# HTTP credentials on a command line: `-H "Authorization: Bearer …"`, `Basic …`, a
# token header; a bare `Bearer <token>`; curl/wget's `-u user:pass`; `--password X`,
# `--token=X` style arguments. A `$VAR` / `${VAR}` value is a reference: kept.
_AUTH_HEADER = lazy_re(
    r"(?i)(?P<key>\b(?:proxy-)?authorization[ \t]*:[ \t]*(?:(?:bearer|basic|token|digest|bot)[ \t]+)?"
    r"|\b(?:private-token|x-api-key|x-auth-token|api-key|x-access-token)[ \t]*:[ \t]*)"
    r"(?P<value>(?!\$)(?!(?:bearer|basic|token|digest|bot)[ \t])[^\s'\"]+)"
)
_BEARER = lazy_re(r"(?i)(?P<key>\bbearer[ \t]+)(?P<value>(?!\$)[A-Za-z0-9._~+/\-]{8,}=*)")
_USER_PASS_ARG = lazy_re(
    r"(?P<key>(?<![\w-])(?:-u|--user|--proxy-user|--http-user)(?:[ \t]+|=)['\"]?[^\s:'\"]+:)"
    r"(?P<value>(?!\$)(?![0-9]+(?:[\s'\"]|$))[^\s'\"]+)"
)
_SECRET_ARG = lazy_re(
    r"(?i)(?P<key>(?<![\w-])--(?:password|passwd|http-password|proxy-password|token|auth-token|access-token"
    r"|api-key|api-token|secret|client-secret)(?:[ \t]+|=)['\"]?)(?P<value>(?!\$)(?!-)[^\s'\"]+)"
)


def redact_cli(text: str) -> str:
    """Mask HTTP credentials and secret arguments written on a command line."""
    low = text.lower()
    if ":" in text and ("auth" in low or "token" in low or "api-key" in low):
        text = _AUTH_HEADER.sub(lambda m: f"{m.group('key')}{MASK}", text)
    if "bearer" in low:
        text = _BEARER.sub(lambda m: f"{m.group('key')}{MASK}", text)
    if "-u" in text or "user" in low:
        text = _USER_PASS_ARG.sub(lambda m: f"{m.group('key')}{MASK}", text)
    if "--" in text:
        text = _SECRET_ARG.sub(lambda m: f"{m.group('key')}{MASK}", text)
    return text


def redact_url(text: str) -> str:
    """Mask credentials inside URLs in `text` (a URL or any text containing URLs)."""

    def userinfo(m: re.Match[str]) -> str:
        info = m.group("userinfo")
        # `git@github.com:` style has no scheme and no secret; `ssh://git@host` keeps a plain user.
        if ":" not in info and info in {"git", "hg", "ssh", "root"}:
            return m.group(0)
        return f"{m.group('scheme')}{MASK}@"

    if "@" in text:  # every match below ends in one, or holds a `=`: no pattern runs for nothing
        text = _URL_USERINFO.sub(userinfo, text)
    if "@" in text and ":" in text:
        text = _SCP_USERINFO.sub(lambda m: f"{MASK}@{m.group('host')}:", text)
    if "/t/" in text:
        text = _CONDA_TOKEN.sub(lambda m: f"{m.group('pre')}{MASK}", text)
    if "=" not in text:
        return text
    return _QUERY_SECRET.sub(lambda m: f"{m.group('key')}{MASK}", text)


# the shell's working directories: `pwd` is a secret word in DB_PWD, not in these
_NOT_SECRET = frozenset({"PWD", "OLDPWD"})


def is_secret_name(name: str) -> bool:
    return name.upper() not in _NOT_SECRET and bool(SECRET_NAME.search(name))


def redact_value(name: str, value: str) -> str:
    """The value of variable `name`, masked if the name looks secret, URLs scrubbed otherwise."""
    if is_secret_name(name):
        return MASK if value else value
    return redact_text(value)


# NAME=value (ENV/ARG lines, shell exports, .env, keyword arguments) where NAME looks
# secret; the value quoted or bare. A `${REF}` value is a reference, not a secret.
_ASSIGNMENT = lazy_re(
    r"(?P<name>(?<![\w$-])[A-Za-z_][A-Za-z0-9_\-]*)(?P<sep>[ \t]*=(?!=)[ \t]*)"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s\"',;)}\]]+)"
)
# Dockerfile's older form: `ENV NAME value with spaces`.
_ENV_SPACE = lazy_re(
    r"(?im)^(?P<head>[-+ ]?[ \t]*ENV[ \t]+)(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<sep>[ \t]+)(?P<value>[^=\n][^\n]*)$"
)


def _mask_assignment(m: re.Match[str]) -> str:
    value = m.group("value")
    if not is_secret_name(m.group("name")) or not value or value.startswith("$") or MASK in value:
        return m.group(0)
    q = value[0] if value[0] in "\"'" and len(value) > 1 and value[-1] == value[0] else ""
    start = m.start("value") - m.start(0)
    return f"{m.group(0)[:start]}{q}{MASK}{q}"


def redact_assignments(text: str) -> str:
    """Mask the values assigned to secret-looking names (`ENV API_TOKEN=abc`, `ARG
    DB_PASSWORD="x y"`, `export HF_TOKEN=...`, `ENV SECRET_KEY value`)."""
    if "=" in text:
        text = _ASSIGNMENT.sub(_mask_assignment, text)
    if "ENV" in text or "env" in text:
        text = _ENV_SPACE.sub(_mask_assignment, text)
    return text


def redact_text(text: str) -> str:
    """Everything we know how to find: URL credentials, well-known token formats and the
    values of secret-looking assignments."""
    return redact_assignments(_BARE_TOKENS.sub(MASK, redact_cli(redact_url(text))))


def redact_env(env: dict[str, str]) -> dict[str, str]:
    return {k: redact_value(k, v) for k, v in env.items()}


def redact_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """A command line with its secrets masked: the value of any option whose name looks
    secret (`--token abc`, `--hf-token=abc`, `--api_key abc`), secret-looking assignments
    (`HF_TOKEN=abc`), URL credentials and well-known token formats in any word."""
    out: list[str] = []
    mask_next = False
    for word in argv:
        if mask_next and not word.startswith("-"):
            out.append(MASK if word else word)
            mask_next = False
            continue
        mask_next = False
        if word.startswith("-") and len(word) > 1:
            name, eq, value = word.lstrip("-").partition("=")
            if is_secret_name(name.replace("-", "_")):
                if eq:
                    out.append(f"{word[: len(word) - len(value)]}{MASK if value else ''}")
                else:
                    out.append(word)
                    mask_next = True
                continue
        out.append(redact_text(word))
    return out
