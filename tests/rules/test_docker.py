"""DKR rules: each fires, and stays quiet on the tricky true negatives."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import check, codes, write


def run(tmp_path: Path, dockerfile: str, select: str, **files: str) -> list[tuple[str, int | None]]:
    write(
        tmp_path,
        {
            "Dockerfile": dockerfile,
            **{k.replace("__", "/").replace("_DOT_", "."): v for k, v in files.items()},
        },
    )
    return sorted((f.code, f.location.line) for f in check(tmp_path, select).findings)


def test_dkr001(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x"})
    assert codes(check(tmp_path, "DKR001")) == ["DKR001"]
    write(tmp_path, {"docker/train.Dockerfile": "FROM a:1\n"})
    assert codes(check(tmp_path, "DKR001")) == []


def test_dkr002_and_dkr003(tmp_path: Path) -> None:
    df = (
        "ARG IMG=python\nARG UNSET\nFROM python AS a\nFROM python:latest\nFROM ${IMG}\nFROM ${UNSET}\n"
        "FROM a\nFROM scratch\nFROM python:3.11-slim\nFROM python@sha256:" + "a" * 64 + "\n"
        "FROM reg.io:5000/x/y\nFROM reg.io:5000/x/y:1.0\n"
    )
    got = run(tmp_path, df, "DKR002,DKR003")
    assert got == [
        ("DKR002", 3),
        ("DKR002", 4),
        ("DKR002", 5),
        ("DKR002", 11),
        ("DKR003", 9),
        ("DKR003", 12),
    ]


def test_dkr004_pins_ranges_files(tmp_path: Path) -> None:
    df = """
        FROM python:3.11-slim
        RUN pip install --no-cache-dir numpy==1.26.4 "a===1" ./pkg /w/x.whl git+https://h/r@0123456789abcdef0123456789abcdef01234567 "b @ https://x/b.whl"
        RUN pip install --no-cache-dir "scipy>=1.13"
        RUN pip install --no-cache-dir -r req.txt
        RUN pip install --no-cache-dir -r locked.txt
        RUN pip install --no-cache-dir -c cons.txt torch
        RUN pip install --no-cache-dir -c cons.txt jax
        RUN pip install --no-cache-dir -r missing.txt && pip install --no-cache-dir -e .
        RUN uv pip install --system rich && python3 -m pip install -U pip
        RUN pip download numpy && pip wheel numpy
    """
    got = run(
        tmp_path,
        df,
        "DKR004",
        req_DOT_txt="requests\nidna==3.7\n",
        locked_DOT_txt="idna==3.7 \\\n    --hash=sha256:" + "0" * 64 + "\n# c\n-e .\n",
        cons_DOT_txt="torch==2.3.1\n",
    )
    assert got == [("DKR004", 3), ("DKR004", 4), ("DKR004", 7), ("DKR004", 9), ("DKR004", 9)]


def test_dkr004_message_names_file_packages(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"Dockerfile": "FROM a:1\nRUN pip install -r requirements.txt\n", "requirements.txt": "flask\n"},
    )
    [f] = check(tmp_path, "DKR004").findings
    assert "requirements.txt does not pin flask" in f.message


def test_dkr005(tmp_path: Path) -> None:
    df = """
        FROM python:3.11-slim AS a
        RUN pip install x==1
        RUN PIP_NO_CACHE_DIR=1 pip install x==1
        RUN --mount=type=cache,target=/root/.cache/pip pip install x==1
        RUN uv pip install --system x==1
        FROM python:3.11-slim
        ENV PIP_NO_CACHE_DIR=off
        RUN pip install x==1
    """
    assert run(tmp_path, df, "DKR005") == [("DKR005", 2)]


def test_dkr006_dkr007_dkr008(tmp_path: Path) -> None:
    df = """
        FROM debian:12 AS builder
        RUN apt-get update && apt-get install -y gcc
        FROM debian:12
        RUN apt-get update && apt-get install -y --no-install-recommends curl=7 git/bookworm ./x.deb \\
         && rm -rf /var/lib/apt/lists/*
        RUN apt-get update
        RUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y a=1
        RUN apt install -y b
        USER 1
    """
    got = run(tmp_path, df, "DKR006,DKR007,DKR008")
    assert got == [("DKR006", 2), ("DKR006", 4), ("DKR006", 8), ("DKR007", 6), ("DKR008", 6)]


def test_dkr009(tmp_path: Path) -> None:
    assert run(tmp_path, "FROM a:1\nRUN x\n", "DKR009") == [("DKR009", 1)]
    assert run(tmp_path, "FROM a:1\nUSER app\nRUN x\nUSER root\n", "DKR009") == [("DKR009", 4)]
    assert run(tmp_path, "FROM a:1 AS base\nUSER 1000\nFROM base\nRUN x\n", "DKR009") == []
    assert run(tmp_path, "FROM a:1 AS b\nUSER 1000\nFROM a:1\nCOPY --from=b /x /x\n", "DKR009") == [
        ("DKR009", 3)
    ]
    assert run(tmp_path, "FROM a:1\nUSER root\nRUN x\nUSER 10001:10001\n", "DKR009") == []


def test_dkr010(tmp_path: Path) -> None:
    bad = "FROM a:1\nCOPY . /app\nRUN pip install --no-cache-dir -r /app/requirements.txt\n"
    assert run(tmp_path, bad, "DKR010") == [("DKR010", 2)]
    good = "FROM a:1\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nRUN pip install --no-deps .\n"
    assert run(tmp_path, good, "DKR010") == []
    later = "FROM a:1 AS b\nCOPY . .\nRUN make\nFROM a:1\nCOPY --from=b / /\nRUN pip install x==1\n"
    assert run(tmp_path, later, "DKR010") == []


def test_dkr011(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM a:1\n", "data/x.csv": "1", "model.pt": b"\0"})
    assert [f.location.path for f in check(tmp_path, "DKR011").findings] == [".dockerignore"]
    write(tmp_path, {".dockerignore": ".git\n.env\n.venv\n"})
    [f] = check(tmp_path, "DKR011").findings
    assert "caches" in f.message and "data/" in f.message and "*.pt" in f.message
    write(tmp_path, {".dockerignore": "**/.git\n.env*\nvenv/\n**/__pycache__\n/data\n*.pt\n"})
    write(tmp_path, {".env": "", "venv/x": ""})
    assert check(tmp_path, "DKR011").findings == []


def test_dkr012(tmp_path: Path) -> None:
    df = "FROM debian:12\nRUN apt-get update && apt-get install -y build-essential=12.9 libpq-dev=15 curl=7\nUSER 1\n"
    assert run(tmp_path, df, "DKR012") == [("DKR012", 2)]
    multi = "FROM debian:12 AS b\nRUN apt-get install -y gcc\nFROM debian:12\nCOPY --from=b /x /x\n"
    assert run(tmp_path, multi, "DKR012") == []


def test_dkr013(tmp_path: Path) -> None:
    df = """
        FROM debian:12
        RUN curl -fsSL https://x/install.sh | sh
        RUN wget -qO- https://x | tee log | bash -s --
        RUN sh -c "$(curl -fsSL https://x/i.sh)"
        RUN curl -fsSLo i.sh https://x/i.sh && sha256sum -c s && sh i.sh
        RUN curl -s https://raw.githubusercontent.com/o/r/0123456789abcdef0123456789abcdef01234567/i.sh | sh
        RUN curl -s https://x/data.json | jq .
    """
    assert run(tmp_path, df, "DKR013") == [("DKR013", 2), ("DKR013", 3), ("DKR013", 4)]


def test_dkr014(tmp_path: Path) -> None:
    df = """
        FROM a:1
        ADD . /app
        ADD v.tar.gz /opt/
        ADD https://x/m.bin /m
        ADD --checksum=sha256:abc https://x/m.bin /m
        ADD ["conf", "/etc/"]
        COPY x /x
    """
    assert run(tmp_path, df, "DKR014") == [("DKR014", 2), ("DKR014", 4), ("DKR014", 6)]


def test_dkr015(tmp_path: Path) -> None:
    df = "FROM ghcr.io/x/y:py3.10-cpu\nFROM pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime\nFROM ghcr.io/x/y:py3.12-cpu\n"
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.11"\n'})
    assert run(tmp_path, df, "DKR015") == [("DKR015", 1)]
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', ".python-version": "3.12.4\n"})
    assert run(tmp_path, df, "DKR015") == [("DKR015", 1)]
    # a base built from an ARG is not a declaration PY002 reads: DKR015 compares it
    assert run(tmp_path, "ARG PY=3.10\nFROM python:${PY}-slim\n", "DKR015,PY002") == [("DKR015", 2)]


def test_a_python_base_that_disagrees_is_one_finding_not_two(tmp_path: Path) -> None:
    # `FROM python:3.12-slim` is a Python declaration of its own: PY002 (two declarations
    # contradict) reports it, DKR015 does not report the same cause again (new-user report).
    digest = "a" * 64
    write(tmp_path, {".python-version": "3.11\n"})
    for base in ("python:3.12-slim", f"python:3.12-slim@sha256:{digest}"):
        assert run(tmp_path, f"FROM {base}\nUSER 1000\n", "DKR015,PY002") == [("PY002", 1)]
    # and where they agree, neither
    assert run(tmp_path, "FROM python:3.11-slim\n", "DKR015,PY002") == []


def test_dkr015_quiet_without_declaration(tmp_path: Path) -> None:
    assert run(tmp_path, "FROM python:3.10-slim\n", "DKR015") == []


def test_dkr016(tmp_path: Path) -> None:
    df = "FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04\nRUN pip install --no-cache-dir -r requirements.txt\n"
    got = run(tmp_path, df, "DKR016", requirements_DOT_txt="torch==2.3.1+cu121\n")
    assert got == [("DKR016", 1)]
    # the torch pin names the line, not the `--extra-index-url …/cu121` line above it; the
    # fix names a tag NVIDIA publishes, with the cuDNN torch 2.3 is built with (8: see
    # tests/test_cudacompat.py for the sources)
    write(
        tmp_path,
        {
            "requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1+cu121\n"
        },
    )
    (f,) = check(tmp_path, "DKR016").findings
    assert f.message.endswith("(requirements.txt:2)")
    assert "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04" in f.fix.description
    write(
        tmp_path,
        {
            "requirements.txt": "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.4.1+cu121\n"
        },
    )
    (f,) = check(tmp_path, "DKR016").findings
    assert (
        "nvidia/cuda:12.1.1-runtime-ubuntu22.04" in f.fix.description
        and "no cuDNN 9 image" in f.fix.description
    )
    ok = "FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04\n"
    assert run(tmp_path, ok, "DKR016", requirements_DOT_txt="torch==2.3.1+cu121\n") == []
    idx = "FROM pytorch/pytorch:2.3.1-cuda11.8-cudnn8-runtime\nRUN pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu124\n"
    assert run(tmp_path, idx, "DKR016", requirements_DOT_txt="numpy==1\n") == [("DKR016", 1)]
    cpu = "FROM nvidia/cuda:11.8.0-runtime-ubuntu22.04\n"
    assert run(tmp_path, cpu, "DKR016", requirements_DOT_txt="torch==2.3.1\n") == []


def test_dkr017_never_prints_the_value(tmp_path: Path) -> None:
    secret = "hf_abcdefghijklmnopqrstuvwxyz0123456789"
    df = f"FROM a:1\nARG HF_TOKEN\nENV HF_TOKEN={secret}\nENV DB_PASSWORD ${{PW}}\nARG API_KEY=zzz-not-empty\nENV LOG_LEVEL=debug\nCOPY .env id_rsa /app/\nCOPY src /src\n"
    write(tmp_path, {"Dockerfile": df})
    res = check(tmp_path, "DKR017")
    assert [(f.code, f.location.line) for f in res.findings] == [("DKR017", 3), ("DKR017", 5), ("DKR017", 7)]
    assert all(secret not in f.message and "zzz" not in f.message for f in res.findings)


def test_dkr018_only_claims_its_own(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM a:1\nNOPE\n"})
    res = check(tmp_path, "DKR018")
    assert [(f.code, f.location.line) for f in res.findings] == [("DKR018", 2)]
    assert "unknown instruction" in res.findings[0].message


def test_dkr004_vcs_needs_a_commit(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    df = f"""
        FROM python:3.11-slim
        RUN pip install --no-cache-dir 'git+https://example.org/org/repo'
        RUN pip install --no-cache-dir "git+https://example.org/org/repo@main"
        RUN pip install --no-cache-dir "pkg @ git+https://example.org/o/p@v1.0"
        RUN pip install --no-cache-dir "git+https://example.org/o/p@{sha}#egg=p"
        RUN pip install --no-cache-dir "pkg @ git+ssh://git@example.org/o/p.git@{sha}"
        RUN pip install --no-cache-dir https://example.org/p-1.0.tar.gz ./vendor/p
        USER 1
    """
    assert run(tmp_path, df, "DKR004") == [("DKR004", 2), ("DKR004", 3), ("DKR004", 4)]


def test_variables_set_earlier_in_the_same_run(tmp_path: Path) -> None:
    df = """
        FROM ubuntu:22.04
        RUN pkgs="curl=7.81.0-1ubuntu1.16 git=1:2.34.1-1ubuntu1" && apt-get update \\
            && apt-get install -y --no-install-recommends $pkgs && rm -rf /var/lib/apt/lists/*
        RUN export V=1.26.4; pip install --no-cache-dir numpy==${V}
        RUN P=numpy pip install --no-cache-dir $P
        RUN loose="curl wget"; apt-get update && apt-get install -y $loose && rm -rf /var/lib/apt/lists/*
        USER 1
    """
    # line 5: `P=numpy cmd` sets P for that command's environment, not for its own arguments
    assert run(tmp_path, df, "DKR004,DKR006") == [("DKR004", 5), ("DKR006", 6)]


def test_apt_lists_removed_in_each_spelling(tmp_path: Path) -> None:
    df = """
        FROM debian:12
        RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /var/lib/apt/lists*
        RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /var/lib/apt/lists
        RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /var/lib/apt/*
        RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /var/lib/apt/lists/partial
        RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /var/cache/apt/*
        USER 1
    """
    assert run(tmp_path, df, "DKR007") == [("DKR007", 5), ("DKR007", 6)]


def test_instructions_without_arguments_are_dkr018(tmp_path: Path) -> None:
    df = "FROM debian:12\nRUN\nRUN  \nCOPY onlyone\nWORKDIR\nCMD\nENTRYPOINT\nRUN <<EOF\necho\nEOF\nUSER 1\n"
    assert run(tmp_path, df, "DKR018") == [("DKR018", 2), ("DKR018", 3), ("DKR018", 4), ("DKR018", 5)]


GOOD_IGNORE = "**/.git\n.env*\n.venv\nvenv\n**/__pycache__\n"


def test_dkr011_reads_the_ignore_file_of_each_build_context(tmp_path: Path) -> None:
    # services/serve/ is a build context of its own: its COPY sources are beside its
    # Dockerfile (as DKR004 decides), so BuildKit reads services/serve/.dockerignore
    serve = (
        "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY app.py .\n"
    )
    write(
        tmp_path,
        {
            ".dockerignore": GOOD_IGNORE,
            "requirements-dev.txt": "pytest==8.2.0\n",
            "services/serve/Dockerfile": serve,
            "services/serve/requirements.txt": "numpy==2.0.2\n",
            "services/serve/app.py": "print(1)\n",
        },
    )
    (f,) = check(tmp_path, "DKR011").findings
    assert f.location.path == "services/serve/.dockerignore" and "services/serve" in f.fix.description
    write(tmp_path, {"services/serve/.dockerignore": GOOD_IGNORE})
    assert check(tmp_path, "DKR011").findings == []
    # a Dockerfile whose sources are at the root is built from the root
    write(tmp_path, {"docker/Dockerfile": "FROM a:1\nCOPY requirements-dev.txt .\n"})
    assert check(tmp_path, "DKR011").findings == []


def test_dkr011_knows_buildkits_per_dockerfile_ignore_file(tmp_path: Path) -> None:
    # BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile before the context's
    # .dockerignore (docs.docker.com, "Build context" / Dockerfile-specific ignore files)
    gpu = "FROM a:1\nCOPY train.py .\n"
    write(tmp_path, {"docker/Dockerfile.gpu": gpu, "train.py": "print(1)\n"})
    (f,) = check(tmp_path, "DKR011").findings
    assert f.location.path == ".dockerignore"
    write(tmp_path, {"docker/Dockerfile.gpu.dockerignore": ".git\n"})
    (f,) = check(tmp_path, "DKR011").findings
    assert f.location.path == "docker/Dockerfile.gpu.dockerignore" and ".env" in f.message
    assert "docker/Dockerfile.gpu.dockerignore" in f.fix.description
    write(tmp_path, {"docker/Dockerfile.gpu.dockerignore": GOOD_IGNORE})
    assert check(tmp_path, "DKR011").findings == []  # the root has none, and BuildKit never reads it here
