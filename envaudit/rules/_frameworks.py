"""Framework versions the DET rules depend on, and where each version fact was checked.

A DET rule's verdict and fix follow the framework version the project pins (an exact pin
or a lock) or, failing that, the one installed in the target environment. When neither
says, the rule assumes the version named in its message.

Every boundary below was checked against the framework's own documentation, release notes
or pull request (named beside it); a boundary is the first release that has the behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

# --- PyTorch
# torch.set_deterministic(d): pytorch.org/docs/1.7.0/generated/torch.set_deterministic.html
TORCH_SET_DETERMINISTIC = (1, 7)
# torch.use_deterministic_algorithms(d), the renamed API:
# pytorch.org/docs/1.8.1/generated/torch.use_deterministic_algorithms.html
TORCH_USE_DETERMINISTIC = (1, 8)
# warn_only= keyword: pytorch.org/docs/1.11/generated/torch.use_deterministic_algorithms.html
TORCH_WARN_ONLY = (1, 11)
# DataLoader(generator=): pytorch/pytorch#39737 (merged June 2020, released in 1.6); 1.5.0 has
# no such argument (pytorch/pytorch#80119)
TORCH_LOADER_GENERATOR = (1, 6)
# each DataLoader worker seeds NumPy's global generator from the loader's base seed:
# pytorch/pytorch#56488, in the v1.9.0 release notes (and its BC-breaking note)
TORCH_WORKERS_SEED_NUMPY = (1, 9)
# Python's `random` is seeded in each worker (base_seed + worker_id) since pytorch/pytorch#4018
# (Dec 2017) with the int() fix of pytorch/pytorch#7886 (0.4.1): every release that matters
# CUBLAS_WORKSPACE_CONFIG is required by the deterministic mode on CUDA >= 10.2:
# pytorch/pytorch#41377 (set_deterministic, 1.7) and docs/source/notes/randomness.rst
CUBLAS_CUDA = 102

# --- TensorFlow
# tf.config.experimental.enable_op_determinism(), replacing TF_DETERMINISTIC_OPS (deprecated):
# TensorFlow 2.8.0 RELEASE.md, "Deterministic Op Functionality"
TF_OP_DETERMINISM = (2, 8)
# TF_DETERMINISTIC_OPS=1 read by stock TensorFlow from 2.1 (tensorflow/tensorflow#31465, per
# NVIDIA/framework-determinism's README); 1.14-2.0 have TF_CUDNN_DETERMINISTIC=1 (cuDNN only)
TF_DETERMINISTIC_OPS = (2, 1)
TF_CUDNN_DETERMINISTIC = (1, 14)
# tf.random.set_seed is TF 2.0's name for TF 1.x's tf.set_random_seed, which TF 2 no longer has
# (tensorflow/tensorflow#30070; tensorflow.org/versions/r2.0/api_docs/python/tf/random/set_seed)
TF_RANDOM_SET_SEED = (2, 0)

# --- NumPy: Generator / default_rng arrived in 1.17.0 (numpy.org/doc/stable/reference/random/
# new-or-different.html)
NUMPY_DEFAULT_RNG = (1, 17)

# --- Lightning: seed_everything(workers=True) and its pl_worker_init_function:
# Lightning-AI/pytorch-lightning#6960 (April 2021), released in 1.3.0
LIGHTNING_SEED_WORKERS = (1, 3)

_NAMES = {
    "torch": ("torch", "pytorch"),  # pytorch: the conda name
    "tensorflow": ("tensorflow", "tensorflow-gpu", "tensorflow-cpu", "tensorflow-macos"),
    "numpy": ("numpy",),
    "lightning": ("lightning", "pytorch-lightning"),
}


_DISPLAY = {"tensorflow": "TensorFlow", "numpy": "NumPy", "lightning": "Lightning"}


@dataclass(frozen=True)
class Framework:
    """A framework's version as the project pins it or the environment has it, or failing
    both, the bounds of the range the project declares (`torch>=2.1,<3`)."""

    name: str  # "torch"
    version: str | None  # "2.3.1+cu121"; None when nothing pins it
    where: str | None  # the manifest or lock that pins it, "installed", or None
    spec: str | None = None  # a declared range, as written ("torch>=2.1"), when no version
    low: tuple[int, ...] | None = None  # every version the range allows is >= low
    high: tuple[int, ...] | None = None  # ... and < high (<= high when high_inclusive)
    high_inclusive: bool = False

    @property
    def known(self) -> bool:
        return self.version is not None

    def release(self) -> tuple[int, ...]:
        return _release(self.version) if self.version else ()

    def before(self, floor: tuple[int, int]) -> bool:
        """True only when every version the project can run is older than `floor`: the
        pinned or installed one, or the whole declared range."""
        v = self.release()
        if v:
            return v[: len(floor)] < floor
        if self.high is not None:
            h = self.high[: len(floor)]
            return h < floor if self.high_inclusive else _pad(self.high) <= _pad(floor)
        return False

    def at_least(self, floor: tuple[int, int]) -> bool:
        """True only when every version the project can run is `floor` or newer."""
        v = self.release()
        if v:
            return not v[: len(floor)] < floor
        return self.low is not None and _pad(self.low) >= _pad(floor)

    @property
    def label(self) -> str:
        """'torch 1.8.1 (requirements.txt)', 'torch 2.3.1 (installed)', 'torch<1.9 (pyproject.toml)'."""
        display = _DISPLAY.get(self.name, self.name)
        if self.version is not None:
            return f"{display} {self.version} ({self.where})"
        if self.spec is not None:
            return f"{self.spec} ({self.where})"
        return display

    def assumes(self, what: str, floor: tuple[int, int] | None = None) -> str:
        """'' when the version (or the declared range, against `floor`) decides, else a note
        naming the version assumed."""
        if self.known or (floor is not None and (self.at_least(floor) or self.before(floor))):
            return ""
        return f" ({self.undecided}: this assumes {what})"

    @property
    def undecided(self) -> str:
        """Why no version decides: 'no torch version is pinned or installed'."""
        if self.spec is not None:
            return f"{self.label} allows versions on both sides"
        return f"no {_DISPLAY.get(self.name, self.name)} version is pinned or installed"


def _release(version: str) -> tuple[int, ...]:
    from envaudit.deps import python_version_tuple

    return tuple(python_version_tuple(version.split("+", 1)[0]) or ())


def _pad(v: tuple[int, ...]) -> tuple[int, ...]:
    return (*v, 0, 0, 0)[:4]


def _bounds(specifier: str) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None, bool]:
    """(low, high, high_inclusive) of a PEP 440 range: `>=2.1,<3` -> ((2, 1), (3,), False)."""
    from envaudit.deps import _clauses

    low: tuple[int, ...] | None = None
    high: tuple[int, ...] | None = None
    inclusive = False
    for op, ver in _clauses(specifier):
        v = _release(ver.replace(".*", ""))
        if not v:
            continue
        if op in (">=", ">", "~=") or (op == "==" and ver.endswith(".*")):
            low = v if low is None or _pad(v) > _pad(low) else low
        if op == "~=" and len(v) >= 2:
            top: tuple[int, ...] = (*v[:-2], v[-2] + 1)
        elif op == "==" and ver.endswith(".*"):
            top = (*v[:-1], v[-1] + 1)
        elif op in ("<", "<="):
            top = v
        else:
            continue
        if high is None or _pad(top) < _pad(high):
            high, inclusive = top, op == "<="
    return low, high, inclusive


def framework(inv: Inventory, name: str) -> Framework:
    """The version of `name` ("torch", "tensorflow", "numpy", "lightning"): what the project
    pins (an exact pin in a manifest, then a lock), else what the target environment has
    installed, else the bounds of the range it declares. The pin comes first because it is
    what the project says it runs with; an installed version on the audit machine may be a
    local accident (DEP006 reports drift)."""
    names = _NAMES.get(name, (name,))
    from envaudit.rules.deps import declared

    decls = [d for d in declared(inv) if d.name in names and d.applies]
    for d in decls:
        if d.exact_version:
            return Framework(name, d.exact_version, d.path)
    try:
        from envaudit.rules.locks import lock_pins

        for d in lock_pins(inv):
            if d.name in names and d.exact_version:
                return Framework(name, d.exact_version, d.path)
    except Exception:  # a lock that cannot be read is reported elsewhere (EA001)
        pass
    packages = inv.get("packages")
    for n in names:
        dist = packages.get(n)
        if dist is not None and getattr(dist, "version", None):
            return Framework(name, str(dist.version), "installed")
    for d in decls:
        low, high, inclusive = _bounds(d.specifier)
        if low is not None or high is not None:
            return Framework(name, None, d.path, f"{d.name}{d.specifier}", low, high, inclusive)
    return Framework(name, None, None)


def cuda_build(version: str | None) -> int | None:
    """The CUDA release a torch build targets from its local tag (+cu121 -> 121), 0 for a
    +cpu/+rocm build (no CUDA), None when the tag does not say (a PyPI wheel)."""
    if not version:
        return None
    local = version.partition("+")[2].lower()
    if local.startswith(("cpu", "rocm")):
        return 0
    if local.startswith("cu") and local[2:].isdigit():
        return int(local[2:])
    return None


def cpu_only(version: str | None) -> bool:
    """A +cpu torch build: no CUDA, no cuDNN (a +rocm build runs torch.cuda on HIP)."""
    return bool(version) and version.partition("+")[2].lower().startswith("cpu")
