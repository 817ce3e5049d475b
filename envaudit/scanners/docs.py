"""The project's documentation and the tree around it, for the DOC rules.

Reads the README (Markdown, reStructuredText or plain text) into headings, code
(fenced, indented, `.. code-block::`, `::` literal blocks, inline code, `$ `
prompts) and links; then looks at the tree with a light, line-based pass over
the project's Python sources, requirements and Dockerfiles for what the README
should document: GPU use, data, hyperparameters, model weights, tests and CI.
It records facts only (file and line of each signal); the DOC rules judge.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

README_NAMES = ("README.md", "README.markdown", "README.rst", "README.txt", "README")
MAX_SOURCE_FILES = 3000
MAX_SOURCE_BYTES = 1_000_000


@dataclass(frozen=True)
class Signal:
    """Something seen at a place: `what` is a short label, `text` the matched text."""

    path: str
    line: int
    what: str
    text: str = ""


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    title: str


@dataclass(frozen=True)
class Link:
    line: int
    text: str
    target: str


@dataclass(frozen=True)
class Readme:
    path: str
    kind: str  # "markdown" | "rst" | "text"
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    code_lines: int  # lines of code (blocks, inline spans, prompts) found
    setup_commands: tuple[Signal, ...]
    hardware: tuple[Signal, ...]
    data_refs: tuple[Signal, ...]
    model_card: tuple[Signal, ...]  # a model-card heading or model front matter
    test_refs: tuple[Signal, ...]


@dataclass(frozen=True)
class DocsFacts:
    readme: Readme | None
    other_readmes: tuple[str, ...]  # e.g. a README under a case-variant name in a subfolder
    setup_docs: tuple[Signal, ...]  # setup commands in INSTALL*, docs/install*, linked docs
    install_links: tuple[Link, ...]  # README links to installation docs elsewhere
    gpu_signals: tuple[Signal, ...]
    data_usage: tuple[Signal, ...]
    data_docs: tuple[Signal, ...]  # download scripts, sample data, DVC, data READMEs, code downloads
    hyperparams: tuple[Signal, ...]  # hard-coded hyperparameter literals
    config_sources: tuple[Signal, ...]  # config files, hydra, argparse/click options for them
    weight_files: tuple[str, ...]
    weights_saved: tuple[Signal, ...]
    model_cards: tuple[str, ...]
    tests: tuple[str, ...]
    ci_files: tuple[str, ...]
    ci_runs_tests: tuple[Signal, ...]
    python_sources: int


# ------------------------------------------------------------------ patterns
_SETUP_CMD = lazy_re(
    r"(?:^|[\s;&|(`])(?:"
    r"(?:pip3?|python3?(?:\.\d+)?\s+-m\s+pip|py\s+-m\s+pip|uv\s+pip|pipx)\s+install\b"
    r"|(?:conda|mamba|micromamba)\s+(?:env\s+(?:create|update)|create|install)\b"
    r"|uv\s+(?:sync|venv|add|run|tool\s+install)\b"
    r"|poetry\s+install\b|pipenv\s+(?:install|sync)\b|pdm\s+(?:install|sync)\b"
    r"|hatch\s+(?:env\s+create|shell|run)\b|pixi\s+(?:install|run|shell)\b"
    r"|make\s+(?:install|setup|env|environment|deps|dependencies|requirements|venv|init)\b"
    r"|docker\s+(?:build|pull|run|compose\s+(?:build|up|run))\b|docker-compose\s+(?:build|up|run)\b"
    r"|python3?\s+setup\.py\s+(?:install|develop)\b"
    r"|python3?\s+-m\s+venv\b|virtualenv\s+\S|nix\s+(?:develop|shell)\b"
    r"|(?:bash|sh|source|\.)\s+\S*(?:install|setup|env)\S*\.sh\b|\./\S*(?:install|setup)\S*\.sh\b"
    r")",
    re.IGNORECASE,
)
_PROMPT = lazy_re(r"^\s*(?:\(\S+\)\s*)?(?:\$|%|>|PS>|C:\\>)\s+")
_HARDWARE = lazy_re(
    r"\b(?:GPUs?|CUDA|cuDNN|VRAM|NVIDIA|TPUs?|A100|V100|H100|H200|A10G?|L40S?|RTX\s?\d{3,4}|GTX\s?\d{3,4}"
    r"|compute capability|\d+(?:\.\d+)?\s?(?:GB|GiB|TB)\b|(?:GPU|system|host|device)\s+memory"
    r"|RAM\b|hardware|accelerators?)",
    re.IGNORECASE,
)
_DATA_HEADING = lazy_re(
    r"\b(?:data(?:sets?)?|corpus|corpora|download(?:ing)?|benchmarks?\s+data|preprocess(?:ing)?)\b",
    re.IGNORECASE,
)
_URL = lazy_re(r"https?://[^\s)>\]\"'`]+")
_DATA_WORDS = lazy_re(
    r"\b(?:data(?:sets?)?|corpus|download|kaggle|zenodo|figshare|huggingface\.co/datasets|hf\.co/datasets"
    r"|dvc\s+pull|gsutil|aws\s+s3|wget|curl)\b",
    re.IGNORECASE,
)
_MODEL_CARD_HEADING = lazy_re(
    r"^(?:model\s*cards?|model\s+details|model\s+description|intended\s+uses?(?:\s*&\s*limitations)?"
    r"|limitations(?:\s+and\s+biases)?|bias,?\s+risks,?\s+and\s+limitations|training\s+details)\b",
    re.IGNORECASE,
)
SETUP_HEADING = lazy_re(
    r"\b(?:install(?:ation|ing)?|setup|set\s*up|getting\s+started|quick\s*start|usage|requirements"
    r"|dependencies|environment|how\s+to\s+run|running|build(?:ing)?|prerequisites)\b",
    re.IGNORECASE,
)
_INSTALL_LINK = lazy_re(r"install|setup|getting[-_ ]?started|quick[-_ ]?start", re.IGNORECASE)
_TEST_WORDS = lazy_re(r"\b(?:pytest|unittest|tox|nox|make\s+test)\b", re.IGNORECASE)

_GPU_SOURCE = lazy_re(
    r"torch\.cuda\b|\.cuda\(\s*\)|\.to\(\s*['\"]cuda|device\s*=\s*['\"]cuda|torch\.device\(\s*['\"]cuda"
    r"|['\"]cuda:\d['\"]|list_physical_devices\(\s*['\"]GPU|jax\.devices\(\s*['\"]gpu"
    r"|accelerator\s*=\s*['\"](?:gpu|cuda)['\"]|\bgpus\s*=\s*-?[1-9]|^[ \t]*import\s+cupy|^[ \t]*from\s+cupy\b"
    r"|numba\.cuda|^[ \t]*from\s+numba\s+import\s+cuda|device_map\s*=\s*['\"]auto['\"]",
    re.MULTILINE,
)
_GPU_REQ = lazy_re(
    r"\+cu\d{2,3}\b|download\.pytorch\.org/whl/cu\d+|^[ \t]*nvidia-[a-z0-9-]+-cu\d+|^[ \t]*cupy-cuda"
    r"|tensorflow\[and-cuda\]|jax\[cuda|\bpytorch-cuda\b|\bcudatoolkit\b|\bcuda-version\b|^[ \t]*-[ \t]*cuda-",
    re.MULTILINE | re.IGNORECASE,
)
_GPU_IMAGE = lazy_re(
    r"^[ \t]*FROM[ \t]+(?:--\S+[ \t]+)*(?:\S*nvidia/cuda|nvcr\.io/\S+|\S*pytorch/pytorch:\S*cuda|\S*tensorflow/tensorflow:\S*gpu"
    r"|\S*cuda\S*)",
    re.MULTILINE | re.IGNORECASE,
)
_DATA_SOURCE = lazy_re(
    r"\b(?:pd|pandas)\.read_(?:csv|parquet|json|excel|feather|table|pickle)\(|\bnp\.(?:load|loadtxt|genfromtxt)\("
    r"|\bload_dataset\(|\btorchvision\.datasets\.|\bdatasets\.(?:MNIST|CIFAR10|CIFAR100|ImageNet|FashionMNIST)\("
    r"|\bImageFolder\(|\btfds\.load\(|\bkeras\.datasets\.|\bh5py\.File\(|\bopen\(\s*['\"][^'\"]*\.(?:csv|tsv|jsonl?|parquet|npy|npz|txt|h5|hdf5)['\"]"
    # a file opened to write (or append, or create) is an output, not data the code reads
    r"(?!\s*,\s*(?:mode\s*=\s*)?['\"][rbt+]*[wax])"
    r"|['\"](?:\./)?data/[^'\"]+['\"]|\bsklearn\.datasets\.fetch_|\bfetch_openml\(",
)
_CODE_DOWNLOAD = lazy_re(
    r"download\s*=\s*True|\bload_dataset\(\s*['\"][\w./-]+['\"]|\btfds\.load\(\s*['\"]|\bkeras\.datasets\.\w+\.load_data\("
    r"|\bfetch_openml\(|\bsklearn\.datasets\.fetch_\w+\(|\b(?:urlretrieve|hf_hub_download|snapshot_download)\(",
)
_HYPER_NAMES = (
    r"(?:lr|learning_rate|base_lr|batch_size|train_batch_size|eval_batch_size|epochs|num_epochs|n_epochs|max_epochs"
    r"|weight_decay|momentum|dropout|dropout_rate|hidden_size|hidden_dim|num_layers|n_layers|warmup_steps"
    r"|max_steps|num_train_epochs|gamma|beta1|beta2|n_estimators|max_depth|embed_dim|num_heads)"
)
_HYPER_ASSIGN = lazy_re(
    rf"^\s*(?:self\.)?(?P<name>{_HYPER_NAMES}|{_HYPER_NAMES.upper()})\s*(?::\s*\w+\s*)?=\s*(?P<value>-?\d[\d_]*(?:\.\d*)?(?:e-?\d+)?)\s*(?:#.*)?$"
)
_HYPER_KWARG = lazy_re(
    r"\b(?P<name>lr|learning_rate|batch_size|epochs|num_epochs|max_epochs|weight_decay|momentum)\s*=\s*(?P<value>\d[\d_]*(?:\.\d*)?(?:e-?\d+)?)\b(?!\s*[=<>])"
)
_CONFIG_CODE = lazy_re(
    r"@hydra\.main|\bhydra\.(?:initialize|compose)\(|\bOmegaConf\.load\(|\bgin\.parse_config|\bml_collections\b"
    r"|\bconfig_flags\.DEFINE|\bLightningCLI\(|\bHfArgumentParser\(|\bTrainingArguments\(|\bjsonargparse\b"
    r"|\badd_argument\(\s*['\"]--?(?:lr|learning[-_]rate|batch[-_]size|epochs|num[-_]epochs|max[-_]epochs|weight[-_]decay)['\"]"
    r"|@click\.option\(\s*['\"]--(?:lr|learning-rate|batch-size|epochs)['\"]|\bflags\.DEFINE_(?:float|integer)\(\s*['\"](?:lr|learning_rate|batch_size|epochs)"
    r"|\byaml\.safe_load\(|\btomllib\.load\(|\bjson\.load\(\s*open\(\s*['\"][^'\"]*config",
)
_WEIGHT_EXT = (
    ".pt",
    ".pth",
    ".ckpt",
    ".safetensors",
    ".h5",
    ".hdf5",
    ".onnx",
    ".pb",
    ".tflite",
    ".keras",
    ".bin",
)
_WEIGHT_SAVE = lazy_re(
    r"\btorch\.save\(|\.save_pretrained\(|\.save_weights\(|\bmodel\.save\(|\btrainer\.save_model\(|\bsave_model\("
    r"|\btorch\.onnx\.export\(|\bModelCheckpoint\(|\bsafetensors\.torch\.save_file\(|\bsave_file\(\s*\w*state"
    r"|\bjoblib\.dump\(\s*(?:model|clf|estimator|pipeline|pipe|regressor|classifier)\b|\bpush_to_hub\(",
)
_MODEL_CARD_FILES = {"model_card.md", "modelcard.md", "model-card.md", "model_card.rst"}
_CI_FILES = lazy_re(
    r"^(?:\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.circleci/config\.ya?ml|azure-pipelines\.ya?ml"
    r"|\.travis\.ya?ml|Jenkinsfile|bitbucket-pipelines\.ya?ml|\.buildkite/[^/]+\.ya?ml|\.drone\.ya?ml"
    r"|\.woodpecker(?:\.ya?ml|/[^/]+\.ya?ml)|\.gitea/workflows/[^/]+\.ya?ml|\.forgejo/workflows/[^/]+\.ya?ml"
    r"|appveyor\.ya?ml|\.ci/[^/]+)$"
)
_CI_RUNS_TESTS = lazy_re(
    r"\b(?:pytest|py\.test|unittest|tox|nox|make\s+(?:test|tests|check)|hatch\s+(?:test|run\s+\S*test)"
    r"|(?:npm|yarn|pnpm)\s+(?:run\s+)?test|ctest|run[-_]tests?|\.?/?tests?\.sh|coverage\s+run)\b"
)
_DOWNLOAD_SCRIPT = lazy_re(
    r"(?:^|/)(?:download|fetch|get)[-_]?(?:data|dataset|datasets|weights|models?)?\w*\.(?:py|sh|ps1|bash|ipynb)$"
    r"|(?:^|/)(?:prepare|make)[-_](?:data|dataset)\w*\.(?:py|sh)$",
    re.IGNORECASE,
)
_SAMPLE_DATA = lazy_re(
    r"(?:^|/)(?:sample|samples|example|examples|toy|dummy|demo)[-_]?(?:data|dataset|inputs?)?(?:/|\.(?:csv|tsv|json|jsonl|parquet|npz|txt)$)",
    re.IGNORECASE,
)
_CONFIG_FILE = lazy_re(
    r"(?:^|/)(?:configs?|conf|hparams|hyperparams|experiments)/[^/].*\.(?:ya?ml|json|toml|gin|cfg|ini|py)$"
    r"|(?:^|/)(?:config|configs|hparams|hyperparams|hyperparameters|params|train_config|training_config)[\w.-]*\.(?:ya?ml|json|toml|gin)$"
    r"|\.gin$",
    re.IGNORECASE,
)
_TEST_FILE = lazy_re(r"(?:^|/)(?:tests?/.+\.py|test_[^/]*\.py|[^/]*_test\.py|conftest\.py)$")
_MANIFEST = lazy_re(
    r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|environment[^/]*\.ya?ml|pyproject\.toml"
    r"|setup\.cfg|setup\.py|Pipfile|conda[^/]*\.ya?ml)$"
)
_DOCKERFILE = lazy_re(r"(?:^|/)(?:Dockerfile[^/]*|Containerfile[^/]*|[^/]+\.(?:dockerfile|Dockerfile))$")


# ------------------------------------------------------------------ README parsing
def _kind(rel: str) -> str:
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".rst":
        return "rst"
    return "text"


_RST_UNDERLINE = lazy_re(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_MD_HEADING = lazy_re(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_FENCE = lazy_re(r"^ {0,3}(`{3,}|~{3,})")
# Bounded and atomic (`(?=(?P<x>...))(?P=x)` is an atomic group Python 3.10 can read): the
# plain form was quadratic on a line of `<` after backquotes. Markdown links are found by
# `_md_links`, linear in the line.
_RST_LINK = lazy_re(r"`(?P<text>[^`<]{0,2048}?)\s*<(?=(?P<target>[^>]{1,2048}))(?P=target)>`_")
_INLINE_CODE = lazy_re(r"``?([^`]+)``?")


@dataclass
class _Parsed:
    headings: list[Heading]
    links: list[Link]
    code: list[tuple[int, str]]  # (line, code text)
    prose: list[tuple[int, str]]


def parse_readme(text: str, kind: str) -> _Parsed:
    lines = text.splitlines()
    out = _Parsed([], [], [], [])
    fence: str | None = None
    literal_indent: int | None = None  # rst: inside a literal block
    expect_literal = False
    prev_blank = True
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            else:
                out.code.append((i, line))
            prev_blank = not stripped
            continue
        if kind == "markdown":
            m = _MD_FENCE.match(line)
            if m:
                fence = m.group(1)[0] * 3
                prev_blank = False
                continue
        if kind == "rst":
            if literal_indent is not None:
                indent = len(line) - len(line.lstrip())
                if not stripped or indent >= literal_indent:
                    if stripped:
                        out.code.append((i, line))
                    continue
                literal_indent = None
            if expect_literal and stripped:
                indent = len(line) - len(line.lstrip())
                if indent > 0:
                    literal_indent = indent
                    out.code.append((i, line))
                    expect_literal = False
                    continue
                expect_literal = False
            if re.match(r"^\.\.\s+(?:code-block|code|sourcecode|prompt)::", stripped) or (
                stripped.endswith("::") and not stripped.startswith("..")
            ):
                expect_literal = True
                # `Install it with::` is prose too
                out.prose.append((i, stripped.rstrip(":")))
                continue
            if stripped.startswith(".. ") and not stripped.startswith(".. _"):
                prev_blank = False
                continue
        # headings
        if kind == "markdown":
            m = _MD_HEADING.match(line)
            if m:
                out.headings.append(Heading(i, len(m.group(1)), _clean_title(m.group(2))))
                prev_blank = False
                continue
            m = re.match(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>", line, re.IGNORECASE)
            if m:
                out.headings.append(Heading(i, int(m.group(1)), _clean_title(m.group(2))))
                continue
        if (
            stripped
            and i < len(lines)
            and not line.startswith((" ", "\t"))
            and (
                (kind == "rst" and _RST_UNDERLINE.match(lines[i].strip()))
                or (kind in ("markdown", "text") and re.match(r"^(=+|-+)\s*$", lines[i].strip()))
            )
            and len(lines[i].strip()) >= max(3, len(stripped) // 2)
        ):
            level = 1 if lines[i].strip()[0] == "=" else 2
            out.headings.append(Heading(i, level, _clean_title(stripped)))
            continue
        if _RST_UNDERLINE.match(stripped) or re.match(r"^(=+|-+)\s*$", stripped):
            prev_blank = False
            continue
        # indented code (Markdown/text): four spaces or a tab after a blank line or more code
        indented = line.startswith(("    ", "\t")) and stripped
        if (
            indented
            and kind != "rst"
            and (prev_blank or (out.code and out.code[-1][0] == i - 1))
            and not re.match(r"^\s*(?:[-*+]|\d+[.)])\s", line)  # a nested list item is not code
        ):
            out.code.append((i, line))
            prev_blank = False
            continue
        if not stripped:
            prev_blank = True
            continue
        prev_blank = False
        # a shell prompt line counts as code wherever it is
        if _PROMPT.match(line):
            out.code.append((i, line))
            continue
        for m in _INLINE_CODE.finditer(line):
            out.code.append((i, m.group(1)))
        for text, target in _md_links(line):
            out.links.append(Link(i, text, target))
        for m in _RST_LINK.finditer(line) if ">`_" in line else ():
            out.links.append(Link(i, m.group("text"), m.group("target")))
        for m in re.finditer(r"<a\s[^>]*href=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", line, re.IGNORECASE):
            out.links.append(Link(i, re.sub(r"<[^>]+>", "", m.group(2)), m.group(1)))
        out.prose.append((i, stripped))
    return out


def _clean_title(title: str) -> str:
    title = re.sub(r"<[^>]+>", "", title)
    title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)
    title = re.sub(r"[*_`:]+", "", title)
    title = re.sub(r"^[^\w]+", "", title)  # emoji and numbering punctuation
    title = re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", title)
    return title.strip()


def setup_commands(rel: str, code: list[tuple[int, str]]) -> list[Signal]:
    out = []
    for line, text in code:
        cmd = _PROMPT.sub("", text).strip()
        m = _SETUP_CMD.search(cmd)
        if m:
            out.append(Signal(rel, line, "setup-command", cmd[:200]))
    return out


def _readme(inv: Inventory, rel: str) -> Readme | None:
    tf = inv.read(rel)
    if tf is None:
        return None
    kind = _kind(rel)
    parsed = parse_readme(tf.text, kind)
    hardware = []
    data_refs = []
    tests = []
    for line, text in parsed.prose + parsed.code:
        m = _HARDWARE.search(text)
        if m:
            hardware.append(Signal(rel, line, "hardware", m.group(0)))
        if _TEST_WORDS.search(text):
            tests.append(Signal(rel, line, "tests", text[:120]))
    sections = _sections(parsed)
    for line, text in parsed.prose + parsed.code:
        url = _URL.search(text)
        if url and (_DATA_WORDS.search(text) or _DATA_HEADING.search(sections.get(line, ""))):
            if "shields.io" in url.group(0) or "badge" in url.group(0):
                continue
            data_refs.append(Signal(rel, line, "data-url", url.group(0)))
        elif re.search(r"\b(?:dvc\s+pull|kaggle\s+(?:datasets|competitions)\s+download)\b", text):
            data_refs.append(Signal(rel, line, "data-command", text[:120]))
        elif _DOWNLOAD_SCRIPT.search(text.split()[-1] if text.split() else "") or re.search(
            r"(?:download|fetch|get)[-_]?(?:data|dataset)\w*\.(?:py|sh)", text, re.IGNORECASE
        ):
            data_refs.append(Signal(rel, line, "download-script", text[:120]))
    for h in parsed.headings:
        if _DATA_HEADING.search(h.title) and _section_has_content(parsed, h):
            data_refs.append(Signal(rel, h.line, "data-section", h.title))
    card = [
        Signal(rel, h.line, "model-card-heading", h.title)
        for h in parsed.headings
        if _MODEL_CARD_HEADING.match(h.title)
    ]
    if kind == "markdown" and tf.text.startswith("---\n"):
        end = tf.text.find("\n---", 4)
        front = tf.text[4:end] if end > 0 else ""
        if re.search(r"^(?:model-index|pipeline_tag|library_name|base_model|license):", front, re.MULTILINE):
            card.append(Signal(rel, 1, "model-card-front-matter", "YAML front matter"))
    return Readme(
        path=rel,
        kind=kind,
        headings=tuple(parsed.headings),
        links=tuple(parsed.links),
        code_lines=len(parsed.code),
        # commands in code first; a command written in a sentence counts as well
        setup_commands=tuple(setup_commands(rel, parsed.code) + setup_commands(rel, parsed.prose)),
        hardware=tuple(hardware),
        data_refs=tuple(data_refs),
        model_card=tuple(card),
        test_refs=tuple(tests),
    )


def _sections(parsed: _Parsed) -> dict[int, str]:
    """line -> title of the heading it sits under."""
    heads = sorted(parsed.headings, key=lambda h: h.line)
    out: dict[int, str] = {}
    for line, _ in parsed.prose + parsed.code:
        title = ""
        for h in heads:
            if h.line <= line:
                title = h.title
            else:
                break
        out[line] = title
    return out


_MAX_TARGET = 4096


def _md_links(line: str) -> list[tuple[str, str]]:
    """`[text](target "title")` links, left to right, in one linear pass (str.find, not
    a backtracking regex: a line of 100k `[`, or of `[a](b` repeated, took minutes)."""
    out: list[tuple[str, str]] = []
    start = 0
    while True:
        mid = line.find("](", start)
        if mid == -1:
            return out
        open_at = line.rfind("[", start, mid)
        close = line.find(")", mid + 2, mid + 2 + _MAX_TARGET)
        inner = line[mid + 2 : close] if close != -1 else ""
        if open_at == -1 or close == -1 or not inner or inner[0].isspace():
            start = mid + 2
            continue
        text = line[open_at + 1 : mid]
        if "]" in text:  # `[a] b](c)`: not a link text
            start = mid + 2
            continue
        out.append((text, inner.split(None, 1)[0]))
        start = close + 1


def _section_has_content(parsed: _Parsed, head: Heading) -> bool:
    nxt = min((h.line for h in parsed.headings if h.line > head.line), default=10**9)
    return any(head.line < line < nxt and text.strip() for line, text in parsed.prose + parsed.code)


# ------------------------------------------------------------------ the tree
def _lines(pattern: re.Pattern[str], rel: str, text: str, what: str, limit: int = 5) -> list[Signal]:
    out = []
    for m in pattern.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        # the whole source line: a match can stop inside a string literal (`torch.device("cuda`)
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        source_line = text[start : end if end != -1 else len(text)].strip()
        out.append(Signal(rel, line, what, source_line[:120]))
        if len(out) >= limit:
            break
    return out


def _code_only(text: str) -> str:
    """Blank out comment lines and whole-line strings cheaply, keeping line numbers."""
    return re.sub(r"(?m)^[ \t]*#.*$", "", text)


def _source_signals(rel: str, lower: str, raw: str) -> tuple[list[Signal], ...]:
    """(gpu, data usage, data docs, hyperparameters, config, saved weights) of one source file."""
    text = _code_only(raw) if lower.endswith(".py") else raw
    gpu = _lines(_GPU_SOURCE, rel, text, "gpu-code", 1)
    if _TEST_FILE.search(rel):
        return gpu, [], [], [], [], []
    return (
        gpu,
        _lines(_DATA_SOURCE, rel, text, "data-load", 1),
        _lines(_CODE_DOWNLOAD, rel, text, "code-download", 1),
        _lines(_HYPER_ASSIGN, rel, text, "hard-coded", 3) + _lines(_HYPER_KWARG, rel, text, "hard-coded", 3),
        _lines(_CONFIG_CODE, rel, text, "config-code", 1),
        _lines(_WEIGHT_SAVE, rel, text, "saves-weights", 1),
    )


def scan(inv: Inventory) -> DocsFacts:
    files = inv.files()
    top = {f.lower(): f for f in files if "/" not in f}
    readme_rel = next((top[n.lower()] for n in README_NAMES if n.lower() in top), None)
    if readme_rel is None:  # README.MD, readme.md, Readme.rst ...
        readme_rel = next(
            (f for f in files if "/" not in f and re.match(r"(?i)^readme(?:\.(?:md|markdown|rst|txt))?$", f)),
            None,
        )
    readme = _readme(inv, readme_rel) if readme_rel else None
    other_readmes = tuple(
        f for f in files if "/" in f and re.match(r"(?i)^readme(?:\.\w+)?$", PurePosixPath(f).name)
    )

    # setup instructions kept outside the README (INSTALL.md, docs/installation.rst, linked docs)
    doc_candidates = [
        f
        for f in files
        if re.match(
            r"(?i)^(?:install|installation|setup|getting[-_]started|quickstart)(?:\.\w+)?$",
            PurePosixPath(f).name,
        )
        or re.match(
            r"(?i)^docs?/(?:.*/)?(?:install|installation|setup|getting[-_]started|quickstart|usage)[^/]*\.(?:md|rst|txt)$",
            f,
        )
    ]
    install_links: list[Link] = []
    if readme is not None:
        for link in readme.links:
            if _INSTALL_LINK.search(link.text) or _INSTALL_LINK.search(link.target):
                install_links.append(link)
                target = link.target.split("#")[0]
                if target and "://" not in target:
                    local = str(PurePosixPath(readme.path).parent / target).lstrip("./") if target else ""
                    if local in files:
                        doc_candidates.append(local)
    setup_docs: list[Signal] = []
    for rel in dict.fromkeys(doc_candidates):
        tf = inv.read(rel, record=False)
        if tf is not None:
            setup_docs += setup_commands(rel, parse_readme(tf.text, _kind(rel)).code)

    gpu: list[Signal] = []
    data_usage: list[Signal] = []
    data_docs: list[Signal] = []
    hyper: list[Signal] = []
    config: list[Signal] = []
    saved: list[Signal] = []
    weight_files: list[str] = []
    model_cards: list[str] = []
    tests: list[str] = []
    ci_files: list[str] = []
    ci_runs: list[Signal] = []
    n_sources = 0
    data_folder = False
    from envaudit.scanners._source_cache import SourceCache, text_digest

    memo = SourceCache.open(
        inv, frozenset(), kind="docs", key_type=tuple[str, str], value_type=tuple[(list[Signal],) * 6]
    )

    for rel in files:
        name = PurePosixPath(rel).name
        lower = name.lower()
        if lower in _MODEL_CARD_FILES:
            model_cards.append(rel)
        if lower.endswith(_WEIGHT_EXT) and not (lower.endswith(".bin") and "model" not in lower):
            weight_files.append(rel)
        if _TEST_FILE.search(rel):
            tests.append(rel)
        if _CI_FILES.match(rel):
            ci_files.append(rel)
            tf = inv.read(rel, record=False)
            if tf is not None:
                ci_runs += _lines(_CI_RUNS_TESTS, rel, tf.text, "runs-tests", 1)
        if _DOWNLOAD_SCRIPT.search(rel):
            data_docs.append(Signal(rel, 1, "download-script", rel))
        elif _SAMPLE_DATA.search(rel):
            data_docs.append(Signal(rel, 1, "sample-data", rel))
        elif lower in ("dvc.yaml", "dvc.lock") or lower.endswith(".dvc"):
            data_docs.append(Signal(rel, 1, "dvc", rel))
        elif re.match(r"(?i)^data/readme", rel) or re.match(
            r"(?i)^(?:datasheet|data_card|dataset_card|data)\.md$", rel
        ):
            data_docs.append(Signal(rel, 1, "data-readme", rel))
        if rel.startswith("data/") and not lower.startswith((".git", "readme")) and not data_folder:
            data_folder = True
            data_usage.append(Signal(rel, 1, "data-folder", "data/"))
        if _CONFIG_FILE.search(rel) and not _CI_FILES.match(rel) and not rel.startswith(".github/"):
            config.append(Signal(rel, 1, "config-file", rel))
        if _MANIFEST.search(rel) or _DOCKERFILE.search(rel):
            tf = inv.read(rel, record=False)
            if tf is not None:
                pat = _GPU_IMAGE if _DOCKERFILE.search(rel) else _GPU_REQ
                gpu += _lines(pat, rel, tf.text, "gpu-image" if pat is _GPU_IMAGE else "gpu-requirement", 1)
            if lower == "pyproject.toml" and tf is not None and re.search(r"^\[tool\.hydra", tf.text, re.M):
                config.append(Signal(rel, 1, "config-file", rel))
        if lower.endswith((".py", ".ipynb")):
            n_sources += 1
            if n_sources > MAX_SOURCE_FILES:
                continue
            try:
                if (inv.root / rel).stat().st_size > MAX_SOURCE_BYTES:
                    continue
            except OSError:
                continue
            tf = inv.read(rel, record=False)
            if tf is None:
                continue
            if memo is None:
                found = _source_signals(rel, lower, tf.text)
            else:  # the signals depend on the path and the text only: cached per file
                key = (rel, text_digest(tf.text))
                found = memo.get(key)
                if found is None:
                    found = _source_signals(rel, lower, tf.text)
                    memo.put(key, found)
            gpu += found[0]
            data_usage += found[1]
            data_docs += found[2]
            hyper += found[3]
            config += found[4]
            saved += found[5]
    if memo is not None:
        memo.save()

    hyper.sort(key=lambda s: (s.path, s.line))
    return DocsFacts(
        readme=readme,
        other_readmes=other_readmes,
        setup_docs=tuple(setup_docs),
        install_links=tuple(install_links),
        gpu_signals=tuple(gpu),
        data_usage=tuple(data_usage),
        data_docs=tuple(data_docs),
        hyperparams=tuple(hyper),
        config_sources=tuple(config),
        weight_files=tuple(weight_files),
        weights_saved=tuple(saved),
        model_cards=tuple(model_cards),
        tests=tuple(tests),
        ci_files=tuple(ci_files),
        ci_runs_tests=tuple(ci_runs),
        python_sources=n_sources,
    )
