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
    "name", ["HF_TOKEN", "WANDB_API_KEY", "DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "MY_SECRET"]
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)
    assert redact_value(name, "value") == "***"


@pytest.mark.parametrize("name", ["CUDA_VISIBLE_DEVICES", "PATH", "PYTHONHASHSEED", "TOKENIZERS_PARALLELISM"])
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)
    assert redact_value(name, "0,1") == "0,1"
