"""Nothing secret leaves: tokens planted in a git remote URL, a VCS requirement URL, an
index URL and a secret-looking environment variable appear in no output format (every
format registered in envaudit.report.FORMATS, so formats added later are covered) and
in none of the facts any scanner collected (what snapshots serialise)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envaudit.config import Config
from envaudit.engine import run_check
from envaudit.report import FORMATS
from tests.conftest import invoke
from tests.gitrepo import git, repo

REMOTE_TOKEN = "ghp_" + "R3moteTok3n" * 3  # a GitHub token shape (bare-token redaction would catch it)
REMOTE_PASSWORD = "remotePassw0rdXyz"  # a plain password (only URL redaction catches it)
VCS_TOKEN = "vcsS3cretToken42"
INDEX_TOKEN = "idxS3cretToken77"
ENV_TOKEN = "envS3cretValue99"
TOKENS = (REMOTE_TOKEN, REMOTE_PASSWORD, VCS_TOKEN, INDEX_TOKEN, ENV_TOKEN)
ENV = {"MY_SERVICE_API_KEY": ENV_TOKEN, "HF_TOKEN": ENV_TOKEN}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = repo(
        tmp_path_factory.mktemp("redact") / "p",
        {
            "requirements.txt": (
                f"--index-url https://u:{INDEX_TOKEN}@pypi.example.com/simple\n"
                f"--extra-index-url https://{INDEX_TOKEN}@extra.example.com/simple\n"
                f"mypkg @ git+https://user:{VCS_TOKEN}@github.com/org/mypkg.git@main\n"
                f"git+https://user:{VCS_TOKEN}@github.com/org/other.git#egg=other\n"
                "requests\n"
            ),
            "train.py": "import requests\n",
        },
    )
    git(root, "remote", "add", "origin", f"https://user:{REMOTE_TOKEN}@github.com/org/repo.git")
    git(root, "remote", "add", "backup", f"https://me:{REMOTE_PASSWORD}@git.example.com/org/repo.git")
    return root


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_token_in_any_format(project: Path, fmt: str, tmp_path: Path) -> None:
    res = invoke("check", str(project), "--format", fmt, "--exit-zero", "--no-color", env=ENV)
    assert res.exit_code == 0, res.output
    out = res.stdout + res.stderr
    assert "GIT010" in out and "DEP010" in out  # the remote and the VCS URL were reported ...
    for token in TOKENS:
        assert token not in out, f"{token} leaked in --format {fmt}"  # ... without its credential
    # written to a file as well (some formats differ there: no colour, full documents)
    target = tmp_path / f"report.{fmt}"
    invoke("check", str(project), "--format", fmt, "--exit-zero", "-o", str(target), env=ENV)
    written = target.read_text(encoding="utf-8", errors="replace")
    for token in TOKENS:
        assert token not in written, f"{token} leaked in --format {fmt} -o"


def test_no_token_in_any_collected_fact(project: Path) -> None:
    result = run_check(project, Config(select=("ALL",)), environ={**ENV, "PATH": _path()})
    inv = result.inventory
    inv.get("requirements")
    assert "git" in inv.scanned() and "requirements" in inv.scanned()
    reqs = repr(inv.get("requirements"))  # the URLs are kept, only their credentials masked
    assert "git+https://***@github.com/org/mypkg.git@main" in reqs
    assert "--index-url https://***@pypi.example.com/simple" in reqs
    for domain in inv.scanned():
        text = repr(inv.get(domain))
        for token in TOKENS:
            assert token not in text, f"{token} kept in the {domain} facts"
    for d in inv.diagnostics:
        assert not any(t in d.message for t in TOKENS)


def _path() -> str:
    import os

    return os.environ.get("PATH", "")


# ------------------------------------------------------- every kind, every command

PLANTED = {
    "docker-env": "dockEnvTok1x",
    "docker-arg": "dockArgPw2x",
    "docker-env-space": "dockEnvSpace3x",
    "index-url": "idxPw4xyz",
    "vcs-token": "vcsTok5xyz",
    "query-token": "qryTok6xyz",
    "scp-remote": "scpPw7xyz",
    "conda-token": "condaTok8xyz",
    "expanded-path": "expKey9xyz",
    "expanded-version": "expPw10xyz",
}
PLANTED_ENV = {
    "CONDA_CHANNELS": f"https://conda.anaconda.org/t/{PLANTED['conda-token']}/mychannel",
    "API_KEY": PLANTED["expanded-path"],
    "DB_PASSWORD": PLANTED["expanded-version"],
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = PLANTED
    root = repo(
        tmp_path_factory.mktemp("planted") / "p",
        {
            "Dockerfile": (
                "FROM python:3.11-slim\n"
                f"ENV API_TOKEN={p['docker-env']}\n"
                f'ARG DB_PASSWORD="{p["docker-arg"]}"\n'
                f"ENV SECRET_KEY {p['docker-env-space']}\n"
                "COPY . /app\n"
                "RUN pip install -r /app/requirements.txt\n"
            ),
            "requirements.txt": (
                f"--index-url https://u:{p['index-url']}@pypi.example.com/simple\n"
                f"git+https://{p['vcs-token']}@github.com/org/tool.git#egg=tool\n"
                f"pkg @ https://files.example.com/pkg-1.0-py3-none-any.whl?token={p['query-token']}\n"
                "-r ${API_KEY}.txt\n"
                "torch==${DB_PASSWORD}\n"
                "numpy\n"
            ),
            "train.py": "import random\nimport numpy\nprint(random.random())\n",
        },
    )
    git(root, "remote", "add", "origin", f"me:{p['scp-remote']}@git.example.com:org/repo.git")
    return root


def _assert_clean(text: str, what: str) -> None:
    for kind, value in PLANTED.items():
        assert value not in text, f"{kind} secret leaked by {what}"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_planted_secret_in_any_format(planted: Path, fmt: str) -> None:
    res = invoke("check", str(planted), "--format", fmt, "--exit-zero", "--no-color", env=PLANTED_ENV)
    _assert_clean(res.stdout + res.stderr, f"check --format {fmt}")


@pytest.mark.parametrize(
    "argv",
    [
        ["snapshot"],
        ["snapshot", "--format", "cyclonedx"],
        ["fix", "dockerfile"],
        ["fix", "pins"],
        ["fix", "dockerignore"],
        ["fix", "gitignore"],
        ["fix", "seeds"],
    ],
    ids=lambda a: "-".join(a),
)
def test_no_planted_secret_in_any_command(planted: Path, argv: list[str]) -> None:
    res = invoke(*argv, str(planted), env=PLANTED_ENV)
    _assert_clean(res.stdout + res.stderr, " ".join(argv))


def test_fix_pins_diff_is_redacted(tmp_path: Path) -> None:
    p = PLANTED
    root = repo(
        tmp_path / "p",
        {
            "requirements.txt": (
                f"--index-url https://u:{p['index-url']}@pypi.example.com/simple\n"
                f"click @ git+https://{p['vcs-token']}@github.com/pallets/click.git\n"
                f"pytest @ https://files.example.com/pytest-8.0-py3-none-any.whl?token={p['query-token']}\n"
            ),
        },
    )
    # offline: both are installed here, and no hashes are asked for (nothing to resolve)
    # the environment is named: the one running the tests, where both are installed
    res = invoke(
        "fix", "pins", str(root), "--no-hashes", "--no-resolve", "--python", sys.executable, env=PLANTED_ENV
    )
    assert res.exit_code == 0, res.stderr
    _assert_clean(res.stdout + res.stderr, "fix pins")
    assert "+click @ git+https://***@github.com/pallets/click.git" in res.stdout  # requirements.in
    assert "pytest-8.0-py3-none-any.whl?token=***" in res.stdout


def test_snapshot_then_verify_and_diff_leak_nothing(planted: Path, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    assert invoke("snapshot", str(planted), "-o", str(snap), env=PLANTED_ENV).exit_code == 0
    _assert_clean(snap.read_text(), "the snapshot file")
    assert "/t/***/mychannel" in snap.read_text() and "***@git.example.com:org/repo.git" in snap.read_text()
    for fmt in ("text", "json", "markdown"):
        res = invoke("verify", str(snap), str(planted), "--format", fmt, env=PLANTED_ENV)
        _assert_clean(res.stdout + res.stderr, f"verify --format {fmt}")
    res = invoke("diff", str(snap), str(snap), env=PLANTED_ENV)
    _assert_clean(res.stdout + res.stderr, "diff")


def test_fix_dockerfile_diff_masks_the_old_secrets(tmp_path: Path) -> None:
    p = PLANTED
    root = repo(
        tmp_path / "p",
        {
            "Dockerfile": (
                "FROM python:3.11-slim\n"
                f"ENV API_TOKEN={p['docker-env']}\n"
                f'ARG DB_PASSWORD="{p["docker-arg"]}"\n'
                f"ENV SECRET_KEY {p['docker-env-space']}\n"
                "COPY . /app\n"
            ),
            "requirements.txt": "numpy==1.26.4 \\\n    --hash=sha256:" + "0" * 64 + "\n",
            "train.py": "print(1)\n",
        },
    )
    res = invoke("fix", "dockerfile", str(root), "--no-digest", "--force")
    assert res.exit_code == 0, res.output
    _assert_clean(res.output, "fix dockerfile --force")
    assert "-ENV API_TOKEN=***" in res.stdout and '-ARG DB_PASSWORD="***"' in res.stdout
    assert "-ENV SECRET_KEY ***" in res.stdout


BEARER = "S3cretBearerTok"
BASIC_PW = "pw4Basic9"
CLI_TOKEN = "cliTok8812"


def test_fix_dockerfile_diff_masks_http_credentials_in_run_lines(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "p",
        {
            "Dockerfile": (
                "FROM python:3.11-slim\n"
                f'RUN curl -H "Authorization: Bearer {BEARER}" https://example.com/a -o /a\n'
                f"RUN curl -u deploy:{BASIC_PW} https://example.com/b -o /b && tool --token={CLI_TOKEN}\n"
                "COPY . /app\n"
            ),
            "requirements.txt": "numpy==1.26.4 \\\n    --hash=sha256:" + "0" * 64 + "\n",
            "train.py": "print(1)\n",
        },
    )
    res = invoke("fix", "dockerfile", str(root), "--no-digest", "--force")
    assert res.exit_code == 0, res.output
    for secret in (BEARER, BASIC_PW, CLI_TOKEN):
        assert secret not in res.output
    assert "Authorization: Bearer ***" in res.stdout and "deploy:***" in res.stdout


def test_diff_redacts_credentials_a_given_snapshot_holds(tmp_path: Path) -> None:
    """A snapshot made by hand (or by another tool) is redacted on output, like verify."""
    import json

    base = {"schema_version": 1}
    src = tmp_path / "src"
    src.mkdir()
    assert invoke("snapshot", str(src), "-o", str(tmp_path / "a.json")).exit_code == 0
    data = json.loads((tmp_path / "a.json").read_text())
    data.setdefault("git", {})
    data["git"] = {
        **(data["git"] or {}),
        "remotes": [{"name": "origin", "url": f"https://bob:{BASIC_PW}@git.example.com/r.git"}],
    }
    (tmp_path / "b.json").write_text(json.dumps({**base, **data}))
    for fmt in ("text", "json", "markdown"):
        res = invoke("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", fmt)
        assert res.exit_code == 1, res.output
        assert BASIC_PW not in res.output and "***@git.example.com" in res.output, fmt


def test_git010_suggests_the_url_without_the_credential(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"train.py": "print(1)\n"})
    git(root, "remote", "add", "origin", f"https://git.example.com/r.git?token={CLI_TOKEN}&ref=main")
    git(root, "remote", "add", "up", f"https://bob:{BASIC_PW}@git.example.com/u.git")
    res = invoke("check", str(root), "--select", "GIT010", "--no-color", "--exit-zero")
    assert CLI_TOKEN not in res.output and BASIC_PW not in res.output
    assert "git remote set-url origin https://git.example.com/r.git?ref=main " in res.stdout
    assert "git remote set-url up https://git.example.com/u.git " in res.stdout
    assert "token=" not in res.stdout.split("set-url origin", 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize(
    "text, masked",
    [
        ('curl -H "Authorization: Bearer abc123xyz9" u', 'curl -H "Authorization: Bearer ***" u'),
        ("curl -H 'Private-Token: glx12345' u", "curl -H 'Private-Token: ***' u"),
        ("wget --user=bob --password=zz9 u", "wget --user=bob --password=*** u"),
        ("curl --user bob:zz9 u", "curl --user bob:*** u"),
        ("hf upload --token hfsecret1", "hf upload --token ***"),
        # true negatives: references, numeric uid:gid, flags without values
        ('curl -H "Authorization: Bearer $TOKEN" u', 'curl -H "Authorization: Bearer $TOKEN" u'),
        ("docker run -u 1000:1000 img", "docker run -u 1000:1000 img"),
        ("pip install --user foo", "pip install --user foo"),
        ("tool --token ${TOKEN}", "tool --token ${TOKEN}"),
        ("tool --token --verbose", "tool --token --verbose"),
    ],
)
def test_redact_text_masks_command_line_credentials(text: str, masked: str) -> None:
    from envaudit.redact import redact_text

    assert redact_text(text) == masked
