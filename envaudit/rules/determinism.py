"""DET: determinism in the project's own code, read with `ast` (notebooks included).

The source scanner resolves imports and follows each entry point through the
project's call graph; these rules judge what it found. Seeds count only where
an entry point really runs them; randomness counts where the entry point can
reach it (including every method of a class it instantiates).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from envaudit.model import Fix, Hit, Location, Severity
from envaudit.rules import rule
from envaudit.rules._frameworks import (
    CUBLAS_CUDA,
    LIGHTNING_SEED_WORKERS,
    NUMPY_DEFAULT_RNG,
    TF_CUDNN_DETERMINISTIC,
    TF_DETERMINISTIC_OPS,
    TF_OP_DETERMINISM,
    TF_RANDOM_SET_SEED,
    TORCH_LOADER_GENERATOR,
    TORCH_SET_DETERMINISTIC,
    TORCH_USE_DETERMINISTIC,
    TORCH_WARN_ONLY,
    TORCH_WORKERS_SEED_NUMPY,
    Framework,
    cpu_only,
    cuda_build,
    framework,
)
from envaudit.scanners.source import (
    CUDA,
    CUDNN_BENCHMARK,
    CUDNN_DETERMINISTIC,
    DATALOADER,
    DET_ALGOS,
    ENV_WRITE,
    IMPORT,
    RANDOM,
    SEED,
    SKLEARN,
    SPAWN,
    TF_DETERMINISM,
    Entry,
    Event,
    SourceFacts,
)

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

SEEDABLE = ("random", "numpy", "numpy.Generator", "torch", "tensorflow", "jax")
SEED_CALL = {
    "random": "random.seed(seed)",
    "numpy": "np.random.seed(seed)",
    "numpy.Generator": "np.random.default_rng(seed)",
    "torch": "torch.manual_seed(seed)",
    "tensorflow": "tf.random.set_seed(seed)",
    "jax": "key = jax.random.PRNGKey(seed)",
}


def _facts(inv: Inventory) -> SourceFacts:
    facts: SourceFacts = inv.get("source")
    return facts


def _seed_call(inv: Inventory, lib: str) -> str:
    """The seeding call for `lib` that exists in the version the project uses."""
    if lib == "tensorflow" and framework(inv, "tensorflow").before(TF_RANDOM_SET_SEED):
        return "tf.set_random_seed(seed)"  # TF 1.x: tf.random.set_seed is TF 2's name
    if lib == "numpy.Generator" and framework(inv, "numpy").before(NUMPY_DEFAULT_RNG):
        return "np.random.RandomState(seed)"  # default_rng arrived in NumPy 1.17
    return SEED_CALL[lib]


# seeding calls that a framework version does not have: (resolved name, framework, test, why)
_GONE_SEEDS = (
    # TF 2.0 moved it to tf.random.set_seed (tensorflow/tensorflow#30070)
    (
        "tensorflow.set_random_seed",
        "tensorflow",
        "at_least",
        TF_RANDOM_SET_SEED,
        "which TensorFlow 2 renamed tf.random.set_seed",
    ),
)


def _live_seeds(inv: Inventory, entry: Entry) -> tuple[list[Event], list[tuple[Event, str]]]:
    """The entry point's seeding calls that exist in the framework version the project uses,
    and the ones that do not (they raise AttributeError, seeding nothing), with why."""
    live: list[Event] = []
    dead: list[tuple[Event, str]] = []
    for e in entry.events:
        if e.kind != SEED:
            continue
        gone = next((g for g in _GONE_SEEDS if g[0] == e.name), None)
        if gone is not None:
            fw = framework(inv, gone[1])
            if getattr(fw, gone[2])(gone[3]):
                dead.append((e, f"does not exist in {fw.label}, {gone[4]}"))
                continue
        live.append(e)
    return live, dead


def _dead_note(dead: list[tuple[Event, str]]) -> str:
    if not dead:
        return ""
    ev, why = dead[0]
    return f" ({ev.name} at {ev.where} {why})"


def _reached_by(facts: SourceFacts, kinds: tuple[str, ...]) -> dict[Event, list[Entry]]:
    """Event -> the entry points that reach it, for the events of `kinds`: a line-level
    finding is reported only where some entry point runs it (as DET001 is)."""
    out: dict[Event, list[Entry]] = {}
    for entry in facts.entries:
        for ev in entry.events:
            if ev.kind in kinds:
                lst = out.setdefault(ev, [])
                if not lst or lst[-1] is not entry:
                    lst.append(entry)
    return out


def _names(entries: list[Entry]) -> str:
    paths = sorted({e.path for e in entries})
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return ", ".join(paths[:3]) + more


def used_libraries(entry: Entry) -> dict[str, Event]:
    """Library -> first randomness use the entry point reaches (its own file first)."""
    out: dict[str, Event] = {}
    for ev in sorted(
        (e for e in entry.events if e.kind == RANDOM), key=lambda e: (e.path != entry.path, e.path, e.line)
    ):
        for lib in ev.libs:
            if lib in SEEDABLE:
                out.setdefault(lib, ev)
    return out


def seeded_libraries(entry: Entry, seeds: list[Event] | None = None) -> set[str]:
    evs = seeds if seeds is not None else [e for e in entry.events if e.kind == SEED]
    return {lib for e in evs for lib in e.libs}


def unseeded(entry: Entry, seeds: list[Event] | None = None) -> tuple[dict[str, Event], set[str], list[str]]:
    used = used_libraries(entry)
    seeded = seeded_libraries(entry, seeds)
    missing = [lib for lib in SEEDABLE if lib in used and lib not in seeded]
    return used, seeded, missing


def _entry_location(entry: Entry, candidates: list[Event]) -> Location:
    own = sorted((e for e in candidates if e.path == entry.path), key=lambda e: (e.line, e.column))
    if own:
        return Location(entry.path, own[0].line, own[0].column)
    return Location(entry.path, entry.line)


def _entry_label(entry: Entry) -> str:
    if entry.kind == "project.scripts":
        return f"entry point {entry.target}"
    if entry.kind == "notebook":
        return "notebook"
    if entry.kind == "main-block":
        return "script (`__main__` block)"
    return "script"


def _uses(used: dict[str, Event], libs: list[str], entry: Entry) -> str:
    parts = []
    for lib in libs:
        ev = used[lib]
        parts.append(f"{lib} ({ev.name} at {ev.where})" if ev.path != entry.path else f"{lib} ({ev.name})")
    return ", ".join(parts)


_SEED_FIX = "Seed every library it uses before anything random runs; `envaudit fix seeds --write` adds a seed_everything() helper and calls it here."


@rule(
    "DET001",
    "no-seed",
    Severity.ERROR,
    summary="An entry point uses random/numpy/torch/tensorflow/jax randomness and never seeds it",
    explanation="""
        Every run of this script, notebook or console entry point draws different
        random numbers: weight initialisation, dropout masks, data shuffling and
        augmentation, train/test splits. Two runs of the same commit then give
        different models and metrics, and nobody can tell a real improvement from
        noise. PyTorch's reproducibility notes start with seeding every generator
        the code uses: `random.seed`, `numpy.random.seed` and `torch.manual_seed`
        (which also seeds CUDA); TensorFlow's with `tf.random.set_seed` (or
        `keras.utils.set_random_seed`, which seeds Python, NumPy and TF at once);
        JAX draws only from explicit keys built with `jax.random.PRNGKey(seed)`.

        envaudit follows the entry point through the project's own imports and
        calls: a `seed_everything()` defined in utils.py and called from main
        counts; one that is defined but never called, commented out, or called
        without a seed (`random.seed()` reseeds from the clock) does not. The
        finding points at the first random call in the entry point's own file
        (or at the entry point itself when the randomness is in a helper module)
        and names every library involved.
    """,
    example="""
        # train.py
        import torch
        model = torch.nn.Linear(10, 1)      # random init: DET001 here
        x = torch.randn(32, 10)
    """,
    fix="""
        Seed at the very top of the entry point, before any model or data is built:

            import random, numpy as np, torch
            random.seed(0); np.random.seed(0); torch.manual_seed(0)

        or run `envaudit fix seeds --write`, which writes a seed_everything()
        helper for exactly the libraries the project uses and calls it.
    """,
)
def no_seed(inv: Inventory) -> Iterator[Hit]:
    for entry in _facts(inv).entries:
        seeds, dead = _live_seeds(inv, entry)
        used, _seeded, _missing = unseeded(entry, seeds)
        if not used or seeds:
            continue
        libs = [lib for lib in SEEDABLE if lib in used]
        loc = _entry_location(entry, [used[lib] for lib in libs])
        calls = "; ".join(_seed_call(inv, lib) for lib in libs)
        yield Hit(
            f"{_entry_label(entry)} uses randomness from {_uses(used, libs, entry)} and never seeds it"
            + _dead_note(dead),
            loc,
            Fix(f"{_SEED_FIX} By hand: {calls}"),
            fact=entry,
        )


@rule(
    "DET002",
    "partial-seed",
    Severity.WARNING,
    summary="Some libraries are seeded, others that the code uses are not",
    explanation="""
        Each library has its own generator: `random.seed` does nothing for NumPy,
        `np.random.seed` nothing for PyTorch, `torch.manual_seed` nothing for
        Python's `random` (which torchvision's older transforms and many
        augmentation libraries use) or for TensorFlow. A project that seeds one
        and draws from another is still different on every run, while its author
        believes it is seeded. `torch.cuda.manual_seed_all` alone seeds only the
        GPU generators, not the CPU one that initialises weights.

        envaudit lists the libraries the entry point draws from and the ones its
        reachable seeding calls cover (a helper like Lightning's
        `seed_everything`, transformers' and accelerate's `set_seed` covers
        random, NumPy and PyTorch).
    """,
    example="""
        import random, numpy as np
        random.seed(0)
        idx = np.random.permutation(100)    # DET002: numpy is not seeded
    """,
    fix="""
        Seed the libraries the message names next to the existing seed, or use one
        helper that seeds them all (`envaudit fix seeds` writes one).
    """,
)
def partial_seed(inv: Inventory) -> Iterator[Hit]:
    for entry in _facts(inv).entries:
        seeds, dead = _live_seeds(inv, entry)
        used, seeded, missing = unseeded(entry, seeds)
        if not seeds or not missing:
            continue
        loc = _entry_location(entry, [used[lib] for lib in missing])
        if loc.line == entry.line:
            loc = _entry_location(entry, seeds)
        covered = ", ".join(sorted(lib for lib in seeded if lib != "torch.cuda")) or "torch.cuda only"
        yield Hit(
            f"{_entry_label(entry)} seeds {covered} but not {_uses(used, missing, entry)}" + _dead_note(dead),
            loc,
            Fix(f"Also seed {', '.join(missing)}: " + "; ".join(_seed_call(inv, m) for m in missing)),
            fact=entry,
        )


@rule(
    "DET003",
    "cudnn-benchmark",
    Severity.WARNING,
    summary="`torch.backends.cudnn.benchmark = True` picks convolution algorithms by timing, run to run",
    explanation="""
        With benchmark mode on, cuDNN times several convolution algorithms on the
        first batch of each shape and keeps the fastest. The timing differs from
        run to run and machine to machine, so different (and differently
        rounded) algorithms get chosen, even with every seed set. PyTorch's
        reproducibility notes say to set `torch.backends.cudnn.benchmark = False`
        when results must be reproducible (it costs some speed).

        Reported where an entry point runs the assignment (a module no script,
        notebook or console entry reaches is not), and not when the project pins a
        CPU-only torch build (`+cpu`), which has no cuDNN.
    """,
    example="""
        torch.backends.cudnn.benchmark = True   # DET003
    """,
    fix="""
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    """,
)
def cudnn_benchmark(inv: Inventory) -> Iterator[Hit]:
    torch = framework(inv, "torch")
    if torch.where != "installed" and cpu_only(torch.version):
        return  # a pinned +cpu build has no cuDNN (an installed one says nothing about the GPU host)
    for ev, entries in _reached_by(_facts(inv), (CUDNN_BENCHMARK,)).items():
        if ev.value == "True":
            yield Hit(
                "cudnn.benchmark = True: cuDNN chooses algorithms by timing, so results differ run to run "
                f"(run by {_names(entries)})",
                Location(ev.path, ev.line, ev.column),
                Fix("Set torch.backends.cudnn.benchmark = False (and cudnn.deterministic = True)."),
                fact=ev,
            )


@rule(
    "DET004",
    "deterministic-off",
    Severity.INFO,
    summary="torch runs on CUDA without `cudnn.deterministic = True` or `use_deterministic_algorithms(True)`",
    explanation="""
        Seeds fix the random numbers, not the arithmetic: many CUDA kernels
        (cuDNN convolutions, scatter/index_add, atomics-based reductions) add
        floating-point numbers in a different order each run. PyTorch offers
        `torch.backends.cudnn.deterministic = True` (deterministic cuDNN
        convolutions) and `torch.use_deterministic_algorithms(True)` (every op
        deterministic, or an error naming the op that cannot be), together with
        `CUBLAS_WORKSPACE_CONFIG=:4096:8`. Info only: determinism costs speed and
        many projects accept the noise, but it should be a choice.

        The fix follows the torch version the project pins (or the environment
        has): `use_deterministic_algorithms` exists from torch 1.8, torch 1.7
        calls it `set_deterministic`, older releases have only the cuDNN flags;
        `CUBLAS_WORKSPACE_CONFIG` is asked for only on CUDA 10.2 and later. Not
        reported for a pinned CPU-only build (`+cpu`).
    """,
    example="""
        model = Net().cuda()     # DET004: nothing makes the CUDA kernels deterministic
    """,
    fix="""
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before CUDA starts
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True)
        (`envaudit fix seeds --strict` writes these.)
    """,
)
def deterministic_off(inv: Inventory) -> Iterator[Hit]:
    torch = framework(inv, "torch")
    if torch.where != "installed" and cpu_only(torch.version):
        return  # a pinned +cpu build never runs on CUDA
    fix = _deterministic_fix(torch)
    for entry in _facts(inv).entries:
        evs = entry.events
        if not any(e.kind == IMPORT and "torch" in e.libs for e in evs):
            continue
        cuda = [e for e in evs if e.kind == CUDA]
        if not cuda:
            continue
        if any(e.kind in (CUDNN_DETERMINISTIC, DET_ALGOS) and e.value == "True" for e in evs):
            continue
        loc = _entry_location(entry, cuda)
        yield Hit(
            f"{_entry_label(entry)} runs torch on CUDA and never sets cudnn.deterministic = True "
            "or torch.use_deterministic_algorithms(True)",
            loc,
            Fix(fix),
            fact=entry,
        )


def _deterministic_fix(torch: Framework) -> str:
    """What makes torch's CUDA kernels deterministic in the version the project uses."""
    cuda = cuda_build(torch.version)
    cublas = (
        'os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8") before CUDA starts; '
        if cuda is None or cuda >= CUBLAS_CUDA
        else ""
    )
    flags = "torch.backends.cudnn.deterministic = True; torch.backends.cudnn.benchmark = False"
    if torch.before(TORCH_SET_DETERMINISTIC):
        return (
            f"Set {flags} ({torch.label} has no use_deterministic_algorithms, which arrived in 1.8), "
            "or ignore DET004 if speed wins."
        )
    if torch.before(TORCH_USE_DETERMINISTIC):
        return (
            f"Set {cublas}{flags}; torch.set_deterministic(True) ({torch.label}: "
            "use_deterministic_algorithms is its 1.8 name), or ignore DET004 if speed wins."
        )
    return (
        f"Set {cublas}{flags}; torch.use_deterministic_algorithms(True) (`envaudit fix seeds --strict` "
        "writes these), or ignore DET004 if speed wins."
        + torch.assumes("torch >= 1.8 on CUDA >= 10.2", TORCH_USE_DETERMINISTIC)
    )


@rule(
    "DET005",
    "unseeded-shuffle",
    Severity.WARNING,
    summary="`DataLoader(shuffle=True)` without `generator=`",
    explanation="""
        A shuffling DataLoader draws its permutation from a RandomSampler. Without
        a `generator=` it uses torch's global generator, so the order of batches
        depends on every random call made before each epoch starts (model
        initialisation, dropout, augmentation, another loader): changing anything
        upstream reshuffles the data. PyTorch's reproducibility notes pass a
        seeded `torch.Generator` to each DataLoader.

        Reported where an entry point reaches the DataLoader call. `generator=`
        arrived in torch 1.6: for an older pinned or installed torch the fix
        reseeds torch at the start of each epoch instead.
    """,
    example="""
        loader = DataLoader(ds, batch_size=32, shuffle=True)   # DET005
    """,
    fix="""
        g = torch.Generator()
        g.manual_seed(0)
        loader = DataLoader(ds, batch_size=32, shuffle=True, generator=g)
    """,
)
def unseeded_shuffle(inv: Inventory) -> Iterator[Hit]:
    torch = framework(inv, "torch")
    if torch.before(TORCH_LOADER_GENERATOR):
        fix = (
            f"{torch.label} has no DataLoader(generator=) (it arrived in 1.6): call "
            "torch.manual_seed(seed + epoch) at the start of each epoch, so the order does not "
            "depend on what ran before it."
        )
    else:
        fix = (
            "Pass a seeded generator: g = torch.Generator(); g.manual_seed(0); DataLoader(..., generator=g)"
            + torch.assumes("torch >= 1.6", TORCH_LOADER_GENERATOR)
        )
    for ev in _reached_by(_facts(inv), (DATALOADER,)):
        shuffle = ev.kw("shuffle")
        if shuffle in (None, "False", "None", "0") or ev.kw("generator") is not None:
            continue
        yield Hit(
            f"DataLoader(shuffle={shuffle}) without generator=: the batch order is drawn from torch's "
            "global RNG, so even after torch.manual_seed() any random call added before an epoch "
            "reshuffles the data",
            Location(ev.path, ev.line, ev.column),
            Fix(fix),
            fact=ev,
        )


@rule(
    "DET006",
    "unseeded-workers",
    Severity.WARNING,
    summary="`DataLoader(num_workers>0)` without `worker_init_fn` while dataset code uses NumPy's global RNG (torch < 1.9)",
    explanation="""
        Each DataLoader worker is a separate process. PyTorch seeds torch and
        Python's `random` in each worker from a base seed (`random` since 0.4),
        and since torch 1.9 NumPy's legacy global generator too. On torch before
        1.9 NumPy's global generator is copied from the parent (fork) or seeded
        from the clock (spawn): every worker yields the same "random"
        augmentations, and runs differ. PyTorch's reproducibility notes give a
        `worker_init_fn` that reseeds NumPy and `random` from
        `torch.initial_seed()`; Lightning's `seed_everything(workers=True)`
        (Lightning 1.3+) installs one for the loaders it manages.

        Decided per entry point, from the dataset classes that entry point
        reaches, and per torch version: with torch 1.9 or later pinned or
        installed it is not reported; with no torch version to read it is, and
        the message says it assumes torch < 1.9.
    """,
    example="""
        loader = DataLoader(ds, num_workers=4)   # DET006 when ds.__getitem__ uses np.random
    """,
    fix="""
        def seed_worker(worker_id):
            worker_seed = torch.initial_seed() % 2**32
            numpy.random.seed(worker_seed)
            random.seed(worker_seed)

        DataLoader(ds, num_workers=4, worker_init_fn=seed_worker, generator=g)
    """,
)
def unseeded_workers(inv: Inventory) -> Iterator[Hit]:
    torch = framework(inv, "torch")
    if torch.at_least(TORCH_WORKERS_SEED_NUMPY):
        return  # torch >= 1.9 seeds random and NumPy in every worker itself
    lightning_ok = not framework(inv, "lightning").before(LIGHTNING_SEED_WORKERS)
    facts = _facts(inv)
    for ev, entries in _reached_by(facts, (DATALOADER,)).items():
        if ev.kw("worker_init_fn") is not None:
            continue
        workers = ev.kw("num_workers")
        if workers in (None, "0", "None"):
            continue
        # NumPy's global generator in the workers of an entry point that reaches this loader
        # (`random` is reseeded per worker by every torch release, so it does not count)
        draws = [
            w
            for entry in entries
            if not (lightning_ok and _lightning_workers(entry))
            for w in entry.worker_events
            if w.kind == RANDOM and "numpy" in w.libs
        ]
        if not draws:
            continue
        w = draws[0]
        version = (
            f"with {torch.label}"
            if torch.before(TORCH_WORKERS_SEED_NUMPY)
            else f"assuming torch < 1.9 ({torch.undecided})"
        )
        yield Hit(
            f"DataLoader(num_workers={workers}) without worker_init_fn while dataset code draws from "
            f"NumPy's global RNG ({w.name} at {w.where}), {version}: forked workers repeat each other's numbers",
            Location(ev.path, ev.line, ev.column),
            Fix(
                "Pass worker_init_fn=seed_worker (reseeds numpy and random from torch.initial_seed()), "
                "or use torch >= 1.9, which seeds NumPy in each worker."
            ),
            fact=ev,
        )


def _lightning_workers(entry: Entry) -> bool:
    return any(
        e.kind == SEED and e.name.endswith("seed_everything") and e.kw("workers") == "True"
        for e in entry.events
    )


@rule(
    "DET007",
    "late-pythonhashseed",
    Severity.WARNING,
    summary='`os.environ["PYTHONHASHSEED"]` set inside the running program, too late to matter',
    explanation="""
        Python reads PYTHONHASHSEED once, when the interpreter starts, to salt
        the hashes of str and bytes (and so the iteration order of sets of
        strings). Setting it in `os.environ` from the program itself changes
        nothing for the running interpreter; it only reaches child processes
        started afterwards. Code that does this believes string hashing is fixed
        when it is not. Decided per entry point: reported where an entry point
        runs the write and starts no subprocess (`subprocess`, `os.exec*`,
        `multiprocessing`) anywhere in what it reaches; where it does, the
        variable reaches the children and the write is not reported. Python
        itself reads the variable only at start-up in every version.
    """,
    example="""
        os.environ["PYTHONHASHSEED"] = "0"   # DET007: this interpreter already hashed with a random salt
    """,
    fix="""
        Set it where the interpreter is launched: `PYTHONHASHSEED=0 python train.py`,
        `ENV PYTHONHASHSEED=0` in the Dockerfile, or the job script; or avoid relying
        on the iteration order of sets of strings.
    """,
)
def late_pythonhashseed(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    for ev, entries in _reached_by(facts, (ENV_WRITE,)).items():
        if ev.name != "PYTHONHASHSEED":
            continue
        # an entry point that starts a subprocess passes the variable on: that is its point
        if all(any(e.kind == SPAWN for e in entry.events) for entry in entries):
            continue
        quiet = sorted({entry.path for entry in entries if not any(e.kind == SPAWN for e in entry.events)})
        yield Hit(
            "PYTHONHASHSEED is set inside the running program; Python read it at start-up, so this "
            f"changes nothing here (run by {', '.join(quiet[:3])}, which start no subprocess)",
            Location(ev.path, ev.line, ev.column),
            Fix("Set PYTHONHASHSEED in the launch command, Dockerfile ENV or job script instead."),
            fact=ev,
        )


@rule(
    "DET008",
    "cublas-workspace",
    Severity.WARNING,
    summary="`use_deterministic_algorithms(True)` without `CUBLAS_WORKSPACE_CONFIG`",
    explanation="""
        On CUDA 10.2 and later, cuBLAS is deterministic only with a fixed
        workspace: PyTorch's `use_deterministic_algorithms(True)` raises a
        RuntimeError at the first matrix multiply on the GPU unless
        `CUBLAS_WORKSPACE_CONFIG=:4096:8` (or `:16:8`) is set in the
        environment (with `warn_only=True` it only warns, and the result is not
        deterministic). Each entry point is judged by what it reaches: the
        variable set in code it runs (`os.environ[...] =`, `os.environ.setdefault`
        in the script or a module it imports), in a Dockerfile ENV, .env or
        CI/YAML config (set for every program), or in a shell script or Makefile
        that starts this entry point. torch 1.7's `torch.set_deterministic(True)`
        asks for the same variable. Not reported when the project pins a CPU or
        ROCm build of torch, one for CUDA before 10.2 (`+cpu`, `+cu101`), or a
        torch before 1.7 (no deterministic mode); the message names the torch
        build it judged, or says it assumes a CUDA >= 10.2 build.
    """,
    example="""
        torch.use_deterministic_algorithms(True)   # DET008: no CUBLAS_WORKSPACE_CONFIG anywhere
    """,
    fix="""
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")   # before the first CUDA call
        torch.use_deterministic_algorithms(True)
    """,
)
def cublas_workspace(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    torch = framework(inv, "torch")
    # a pinned CPU/ROCm build, or CUDA before 10.2: cuBLAS never asks for a workspace setting
    # (an installed CPU build says nothing about the GPU machine the project trains on)
    cuda = cuda_build(torch.version)
    if torch.where != "installed" and cuda is not None and cuda < CUBLAS_CUDA:
        return
    if torch.before(TORCH_SET_DETERMINISTIC):
        return  # torch before 1.7 has no deterministic mode that could ask for it
    if torch.known:
        on = f"on {torch.label}"
    elif torch.spec is not None:
        on = f"(with {torch.label}, no build pinned: this assumes a CUDA >= 10.2 build)"
    else:
        on = torch.assumes("a CUDA >= 10.2 build").strip()
    for entry in facts.entries:
        if _env_reaches(inv, facts, entry, "CUBLAS_WORKSPACE_CONFIG"):
            continue
        for ev in entry.events:
            if ev.kind == DET_ALGOS and ev.value == "True" and ev.name in _TORCH_DET_CALLS:
                call = ev.name.rsplit(".", 1)[-1]
                if ev.kw("warn_only") == "True" and torch.before(TORCH_WARN_ONLY):
                    effect = f"cuBLAS calls on CUDA will raise (warn_only= arrived in torch 1.11: {torch.label} rejects it)"
                elif ev.kw("warn_only") == "True":
                    effect = "with warn_only=True cuBLAS calls only warn and stay nondeterministic"
                else:
                    effect = "cuBLAS calls on CUDA will raise (or, with warn_only, stay nondeterministic)"
                yield Hit(
                    f"{_entry_label(entry)} {entry.path} calls {call}(True) without "
                    f"CUBLAS_WORKSPACE_CONFIG: {effect} {on}",
                    Location(ev.path, ev.line, ev.column),
                    Fix(
                        'Add os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8") before CUDA starts.'
                    ),
                    fact=ev,
                )


_TORCH_DET_CALLS = ("torch.use_deterministic_algorithms", "torch.set_deterministic")


def _env_reaches(inv: Inventory, facts: SourceFacts, entry: Entry, name: str) -> bool:
    """Is `name` set for this entry point: by code it runs (`os.environ[...] =` in a
    module it reaches), or outside Python in a way that covers it? A Dockerfile ENV, a
    .env or a CI/YAML config sets it for every program; a shell script or Makefile only
    for the programs it starts, so it counts for an entry point it names."""
    if any(e.kind == ENV_WRITE and e.name == name for e in entry.events):
        return True
    base = entry.path.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0]
    module = entry.path[:-3].replace("/", ".") if entry.path.endswith(".py") else None
    for s in facts.launch_env:
        if s.name != name:
            continue
        launcher = s.path.rsplit("/", 1)[-1]
        if not (launcher.endswith((".sh", ".bash")) or launcher in _LAUNCHERS):
            return True
        text = inv.read(s.path, record=False)
        if text is None:
            continue
        names = {
            base,
            f"-m {module}" if module else None,
            f"{stem}.ipynb" if entry.kind == "notebook" else None,
        }
        if any(n and n in text.text for n in names) or (
            entry.target and entry.target.split(":")[0] in text.text
        ):
            return True
    return False


_LAUNCHERS = {"Makefile", "makefile", "GNUmakefile", "Justfile", "justfile", "Procfile"}


@rule(
    "DET009",
    "tf-op-determinism",
    Severity.INFO,
    summary="TensorFlow without `enable_op_determinism()` / `TF_DETERMINISTIC_OPS`",
    explanation="""
        `tf.random.set_seed` fixes TensorFlow's random numbers but not the order
        of floating-point reductions in its GPU (and some multi-threaded CPU)
        kernels. TensorFlow 2.8+ offers
        `tf.config.experimental.enable_op_determinism()`, which makes every op
        deterministic or raises for the ones that cannot be; 2.1-2.7 read
        `TF_DETERMINISTIC_OPS=1`, 1.14-2.0 only `TF_CUDNN_DETERMINISTIC=1`
        (cuDNN ops), and older releases have no switch. The finding and its fix
        follow the TensorFlow version the project pins (or the environment has);
        a call to `enable_op_determinism()` under a TensorFlow that lacks it is
        reported. Each entry point is judged by what it reaches, as for DET008.
        Info only: it costs speed.
    """,
    example="""
        import tensorflow as tf
        tf.random.set_seed(0)            # DET009: ops may still be nondeterministic
    """,
    fix="""
        tf.keras.utils.set_random_seed(0)
        tf.config.experimental.enable_op_determinism()
    """,
)
def tf_op_determinism(inv: Inventory) -> Iterator[Hit]:
    facts = _facts(inv)
    tf = framework(inv, "tensorflow")
    has_api = not tf.before(TF_OP_DETERMINISM)  # enable_op_determinism() arrived in 2.8
    if tf.before(TF_CUDNN_DETERMINISTIC):
        env, fix = (
            None,
            (
                f"{tf.label} has no switch for deterministic ops: upgrade to TensorFlow >= 2.8 and call "
                "tf.config.experimental.enable_op_determinism()."
            ),
        )
    elif tf.before(TF_DETERMINISTIC_OPS):
        env, fix = (
            "TF_CUDNN_DETERMINISTIC",
            (
                f'Set os.environ["TF_CUDNN_DETERMINISTIC"] = "1" before importing TensorFlow ({tf.label} '
                "does not read TF_DETERMINISTIC_OPS, which arrived in 2.1; this covers cuDNN only)."
            ),
        )
    elif not has_api:
        env, fix = (
            "TF_DETERMINISTIC_OPS",
            (
                f'Set os.environ["TF_DETERMINISTIC_OPS"] = "1" before importing TensorFlow ({tf.label} has '
                "no enable_op_determinism(), which arrived in 2.8)."
            ),
        )
    else:
        env, fix = (
            "TF_DETERMINISTIC_OPS",
            (
                "Call tf.config.experimental.enable_op_determinism() after seeding."
                + tf.assumes("TensorFlow >= 2.8", TF_OP_DETERMINISM)
            ),
        )
    for entry in facts.entries:
        imports = [e for e in entry.events if e.kind == IMPORT and "tensorflow" in e.libs]
        if not imports:
            continue
        calls = [e for e in entry.events if e.kind == TF_DETERMINISM]
        # enable_op_determinism() counts only in a TensorFlow that has it (before 2.8 it raises
        # AttributeError); transformers' enable_full_determinism picks what the version has
        if any(has_api or not e.name.endswith("enable_op_determinism") for e in calls):
            continue
        if env is not None and _env_reaches(inv, facts, entry, env):
            continue
        if calls:
            msg = f"calls enable_op_determinism(), which {tf.label} does not have"
        elif not has_api:
            msg = f"uses {tf.label} without {env or 'a deterministic-ops switch'}"
        else:
            msg = "uses TensorFlow without tf.config.experimental.enable_op_determinism()"
        yield Hit(
            f"{_entry_label(entry)} {msg}",
            _entry_location(entry, calls or imports),
            Fix(fix),
            fact=entry,
        )


@rule(
    "DET010",
    "no-random-state",
    Severity.WARNING,
    summary="scikit-learn splitter/estimator with randomness and no `random_state`",
    explanation="""
        scikit-learn's random splitters (train_test_split, ShuffleSplit,
        KFold(shuffle=True), ...), ensembles, clusterers, decompositions and
        dataset generators take a `random_state`. Left at None they draw from
        NumPy's global generator, so the split or the model changes whenever any
        earlier code draws a random number, and every run differs when nothing is
        seeded. scikit-learn's own guidance is to pass an int `random_state` for
        reproducible results. (KFold without shuffle and
        `train_test_split(shuffle=False)` are deterministic and not reported.)
        Reported where an entry point reaches the call; the verdict does not depend
        on the scikit-learn version (`random_state=None` has meant NumPy's global
        RandomState in every release).
    """,
    example="""
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2)   # DET010
    """,
    fix="""
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
    """,
)
def no_random_state(inv: Inventory) -> Iterator[Hit]:
    for ev in _reached_by(_facts(inv), (SKLEARN,)):
        if ev.value is None:
            short = ev.name.rsplit(".", 1)[-1]
            yield Hit(
                f"{short}() without random_state: the result is drawn from NumPy's global RNG, so even "
                "after np.random.seed() any random call added before it changes the result",
                Location(ev.path, ev.line, ev.column),
                Fix(f"Pass random_state=<int> to {short}()."),
                fact=ev,
            )
