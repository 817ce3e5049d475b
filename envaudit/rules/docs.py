"""DOC: documentation and the sharing checklist.

What a reader needs to rerun the work without asking the authors: a README
with the exact setup commands, the hardware, the data, where the
hyperparameters live, what the shipped weights are, and tests a CI runs.
Facts come from the `docs` scanner (README parsed, a light pass over the tree).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule

if TYPE_CHECKING:
    from envaudit.inventory import Inventory
    from envaudit.scanners.docs import DocsFacts, Signal

README_SKELETON = """\
# {name}

One paragraph: what this project does and which paper or result it reproduces.

## Installation

```console
$ python -m venv .venv && . .venv/bin/activate
$ pip install -r requirements.txt
```

## Hardware

Tested on: (GPU model and memory, CUDA version, driver; or "CPU only").

## Data

Where the data comes from (URL, version or date), its licence, and the
command that downloads it into `data/`.

## Usage

```console
$ python train.py --config configs/default.yaml
```

## Tests

```console
$ python -m pytest
```
"""


def _facts(inv: Inventory) -> DocsFacts:
    facts: DocsFacts = inv.get("docs")
    return facts


def _loc(s: Signal) -> Location:
    return Location(s.path, s.line)


def _readme_loc(facts: DocsFacts) -> Location:
    return Location(facts.readme.path, 1) if facts.readme else Location()


@rule(
    "DOC001",
    "no-readme",
    Severity.ERROR,
    summary="The project has no README",
    explanation="""
        The README is the first and often the only documentation anyone reads: how
        to install the project, what hardware it needs, where the data comes from,
        how to run training and evaluation. Without one, a reader has to reverse-
        engineer the environment from the code, which is exactly how results stop
        reproducing. envaudit looks for README.md, README.rst, README.txt or README
        (any case) at the project root.
    """,
    example="""
        project: no-readme: no README.md, README.rst, README.txt or README at the project root
    """,
    fix="""
        Add a README.md at the root with at least: installation commands, hardware,
        data, how to run, how to test. The finding's diff carries a skeleton.
    """,
)
def no_readme(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if facts.readme is not None:
        return
    from envaudit.fixes._write import unified_diff

    elsewhere = f" (found only {', '.join(facts.other_readmes[:3])})" if facts.other_readmes else ""
    skeleton = README_SKELETON.format(name=inv.root.name or "project")
    yield Hit(
        f"no README.md, README.rst, README.txt or README at the project root{elsewhere}",
        Location(),
        Fix(
            "add a README.md with installation, hardware, data, usage and tests",
            unified_diff("", skeleton, "README.md"),
        ),
    )


@rule(
    "DOC002",
    "no-setup-instructions",
    Severity.WARNING,
    summary="The README gives no commands to set up the environment",
    explanation="""
        "Install the requirements" is not an instruction; `pip install -r
        requirements.txt` or `conda env create -f environment.yml` is. envaudit looks
        in the README's code (fenced or indented blocks, reStructuredText literal
        blocks, inline code, `$ ` prompts) and sentences for a command that creates the
        environment: pip/uv/conda/mamba/poetry/pipenv/pdm/pixi installs, `uv sync`,
        `make install`, `docker build`/`docker compose up`, `python -m venv`, a setup
        script. Commands in an INSTALL file, in docs/installation.*, or in a local
        document the README links to count as well; a link to installation docs on
        the web counts too (envaudit cannot read it, so it trusts it).
    """,
    example="""
        README.md:12: no-setup-instructions: the "Installation" section has no command (pip install, conda env create, uv sync, ...)
    """,
    fix="""
        Put the exact commands in a code block under an "Installation" heading, e.g.
        `pip install -r requirements.txt`, or `conda env create -f environment.yml`.
    """,
)
def no_setup_instructions(inv: Inventory) -> Iterator[Hit]:
    from envaudit.scanners.docs import SETUP_HEADING

    facts = _facts(inv)
    readme = facts.readme
    if readme is None or readme.setup_commands or facts.setup_docs:
        return
    if any("://" in link.target for link in facts.install_links):
        return
    section = next((h for h in readme.headings if SETUP_HEADING.search(h.title)), None)
    if section is not None:
        msg = f'the "{section.title}" section has no command (pip install, conda env create, uv sync, ...)'
        loc = Location(readme.path, section.line)
    else:
        msg = "the README has no setup commands (pip install, conda env create, uv sync, docker build, ...)"
        loc = Location(readme.path, 1)
    yield Hit(
        msg, loc, Fix("add the exact installation commands in a code block under an Installation heading")
    )


@rule(
    "DOC003",
    "hardware-undocumented",
    Severity.INFO,
    summary="The project uses a GPU but the README names no hardware, CUDA or memory needs",
    explanation="""
        A project that calls `.cuda()`, pins `torch==2.3.1+cu121` or builds FROM
        nvidia/cuda will not run, or will run differently, elsewhere: too little GPU
        memory, an older driver, a different CUDA. envaudit detects GPU use from the
        sources (torch.cuda, .cuda(), device="cuda", TensorFlow/JAX GPU devices,
        Lightning accelerator="gpu", CuPy, Numba CUDA), CUDA-specific requirements
        (+cuXXX wheels, the PyTorch CUDA index, nvidia-* wheels, cudatoolkit) and
        CUDA base images, then looks in the README for GPU/CUDA/cuDNN/VRAM/memory/
        a GPU model/"16 GB"-style figures.
    """,
    example="""
        train.py:14: hardware-undocumented: the code uses a GPU (torch.cuda) but README.md names no GPU, CUDA version or memory needs
    """,
    fix="""
        Add a "Hardware" section: the GPU model and memory used, the CUDA and driver
        versions, the run time, and whether CPU-only runs are possible.
    """,
)
def hardware_undocumented(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if not facts.gpu_signals:
        return
    if facts.readme is not None and facts.readme.hardware:
        return
    sig = facts.gpu_signals[0]
    where = facts.readme.path if facts.readme else "no README"
    yield Hit(
        f"the project uses a GPU (`{sig.text}`) but {where} names no GPU, CUDA version or memory needs"
        if facts.readme
        else f"the project uses a GPU (`{sig.text}`) and there is no README to name the GPU, CUDA or memory needs",
        _loc(sig),
        Fix("add a Hardware section to the README: GPU model and memory, CUDA and driver versions, run time"),
    )


@rule(
    "DOC004",
    "data-undocumented",
    Severity.WARNING,
    summary="The code uses data but no source, download script or sample data is documented",
    explanation="""
        Results depend on the exact data. When code reads a CSV, a data/ folder or an
        image folder, the reader needs to know where that data comes from and which
        version: a URL in the README (under a Data/Dataset heading or next to the word
        data), a download script (download_data.py, scripts/get_dataset.sh, ...),
        sample data in the tree, DVC files, a data/README, or code that fetches a
        named dataset itself (torchvision `download=True`, `load_dataset("imdb")`,
        `fetch_openml`). Badge images in the README do not count as data sources.
    """,
    example="""
        train.py:8: data-undocumented: the code reads data (pd.read_csv() but no data source, download script or sample data is documented
    """,
    fix="""
        Add a "Data" section to the README with the source URL and version, and a
        script that downloads and checks it (or ship a small sample to run on).
    """,
)
def data_undocumented(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if not facts.data_usage:
        return
    if facts.data_docs or (facts.readme is not None and facts.readme.data_refs):
        return
    sig = facts.data_usage[0]
    what = "the data/ folder" if sig.what == "data-folder" else f"data ({sig.text})"
    yield Hit(
        f"the project uses {what} but no data source, download script or sample data is documented",
        _loc(sig),
        Fix("add a Data section to the README with the source URL and version, and a download script"),
    )


@rule(
    "DOC005",
    "no-config-files",
    Severity.INFO,
    summary="Hyperparameters are hard-coded in the source and there are no configuration files",
    explanation="""
        When the learning rate, batch size and epochs live as literals in train.py,
        every experiment edits the code, and which values produced a result is lost
        unless each edit was committed. Configuration files (configs/*.yaml, Hydra,
        gin, a params.yaml) or command-line options (argparse/click with defaults)
        make each run's settings explicit and recordable. envaudit reports the first
        hard-coded hyperparameters (`lr = 0.001`, `batch_size=64`) when the project
        has none of those.
    """,
    example="""
        train.py:10: no-config-files: hyperparameters are hard-coded (lr = 0.001, batch_size=64) and the project has no config files or command-line options for them
    """,
    fix="""
        Move the values to configs/default.yaml (or argparse options with the same
        defaults) and log the resolved configuration with every run.
    """,
)
def no_config_files(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if not facts.hyperparams or facts.config_sources:
        return
    first = facts.hyperparams[0]
    shown = ", ".join(dict.fromkeys(s.text for s in facts.hyperparams[:3]))
    yield Hit(
        f"hyperparameters are hard-coded ({shown}) and the project has no config files or command-line options for them",
        _loc(first),
        Fix(
            "move them to configs/default.yaml (or argparse options) and log the resolved values with each run"
        ),
    )


@rule(
    "DOC006",
    "no-model-card",
    Severity.INFO,
    summary="Model weights are shipped or produced without a model card",
    explanation="""
        A checkpoint without a description cannot be reused responsibly or compared:
        what data it was trained on, with which code version and settings, how it
        was evaluated, what it must not be used for. envaudit looks for weight files
        in the tree (.pt, .pth, .ckpt, .safetensors, .h5, .onnx, .keras, ...) and
        code that saves them (torch.save, save_pretrained, ModelCheckpoint, ...),
        then for a MODEL_CARD.md / model_card.md, a README section such as "Model
        card", "Model details" or "Intended use", or Hugging Face model front matter.
    """,
    example="""
        checkpoints/best.pt: no-model-card: model weights are shipped (checkpoints/best.pt) but there is no model card
    """,
    fix="""
        Add MODEL_CARD.md (or a "Model card" section in the README): training data,
        code version, hyperparameters, evaluation results, intended use, limitations.
    """,
)
def no_model_card(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if not (facts.weight_files or facts.weights_saved):
        return
    if facts.model_cards or (facts.readme is not None and facts.readme.model_card):
        return
    if facts.weight_files:
        msg = f"model weights are shipped ({', '.join(facts.weight_files[:3])}) but there is no model card"
        loc = Location(facts.weight_files[0])
    else:
        sig = facts.weights_saved[0]
        msg = f"the code saves model weights ({sig.text}) but there is no model card"
        loc = _loc(sig)
    yield Hit(
        msg, loc, Fix("add MODEL_CARD.md: data, code version, settings, evaluation, intended use, limits")
    )


@rule(
    "DOC007",
    "no-tests-or-ci",
    Severity.INFO,
    summary="No tests, or no CI that runs them in a clean environment",
    explanation="""
        Tests run by a CI on a fresh machine are the cheapest proof that the
        documented setup still works: they install from the declared requirements,
        not from the author's environment. envaudit looks for tests (tests/,
        test_*.py, *_test.py) and for a CI configuration (.github/workflows, GitLab,
        CircleCI, Azure, Travis, Jenkins, Bitbucket, Buildkite, Drone, Woodpecker,
        Gitea/Forgejo) that runs them (pytest, unittest, tox, nox, make test, ...).
    """,
    example="""
        project: no-tests-or-ci: tests exist (tests/test_model.py) but no CI configuration runs them
    """,
    fix="""
        Add tests (a smoke test that trains one step on sample data is a good start)
        and a CI workflow that installs from the lockfile and runs them.
    """,
)
def no_tests_or_ci(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    if facts.python_sources == 0 and not facts.tests:
        return  # nothing to test
    if not facts.tests:
        yield Hit(
            "the project has no tests (no tests/ folder, test_*.py or *_test.py)",
            Location(),
            Fix("add tests, e.g. a smoke test that trains one step on sample data, and a CI that runs them"),
        )
    elif not facts.ci_files:
        yield Hit(
            f"tests exist ({facts.tests[0]}) but no CI configuration runs them",
            Location(),
            Fix(
                "add a CI workflow (e.g. .github/workflows/test.yml) that installs from the lock and runs pytest"
            ),
        )
    elif not facts.ci_runs_tests:
        yield Hit(
            f"tests exist ({facts.tests[0]}) but the CI ({', '.join(facts.ci_files[:2])}) never runs them",
            Location(facts.ci_files[0], 1),
            Fix("add a step that runs the tests (pytest, tox, nox, make test) to the CI workflow"),
        )
