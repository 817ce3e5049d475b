from __future__ import annotations

import pytest

from envaudit.redact import is_secret_name, redact_text, redact_url, redact_value


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://user:s3cret@example.com/simple", "https://***@example.com/simple"),
        (
            "git+https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r.git",
            "git+https://***@github.com/o/r.git",
        ),
        ("https://__token__:pypi-AgEIcHlwaS5vcmc@upload.pypi.org/", "https://***@upload.pypi.org/"),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("https://example.com/x?token=abc123&v=1", "https://example.com/x?token=***&v=1"),
        ("https://example.com/plain", "https://example.com/plain"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_bare_tokens() -> None:
    text = "remote uses ghp_0123456789abcdefghijABCDEFGHIJ and hf_" + "a" * 34
    out = redact_text(text)
    assert "ghp_" not in out and "hf_aaaa" not in out
    assert out.count("***") == 2


@pytest.mark.parametrize(
    "name", ["HF_TOKEN", "WANDB_API_KEY", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "MY_SECRET", "DB_PWD"]
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)
    assert redact_value(name, "value") == "***"


# PWD/OLDPWD: the shell's working directories. Taken for secrets (`pwd`), they masked
# every path under the cwd in rerun's record: CI ran in /tmp/ci-x and the command
# `/tmp/ci-x/.ci/venv/bin/python` came back as `***/.ci/venv/bin/python`
@pytest.mark.parametrize(
    "name", ["CUDA_VISIBLE_DEVICES", "PATH", "PYTHONHASHSEED", "TOKENIZERS_PARALLELISM", "PWD", "OLDPWD"]
)
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)
    assert redact_value(name, "0,1") == "0,1"


def test_scp_remote_password_and_conda_token_path() -> None:
    from envaudit.redact import redact_text

    assert redact_text("me:s3cretPw@git.example.com:org/repo.git") == "***@git.example.com:org/repo.git"
    assert redact_text("git@github.com:org/repo.git") == "git@github.com:org/repo.git"  # no secret
    assert redact_text("ssh://git@host:22/x.git") == "ssh://git@host:22/x.git"
    conda = "https://conda.anaconda.org/t/tk-0123abcd-ef/mychannel/linux-64"
    assert redact_text(conda) == "https://conda.anaconda.org/t/***/mychannel/linux-64"
    assert redact_text("conda.anaconda.org/t/abcDEF/ch") == "conda.anaconda.org/t/***/ch"


def test_secret_assignments_are_masked_in_any_text() -> None:
    from envaudit.redact import redact_text

    assert redact_text("ENV API_TOKEN=abc123 OTHER=1") == "ENV API_TOKEN=*** OTHER=1"
    assert redact_text('-ARG DB_PASSWORD="x y"') == '-ARG DB_PASSWORD="***"'
    assert redact_text("+ENV SECRET_KEY some value") == "+ENV SECRET_KEY ***"
    assert redact_text("export HF_TOKEN=abc") == "export HF_TOKEN=***"
    # not secrets: other names, comparisons, references
    for text in ("ENV PIP_NO_CACHE_DIR=off", "if token == x:", "ENV TOKEN=${TOKEN}", "ENV PATH=/usr/bin"):
        assert redact_text(text) == text


def test_redaction_stays_linear_on_long_runs() -> None:
    import time

    from envaudit.redact import redact_text

    for text in (
        "a-" * 100_000 + "=x",
        "a:" * 100_000 + "@x:",
        "x://" * 50_000 + "/t/",
        "a+" * 100_000 + "://x",
    ):
        t0 = time.perf_counter()
        redact_text(text)
        assert time.perf_counter() - t0 < 5  # was minutes for the first (quadratic)


@pytest.mark.parametrize(
    "ref",
    [
        "python:3.12-slim@sha256:" + "4d2a" * 16,
        "FROM python:3.12-slim@sha256:" + "0f" * 32 + " AS base",
        "registry.example.com:5000/team/img:1.0@sha256:" + "ab" * 32,
        "docker://python:3.12@sha256:" + "cd" * 32,  # skopeo/crane form
        "img:tag@sha512:" + "e" * 128,
    ],
)
def test_image_digest_references_are_not_credentials(ref: str) -> None:
    # `name:tag@sha256:<hex>` has the shape of `user:pass@host:`; it holds no secret
    # (new-user report: the digest-pinned FROM was printed as `***@sha256:…`).
    assert redact_text(ref) == ref


def test_credentials_next_to_digests_are_still_masked() -> None:
    assert (
        redact_text("me:s3cretPw@sha256host.example.com:org/r.git") == "***@sha256host.example.com:org/r.git"
    )
    assert redact_text("https://u:tok@registry.example.com/v2/img@sha256:" + "ab" * 32).startswith(
        "https://***@registry.example.com/"
    )
