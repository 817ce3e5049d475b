"""The project's own Python: every .py and .ipynb read with `ast`, never run.

Per module the scanner records what the code does about randomness (calls
that draw random numbers, calls that seed, cuDNN flags, deterministic-mode
switches, environment writes, DataLoader and scikit-learn arguments), with
imports and aliases resolved (`import numpy as onp`, `from torch import
manual_seed as ms`, star and relative imports). It then builds a
function-level call graph over the project's own modules and, for every
entry point (a script whose module-level code does something, a module with
an `if __name__ == "__main__":` block, a notebook, a `[project.scripts]`
target), collects what that entry point reaches: the seeds it really runs
(a helper defined in utils.py and called from main counts; a helper that is
never called does not) and the randomness it uses.

Notebook locations: a finding in a notebook points at the line of the
`.ipynb` file (the JSON text) that holds the cell's source line, so an editor
opened on the file lands on it; the message also says "cell N, line M"
(cells counted from 1 over all cells, markdown included). IPython magics
(`%`, `%%`, `!`, `?`) are blanked out before parsing, and a cell that does
not parse is reported (EA001) and skipped, the other cells still read.

The scanner judges nothing: rules/determinism.py decides what is a finding.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import os
import re
import warnings
from dataclasses import field
from typing import TYPE_CHECKING, Any

from envaudit._dataclass import dataclass
from envaudit._lazyre import lazy_re, lazy_re_built

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envaudit.inventory import Inventory

# A generated 5 MB module is data, not code a person maintains: parsing it would cost
# seconds and tell nothing about how the project seeds.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # saved outputs (base64 plots) are most of a notebook

# Event kinds (Event.kind)
RANDOM = "random"  # draws from a library's global RNG (libs: which)
SEED = "seed"  # seeds the global RNG of libs
CUDNN_BENCHMARK = "cudnn.benchmark"  # value: "True"/"False"/"<expr>"
CUDNN_DETERMINISTIC = "cudnn.deterministic"
DET_ALGOS = "use_deterministic_algorithms"  # value: "True"/"False"/"<expr>"
ENV_WRITE = "environ"  # name: the variable; value: repr of the value
DATALOADER = "DataLoader"
SKLEARN = "sklearn"
TF_DETERMINISM = "tf.determinism"
CUDA = "cuda"  # the code puts torch work on a CUDA device
SPAWN = "spawn"  # subprocess / os.exec*: environment writes reach children
IMPORT = "import"  # a third-party library of interest is imported

MAIN_BLOCK = "<__main__>"  # the pseudo-function of a module's `if __name__ == "__main__":` block

LIBS = ("random", "numpy", "torch", "tensorflow", "jax")
LIB_LABEL = {
    "random": "random",
    "numpy": "numpy",
    "torch": "torch",
    "torch.cuda": "torch.cuda",
    "tensorflow": "tensorflow",
    "jax": "jax",
}


@dataclass(frozen=True)
class Event:
    kind: str
    name: str  # the resolved callee / assigned attribute / environment variable
    path: str
    line: int
    column: int
    libs: tuple[str, ...] = ()
    value: str | None = None
    kwargs: tuple[tuple[str, str], ...] = ()
    cell: str | None = None  # "cell 3, line 2" in notebooks

    def kw(self, name: str) -> str | None:
        for k, v in self.kwargs:
            if k == name:
                return v
        return None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" + (f" ({self.cell})" if self.cell else "")


@dataclass(frozen=True)
class Function:
    key: str  # "<path>::<qualname>"; the module-level code is "<path>::<module>"
    qualname: str
    line: int
    events: tuple[Event, ...]
    refs: tuple[str, ...]  # dotted names it calls or references, resolved through imports


@dataclass(frozen=True)
class ClassInfo:
    qualname: str
    methods: tuple[str, ...]  # function keys
    bases: tuple[str, ...]  # dotted, resolved


@dataclass(frozen=True)
class Module:
    path: str
    name: str  # dotted module name ("" for notebooks)
    alt_names: tuple[str, ...]
    notebook: bool
    is_package: bool
    top: Function
    functions: tuple[Function, ...]
    classes: tuple[ClassInfo, ...]
    aliases: tuple[tuple[str, str], ...]  # local name -> dotted
    stars: tuple[str, ...]  # modules star-imported
    defs: tuple[str, ...]  # module-level function/class names
    main_line: int | None  # line of `if __name__ == "__main__":`
    action_line: int | None  # first module-level statement that does something
    body_line: int  # first line after docstring / __future__ / imports (where a seed goes)
    imported: tuple[str, ...]  # every module it imports (dotted, absolute)


@dataclass(frozen=True)
class Entry:
    path: str
    kind: str  # "main-block" | "script" | "notebook" | "project.scripts"
    line: int
    target: str | None  # for project.scripts: "pkg.cli:main"
    events: tuple[Event, ...]  # everything reached, in a stable order
    modules: tuple[str, ...]  # project files it runs code of
    # what its DataLoader workers run: the methods of the dataset-like classes this entry
    # point reaches (those defining __getitem__/__iter__) and the project code they reach
    worker_events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class LaunchSetting:
    """An environment variable set outside Python (Dockerfile ENV, shell export, .env)."""

    name: str
    path: str
    line: int


@dataclass(frozen=True)
class SourceFacts:
    modules: tuple[Module, ...]
    entries: tuple[Entry, ...]
    launch_env: tuple[LaunchSetting, ...] = ()
    events: tuple[Event, ...] = field(default=())  # every event in every module
    # what DataLoader workers run: the methods of dataset-like classes (those defining
    # __getitem__/__iter__) and the project functions they reach
    worker_events: tuple[Event, ...] = field(default=())

    def module(self, path: str) -> Module | None:
        for m in self.modules:
            if m.path == path:
                return m
        return None


# ----------------------------------------------------------------------------- tables

_RANDOM_SKIP = {"seed", "Random", "SystemRandom", "getstate", "setstate", "randbytes"}
_NP_GENERATORS = {"default_rng", "RandomState"}
_NP_SKIP = {
    "seed",
    "Generator",
    "SeedSequence",
    "BitGenerator",
    "PCG64",
    "PCG64DXSM",
    "MT19937",
    "Philox",
    "SFC64",
    "get_state",
    "set_state",
    "get_bit_generator",
    "set_bit_generator",
}
_TORCH_RANDOM = {
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "randint",
    "randint_like",
    "randperm",
    "bernoulli",
    "multinomial",
    "normal",
    "poisson",
    "dropout",
    "feature_dropout",
    "alpha_dropout",
}
_TORCH_LAYERS = {
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "Linear",
    "Bilinear",
    "LazyLinear",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Embedding",
    "EmbeddingBag",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "Transformer",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "MultiheadAttention",
    "RReLU",
}
_TORCH_INIT_SKIP = {"calculate_gain", "constant_", "zeros_", "ones_", "eye_", "dirac_"}
_TORCH_DATA_RANDOM = {"random_split", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"}
_TV_RANDOM = lazy_re(r"^(Random\w+|RandAugment|AutoAugment|TrivialAugmentWide|AugMix|ColorJitter)$")
_TF_RANDOM_SKIP = {"set_seed", "Generator", "get_global_generator", "set_global_generator", "experimental"}
_KERAS_LAYERS = {
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "Dense",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Embedding",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomCrop",
    "RandomTranslation",
    "RandomContrast",
    "MultiHeadAttention",
}
_JAX_SKIP = {"split", "fold_in", "key_data", "wrap_key_data", "clone", "key_impl", "PRNGKeyArray"}
_SEED_ARG_NONDET = ("time.", "os.urandom", "secrets.", "uuid.", "datetime.", "random.", "numpy.random.")

# scikit-learn: name -> condition ("" always random; "shuffle" only with shuffle=True;
# "noshuffle" unless shuffle=False)
_SKLEARN: dict[str, str] = {
    "train_test_split": "noshuffle",
    "KFold": "shuffle",
    "StratifiedKFold": "shuffle",
    "StratifiedGroupKFold": "shuffle",
    "ShuffleSplit": "",
    "StratifiedShuffleSplit": "",
    "GroupShuffleSplit": "",
    "RepeatedKFold": "",
    "RepeatedStratifiedKFold": "",
    "RandomForestClassifier": "",
    "RandomForestRegressor": "",
    "ExtraTreesClassifier": "",
    "ExtraTreesRegressor": "",
    "RandomTreesEmbedding": "",
    "GradientBoostingClassifier": "",
    "GradientBoostingRegressor": "",
    "HistGradientBoostingClassifier": "",
    "HistGradientBoostingRegressor": "",
    "DecisionTreeClassifier": "",
    "DecisionTreeRegressor": "",
    "ExtraTreeClassifier": "",
    "ExtraTreeRegressor": "",
    "BaggingClassifier": "",
    "BaggingRegressor": "",
    "AdaBoostClassifier": "",
    "AdaBoostRegressor": "",
    "IsolationForest": "",
    "RandomizedSearchCV": "",
    "KMeans": "",
    "MiniBatchKMeans": "",
    "BisectingKMeans": "",
    "SpectralClustering": "",
    "GaussianMixture": "",
    "BayesianGaussianMixture": "",
    "PCA": "",
    "TruncatedSVD": "",
    "FastICA": "",
    "NMF": "",
    "LatentDirichletAllocation": "",
    "TSNE": "",
    "MDS": "",
    "MLPClassifier": "",
    "MLPRegressor": "",
    "SGDClassifier": "",
    "SGDRegressor": "",
    "Perceptron": "",
    "PassiveAggressiveClassifier": "",
    "PassiveAggressiveRegressor": "",
    "make_classification": "",
    "make_regression": "",
    "make_blobs": "",
    "make_moons": "",
    "make_circles": "",
    "shuffle": "",
    "resample": "",
    "permutation_importance": "",
    "GaussianRandomProjection": "",
    "SparseRandomProjection": "",
}

_GENERIC_SEEDERS = {
    "seed_everything",
    "set_seed",
    "set_random_seed",
    "seed_all",
    "seed_all_rng",
    "fix_seed",
    "fix_seeds",
    "set_seeds",
    "random_seed",
}
_MAGIC_BODY_CELLS = {"%%time", "%%timeit", "%%capture", "%%prun", "%%debug"}

_LAUNCH_NAMES = (
    "CUBLAS_WORKSPACE_CONFIG",
    "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC",
    "PYTHONHASHSEED",
)
_LAUNCH_RE = lazy_re(
    r"\b(CUBLAS_WORKSPACE_CONFIG|TF_DETERMINISTIC_OPS|TF_CUDNN_DETERMINISTIC|PYTHONHASHSEED)\s*[=: ]"
)


def _is_launch_file(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1]
    return (
        base.startswith(("Dockerfile", "Containerfile", ".env", "Makefile", "Procfile", ".envrc"))
        or base.endswith((".Dockerfile", ".sh", ".bash", ".env", ".yml", ".yaml", ".cfg", ".ini", ".toml"))
        or base in ("tox.ini", "Justfile", "justfile")
    )


# ----------------------------------------------------------------------------- parsing


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        parts.reverse()
        return parts
    return None


def _const_repr(node: ast.AST | None) -> str:
    if node is None:
        return "<absent>"
    if isinstance(node, ast.Constant):
        return repr(node.value)
    return "<expr>"


class _LineMap:
    """Virtual (parsed) line -> (file line, "cell N, line M")."""

    def __init__(self, rows: list[tuple[int, str | None]] | None = None) -> None:
        self.rows = rows

    def get(self, line: int) -> tuple[int, str | None]:
        if self.rows is None or not 1 <= line <= len(self.rows):
            return line, None
        return self.rows[line - 1]


def _keywords() -> str:
    words = {
        "seed",
        "rand",
        "Rand",
        "random",
        "Random",
        "shuffle",
        "ropout",
        "DataLoader",
        "Sampler",
        "cudnn",
        "benchmark",
        "environ",
        "putenv",
        "eterminis",
        "cuda",
        "init.",
        "bernoulli",
        "multinomial",
        "normal",
        "poisson",
        "permutation",
        "rng",
        "Generator",
        "Trainer",
        "models",
        "create_model",
        "layers",
        "Aug",
        "Jitter",
        "subprocess",
        "exec",
        "spawn",
        "system",
        "multiprocessing",
        "__main__",
        "import",
        "PRNGKey",
        "sklearn",
        "tensorflow",
        "keras",
        "jax",
        "torchvision",
        "timm",
        "lightning",
        "transformers",
        "accelerate",
    }
    words |= _TORCH_RANDOM | _TORCH_LAYERS | _KERAS_LAYERS | set(_SKLEARN) | _GENERIC_SEEDERS
    return _trie_regex(words)


def _trie_regex(words: Iterable[str], *, whole: bool = False) -> str:
    """One alternation as a trie (`ra(?:nd|ise)`): the regex engine then dispatches on each
    character instead of trying two hundred words at every position."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if "" in node and len(node) == 1:
            return ""
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        group = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            # a word ends here: for a substring search the shorter match is enough; for
            # whole words (followed by \b) the longer ones stay possible
            return f"(?:{group})?" if whole else ""
        return group

    return build(trie)


# built on first use: a warm run (every module cached) parses nothing and needs neither
_KEYWORDS = lazy_re_built(_keywords)
_HOT_LINE = lazy_re_built(lambda: r"^.*?(?:" + _KEYWORDS.pattern + ")", re.MULTILINE)
_IDENT = lazy_re(r"[A-Za-z_]\w*")
_INNER_IMPORT = lazy_re(r"^[ \t]+(?:from\s+\S+\s+)?import\s+(?:.*\bas\s+)?(\w+)", re.MULTILINE)
_STRUCTURE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class _Visitor:
    def __init__(
        self, path: str, modname: str, package: str, lines: _LineMap, project: frozenset[str] = frozenset()
    ) -> None:
        self.project = project  # first components of the project's own module names
        self.path = path
        self.modname = modname
        self.package = package
        self.lines = lines
        self.aliases: dict[str, str] = {}
        self.stars: list[str] = []
        self.defs: set[str] = set()
        self.imported: list[str] = []
        self.functions: list[Function] = []
        self.classes: list[ClassInfo] = []
        self.all_events: list[Event] = []
        # the current scope
        self._events: list[Event] = []
        self._refs: set[str] = set()
        self._cls: list[str] = []
        self._in_func = False
        self._class_methods: dict[str, list[str]] = {}
        # prefix counts of "hot" lines (see _hot_lines); None: visit everything
        self.hot: list[int] | None = None

    # ---- imports (pre-pass over the whole tree: scope is ignored on purpose)
    def collect_imports(self, tree: ast.Module) -> None:
        """Bind the module-level imports and defs up front (a function may use a name
        imported below it); imports inside functions are bound when visited."""
        for node in _module_level(tree.body):
            self._bind(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs.add(node.name)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                self.imported.append(a.name)
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    head = a.name.split(".")[0]
                    self.aliases.setdefault(head, head)
        elif isinstance(node, ast.ImportFrom):
            base = self._absolute(node.module, node.level)
            if base is None:
                return
            if base not in self.imported:
                self.imported.append(base)
            for a in node.names:
                if a.name == "*":
                    if base not in self.stars:
                        self.stars.append(base)
                    continue
                full = f"{base}.{a.name}" if base else a.name
                self.aliases[a.asname or a.name] = full
                self.imported.append(full)

    def _hot_lines(self, text: str) -> list[int]:
        """Prefix counts over lines that mention something the lint resolves: an API name
        from the tables, an import, a name bound to the project's own code or to an API
        of interest. Statements without such a line are skipped (their subtrees cannot
        produce an event or a project reference); this is what makes the scan fast."""
        names = set(self.defs)
        for local, target in self.aliases.items():
            if target.split(".")[0] in self.project or _KEYWORDS.search(target):
                names.add(local)
        names.update(m.group(1) for m in _INNER_IMPORT.finditer(text))
        if names:
            names &= set(_IDENT.findall(text))
        nlines = text.count("\n") + 1
        hot = bytearray(nlines + 1)
        patterns = [_HOT_LINE]
        if names:
            alternation = "|".join(map(re.escape, sorted(names)))  # \b after it: order does not matter
            patterns.append(re.compile(r"^.*?\b(?:" + alternation + r")\b", re.MULTILINE))
        for pat in patterns:
            line, pos = 1, 0
            for m in pat.finditer(text):
                start = m.start()
                line += text.count("\n", pos, start)
                pos = start
                hot[line] = 1
        counts = list(itertools.accumulate(hot))  # counts[i]: hot lines among 1..i
        counts.append(counts[-1])
        return counts

    def _absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base)

    def qualify(self, chain: list[str]) -> str | None:
        head = chain[0]
        if head in self.defs:
            base = f"{self.modname}.{head}" if self.modname else head
        elif head in self.aliases:
            base = self.aliases[head]
        elif head in ("self", "cls") and self._cls and len(chain) > 1:
            base = ".".join(filter(None, [self.modname, *self._cls]))
        else:
            return None
        return ".".join([base, *chain[1:]])

    # ---- events
    def _event(self, kind: str, name: str, node: ast.AST, **kw: Any) -> Event:
        line, cell = self.lines.get(getattr(node, "lineno", 1))
        ev = Event(kind, name, self.path, line, getattr(node, "col_offset", 0) + 1, cell=cell, **kw)
        self._events.append(ev)
        self.all_events.append(ev)
        return ev

    # ---- traversal
    def run(self, tree: ast.Module, text: str | None = None) -> Function:
        self.collect_imports(tree)
        if text is not None and not self.stars:
            self.hot = self._hot_lines(text)
        for stmt in tree.body:
            if _is_main_test(stmt):
                # runs only when this module is the program, never when it is imported
                saved = self._events, self._refs
                self._events, self._refs = [], set()
                for inner in stmt.body:  # type: ignore[attr-defined]
                    self.visit(inner)
                line, _ = self.lines.get(stmt.lineno)
                key = f"{self.path}::{MAIN_BLOCK}"
                self.functions.append(
                    Function(key, MAIN_BLOCK, line, tuple(self._events), tuple(sorted(self._refs)))
                )
                self._events, self._refs = saved
                for inner in stmt.orelse:  # type: ignore[attr-defined]
                    self.visit(inner)
                continue
            self.visit(stmt)
        top = Function(
            f"{self.path}::<module>", "<module>", 1, tuple(self._events), tuple(sorted(self._refs))
        )
        return top

    def visit(self, node: ast.AST) -> None:
        t = type(node)
        hot = self.hot
        if hot is not None and isinstance(node, ast.stmt) and t not in _STRUCTURE:
            a, b = node.lineno, node.end_lineno or node.lineno
            if hot[min(b, len(hot) - 1)] == hot[a - 1]:
                return  # no line of this statement can hold anything the lint looks for
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            self._function(node)  # type: ignore[arg-type]
            return
        if t is ast.ClassDef:
            self._class(node)  # type: ignore[arg-type]
            return
        if t is ast.Call:
            self._call(node)  # type: ignore[arg-type]
            return
        if t is ast.Attribute or t is ast.Name:
            chain = _dotted(node)
            if chain is not None:
                q = self.qualify(chain)
                if q is not None:
                    self._refs.add(q)
                elif self.stars and t is ast.Name:
                    for s in self.stars:
                        self._refs.add(f"{s}.{chain[0]}")
                return
        elif t is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                self._assign(target, node.value, node)  # type: ignore[attr-defined]
        elif t is ast.Import or t is ast.ImportFrom:
            self._import(node)
            return
        elif t is ast.Constant:
            v = node.value  # type: ignore[attr-defined]
            if type(v) is str and v.startswith("cuda") and len(v) <= 7:
                self._event(CUDA, v, node)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _import(self, node: ast.AST) -> None:
        if self._in_func:
            self._bind(node)
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = self._absolute(node.module, node.level)  # type: ignore[attr-defined]
            if base is None:
                return
            names = [base] + [f"{base}.{a.name}" for a in node.names if a.name != "*"]  # type: ignore[attr-defined]
        for n in names:
            self._refs.add(f"!{n}")  # importing runs module code, not the imported functions
        head = names[0].split(".")[0] if names else ""
        lib = {"tensorflow": "tensorflow", "keras": "tensorflow", "torch": "torch", "jax": "jax"}.get(head)
        if lib:
            self._event(IMPORT, names[0], node, libs=(lib,))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        if self._in_func:  # nested: part of the enclosing function
            for child in ast.iter_child_nodes(node):
                if child not in node.decorator_list:
                    self.visit(child)
            return
        qual = ".".join([*self._cls, node.name])
        saved = self._events, self._refs
        self._events, self._refs, self._in_func = [], set(), True
        for child in ast.iter_child_nodes(node):
            if child not in node.decorator_list:
                self.visit(child)
        key = f"{self.path}::{qual}"
        line, _ = self.lines.get(node.lineno)
        self.functions.append(Function(key, qual, line, tuple(self._events), tuple(sorted(self._refs))))
        self._events, self._refs = saved
        self._in_func = False
        if self._cls:
            self._class_methods.setdefault(".".join(self._cls), []).append(key)

    def _class(self, node: ast.ClassDef) -> None:
        bases = []
        for b in node.bases:
            chain = _dotted(b)
            if chain:
                q = self.qualify(chain)
                if q:
                    bases.append(q)
            self.visit(b)
        if self._in_func:
            for child in node.body:
                self.visit(child)
            return
        self._cls.append(node.name)
        qual = ".".join(self._cls)
        self._class_methods.setdefault(qual, [])
        for child in node.body:
            self.visit(child)
        self.classes.append(ClassInfo(qual, tuple(self._class_methods[qual]), tuple(bases)))
        self._cls.pop()

    def _assign(self, target: ast.AST, value: ast.AST, node: ast.AST) -> None:
        if isinstance(target, ast.Attribute):
            chain = _dotted(target)
            q = self.qualify(chain) if chain else None
            if q in ("torch.backends.cudnn.benchmark", "torch.backends.cudnn.deterministic"):
                kind = CUDNN_BENCHMARK if q.endswith("benchmark") else CUDNN_DETERMINISTIC
                self._event(kind, q, node, value=_const_repr(value))
        elif isinstance(target, ast.Subscript):
            chain = _dotted(target.value)
            q = self.qualify(chain) if chain else None
            if q == "os.environ":
                key = target.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self._event(ENV_WRITE, key.value, node, value=_const_repr(value))

    def _call(self, node: ast.Call) -> None:
        chain = _dotted(node.func)
        q = self.qualify(chain) if chain else None
        if q is None and chain and len(chain) == 1 and self.stars:
            for s in self.stars:
                if self._classify(f"{s}.{chain[0]}", node):
                    return self._visit_call_children(node)
        if q is not None:
            self._classify(q, node)
        elif chain and len(chain) >= 2:
            self._method(chain, node)
        elif isinstance(node.func, ast.Attribute):
            self._method([node.func.attr], node)
        self._visit_call_children(node)

    def _visit_call_children(self, node: ast.Call) -> None:
        self.visit(node.func)
        for a in node.args:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def _method(self, chain: list[str], node: ast.Call) -> None:
        """A call on something that is not an imported name (an instance, a local)."""
        attr = chain[-1]
        if attr == "cuda":
            self._event(CUDA, "<tensor>.cuda()", node)
        elif attr == "seed_everything":  # fabric.seed_everything(...) and the like
            self._event(SEED, "<object>.seed_everything", node, libs=("random", "numpy", "torch"))
        elif attr == "shuffle" and any(v in ("tensorflow", "keras") for v in self.aliases.values()):
            self._event(RANDOM, "<tf.data.Dataset>.shuffle", node, libs=("tensorflow",))

    def _nondet(self, node: ast.Call) -> bool:
        """The seed argument is missing or computed from the clock / entropy."""
        if not node.args and not node.keywords:
            return True
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Call):
                    chain = _dotted(sub.func)
                    q = self.qualify(chain) if chain else None
                    if q and q.startswith(_SEED_ARG_NONDET):
                        return True
        return False

    def _kwargs(self, node: ast.Call, names: Iterable[str]) -> tuple[tuple[str, str], ...]:
        out = []
        for k in node.keywords:
            if k.arg in names:
                out.append((k.arg, _const_repr(k.value)))
        return tuple(out)

    def _classify(self, q: str, node: ast.Call) -> bool:
        parts = q.split(".")
        head, last = parts[0], parts[-1]
        ev = self._event
        if head == "random" and len(parts) == 2:
            if last == "seed":
                if not self._nondet(node):
                    ev(SEED, q, node, libs=("random",))
            elif last == "Random":
                if not node.args and not node.keywords:
                    ev(RANDOM, "random.Random()", node, libs=("random",))
            elif last not in _RANDOM_SKIP and not last.startswith("_"):
                ev(RANDOM, q, node, libs=("random",))
            return True
        if q.startswith("numpy.random."):
            if len(parts) != 3:
                return True
            if last == "seed":
                if not self._nondet(node):
                    ev(SEED, q, node, libs=("numpy",))
            elif last in _NP_GENERATORS:
                # a Generator/RandomState of its own: np.random.seed() does not reach it
                if (not node.args and not node.keywords) or self._nondet(node):
                    ev(RANDOM, f"{q}() without a seed", node, libs=("numpy.Generator",))
            elif last not in _NP_SKIP:
                ev(RANDOM, q, node, libs=("numpy",))
            return True
        if head == "torch":
            return self._torch(q, parts, node)
        if head == "torchvision" and "transforms" in parts and _TV_RANDOM.match(last):
            ev(RANDOM, q, node, libs=("torch",))
            return True
        if (
            head == "torchvision"
            and len(parts) >= 3
            and parts[1] == "models"
            and last[:1].islower()
            and last not in ("get_weight", "get_model_weights", "list_models", "get_model_builder")
        ) or q in ("timm.create_model", "torchvision.models.get_model"):
            ev(RANDOM, f"{q}() (random weight initialisation)", node, libs=("torch",))
            return True
        if head in ("tensorflow", "keras"):
            return self._tf(q, parts, node)
        if q.startswith("jax.random."):
            if last in ("PRNGKey", "key"):
                if self._nondet(node):
                    ev(RANDOM, f"{q}(<clock/entropy>)", node, libs=("jax",))
                else:
                    ev(SEED, q, node, libs=("jax",))
            elif last not in _JAX_SKIP:
                ev(RANDOM, q, node, libs=("jax",))
            return True
        if head in ("lightning", "pytorch_lightning", "lightning_fabric"):
            if last == "seed_everything":
                ev(SEED, q, node, libs=("random", "numpy", "torch"), kwargs=self._kwargs(node, ("workers",)))
            elif last == "Trainer":
                d = self._kwargs(node, ("deterministic",))
                if d and d[0][1] in ("True", "'warn'"):
                    ev(DET_ALGOS, q, node, value="True")
                if d and d[0][1] == "True":
                    ev(CUDNN_DETERMINISTIC, q, node, value="True")
                    # Lightning sets CUBLAS_WORKSPACE_CONFIG=:4096:8 itself in deterministic mode
                    ev(ENV_WRITE, "CUBLAS_WORKSPACE_CONFIG", node, value="':4096:8'")
            return True
        if head == "transformers":
            if last == "set_seed":
                ev(SEED, q, node, libs=("random", "numpy", "torch", "tensorflow"))
            elif last == "enable_full_determinism":
                ev(SEED, q, node, libs=("random", "numpy", "torch", "tensorflow"))
                ev(DET_ALGOS, q, node, value="True")
                ev(CUDNN_DETERMINISTIC, q, node, value="True")
                ev(CUDNN_BENCHMARK, q, node, value="False")
                ev(ENV_WRITE, "CUBLAS_WORKSPACE_CONFIG", node, value="':16:8'")
                ev(TF_DETERMINISM, q, node)
            return True
        if head == "accelerate" and last == "set_seed":
            ev(SEED, q, node, libs=("random", "numpy", "torch"))
            return True
        if head == "sklearn":
            cond = _SKLEARN.get(last)
            if cond is None:
                return True
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            shuffle = kw.get("shuffle")
            if cond == "shuffle" and not (isinstance(shuffle, ast.Constant) and shuffle.value is True):
                return True
            if cond == "noshuffle" and isinstance(shuffle, ast.Constant) and shuffle.value is False:
                return True
            rs = kw.get("random_state")
            has = rs is not None and not (isinstance(rs, ast.Constant) and rs.value is None)
            ev(SKLEARN, q, node, value="set" if has else None)
            return True
        if q.startswith("os.environ.") and last in ("setdefault", "update", "__setitem__"):
            self._environ_call(last, node)
            return True
        if q == "os.putenv" and node.args:
            a = node.args[0]
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                ev(ENV_WRITE, a.value, node, value=_const_repr(node.args[1] if len(node.args) > 1 else None))
            return True
        if head == "subprocess" or q.startswith(("os.exec", "os.spawn", "os.system", "multiprocessing.")):
            ev(SPAWN, q, node)
            return True
        if len(parts) > 1 and last in _GENERIC_SEEDERS and head not in self.project:
            # an external library's seeding helper (mmengine, detectron2, fastai, timm, ...);
            # project functions are resolved through the call graph instead
            if head not in ("random", "numpy", "os", "sys"):
                ev(SEED, q, node, libs=("random", "numpy", "torch"))
            return True
        return False

    def _environ_call(self, method: str, node: ast.Call) -> None:
        if method in ("setdefault", "__setitem__") and node.args:
            a = node.args[0]
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                v = node.args[1] if len(node.args) > 1 else None
                self._event(ENV_WRITE, a.value, node, value=_const_repr(v))
        elif method == "update":
            for k in node.keywords:
                if k.arg:
                    self._event(ENV_WRITE, k.arg, node, value=_const_repr(k.value))
            for a in node.args:
                if isinstance(a, ast.Dict):
                    for key, val in zip(a.keys, a.values, strict=False):
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            self._event(ENV_WRITE, key.value, node, value=_const_repr(val))

    def _torch(self, q: str, parts: list[str], node: ast.Call) -> bool:
        ev = self._event
        last = parts[-1]
        if q in ("torch.manual_seed", "torch.random.manual_seed"):
            ev(SEED, q, node, libs=("torch",))
        elif q in ("torch.cuda.manual_seed", "torch.cuda.manual_seed_all"):
            ev(SEED, q, node, libs=("torch.cuda",))
        elif q in ("torch.use_deterministic_algorithms", "torch.set_deterministic"):
            # set_deterministic(d) is torch 1.7's name for it (1.8 renamed it)
            mode = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg in ("mode", "d")), None)
            )
            ev(DET_ALGOS, q, node, value=_const_repr(mode), kwargs=self._kwargs(node, ("warn_only",)))
        elif q in ("torch.cuda.is_available", "torch.cuda.set_device", "torch.cuda.device_count"):
            ev(CUDA, q, node)
        elif (
            (len(parts) == 2 and last in _TORCH_RANDOM)
            or (len(parts) == 3 and parts[1] == "nn" and last in _TORCH_LAYERS)
            or (q.startswith("torch.nn.functional.") and "dropout" in last)
            or (q.startswith("torch.nn.init.") and last not in _TORCH_INIT_SKIP)
            or (q.startswith("torch.utils.data") and last in _TORCH_DATA_RANDOM)
        ):
            ev(RANDOM, q, node, libs=("torch",))
        elif q.startswith("torch.utils.data") and last == "DataLoader":
            names = ("shuffle", "generator", "num_workers", "worker_init_fn", "sampler", "batch_sampler")
            kwargs = self._kwargs(node, names)
            ev(DATALOADER, q, node, kwargs=kwargs)
            shuffle = dict(kwargs).get("shuffle")
            if shuffle not in (None, "False", "None"):
                ev(RANDOM, f"{q}(shuffle={shuffle})", node, libs=("torch",))
        else:
            return False
        return True

    def _tf(self, q: str, parts: list[str], node: ast.Call) -> bool:
        ev = self._event
        last = parts[-1]
        rest = parts[1:]
        if q in (
            "tensorflow.random.set_seed",
            "tensorflow.set_random_seed",
            "tensorflow.compat.v1.set_random_seed",
            "tensorflow.compat.v1.random.set_random_seed",
        ):
            ev(SEED, q, node, libs=("tensorflow",))
        elif last == "set_random_seed" and "utils" in rest:  # keras.utils / tf.keras.utils
            ev(SEED, q, node, libs=("random", "numpy", "tensorflow"))
        elif last == "enable_op_determinism":
            ev(TF_DETERMINISM, q, node)
        elif (len(rest) == 2 and rest[0] == "random" and last not in _TF_RANDOM_SKIP) or (
            "layers" in rest and last in _KERAS_LAYERS
        ):
            ev(RANDOM, q, node, libs=("tensorflow",))
        else:
            return False
        return True


def _module_level(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Module-level statements, looking inside if/try/with blocks (defs often live there)."""
    stack = list(reversed(body))
    while stack:
        s = stack.pop()
        yield s
        if isinstance(s, (ast.If, ast.Try, ast.With)) or type(s).__name__ == "TryStar":
            inner: list[ast.stmt] = []
            for name in ("body", "orelse", "finalbody"):
                inner.extend(getattr(s, name, []) or [])
            for h in getattr(s, "handlers", []) or []:
                inner.extend(h.body)
            stack.extend(reversed(inner))


def _is_main_test(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    t = node.test
    if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq):
        sides = [t.left, t.comparators[0]]
        names = [s.id for s in sides if isinstance(s, ast.Name)]
        consts = [s.value for s in sides if isinstance(s, ast.Constant)]
        return names == ["__name__"] and consts == ["__main__"]
    return False


_BENIGN_TOP_CALLS = {
    "sys.path.insert",
    "sys.path.append",
    "warnings.filterwarnings",
    "warnings.simplefilter",
    "logging.basicConfig",
    "matplotlib.use",
    "load_dotenv",
    "dotenv.load_dotenv",
}


def _action_line(body: list[ast.stmt], visitor: _Visitor) -> int | None:
    """First module-level statement that does something when the module runs."""
    for s in body:
        if isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):
                continue  # docstring
            if isinstance(s.value, ast.Call):
                chain = _dotted(s.value.func)
                q = (visitor.qualify(chain) or ".".join(chain)) if chain else None
                if q in _BENIGN_TOP_CALLS:
                    continue
            return s.lineno
        if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = s.value
            if value is not None and any(isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(value)):
                if _is_definitional(value, visitor):
                    continue
                return s.lineno
            continue
        if isinstance(s, ast.If):
            if _is_main_test(s):
                continue
            inner = _action_line(s.body + s.orelse, visitor)
            if inner is not None:
                return s.lineno
            continue
        if isinstance(s, ast.Try):
            inner = _action_line(s.body, visitor)
            if inner is not None:
                return s.lineno
            continue
        if isinstance(s, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            return s.lineno
    return None


_DEFINITIONAL = (
    "logging.getLogger",
    "typing.TypeVar",
    "collections.namedtuple",
    "typing.NamedTuple",
    "dataclasses.field",
    "os.getenv",
    "os.environ.get",
    "pathlib.Path",
    "re.compile",
    "argparse.ArgumentParser",
    "functools.partial",
    "contextvars.ContextVar",
)


def _is_definitional(value: ast.AST, visitor: _Visitor) -> bool:
    if isinstance(value, ast.Call):
        chain = _dotted(value.func)
        q = (visitor.qualify(chain) or ".".join(chain)) if chain else ""
        return q in _DEFINITIONAL or q.endswith(("getLogger", "TypeVar"))
    return False


def _body_line(body: list[ast.stmt]) -> int:
    """The line after the docstring, `__future__` imports and the leading imports."""
    last = 0
    for i, s in enumerate(body):
        if i == 0 and isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            last = s.end_lineno or s.lineno
            continue
        if isinstance(s, (ast.Import, ast.ImportFrom)):
            last = s.end_lineno or s.lineno
            continue
        if isinstance(s, ast.If) and isinstance(s.test, ast.Name) and s.test.id == "TYPE_CHECKING":
            last = s.end_lineno or s.lineno
            continue
        if isinstance(s, ast.Try) and all(isinstance(x, (ast.Import, ast.ImportFrom)) for x in s.body):
            last = s.end_lineno or s.lineno
            continue
        break
    return last + 1


# ----------------------------------------------------------------------------- notebooks

# `%magic`, `!shell`, `?name`, `x = !cmd` / `x = %magic`, and `name?` / `name??` help (a
# trailing `?` outside a comment or string)
_MAGIC_LINE = lazy_re(r"^\s*(%|!|\?)|^[^#'\"]*\?\s*$|^\s*[\w.\[\],][\w.\[\], ]*=\s*[%!]")


def _notebook_source(inv: Inventory, rel: str, text: str) -> tuple[list[ast.stmt], _LineMap] | None:
    """Parse each code cell on its own (a broken cell is reported and skipped) and
    return the concatenated statements with their line mapping."""
    from envaudit.parsing import ParseError, json_loads

    try:
        nb = json_loads(text)
    except ParseError as exc:
        msg = exc.message.removeprefix("invalid JSON: ")
        inv.diag(f"{rel} is not a JSON notebook ({msg}); its code was not audited", rel, exc.line)
        return None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):  # nbformat 3
            cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
        else:
            inv.diag(f"{rel} is JSON but not a Jupyter notebook (no 'cells' list)", rel, 1)
            return None
    json_lines = _cell_source_lines(text, len(cells))
    body: list[ast.stmt] = []
    rows: list[tuple[int, str | None]] = []
    for idx, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str) or not src.strip():
            continue
        lines = src.splitlines()
        first = lines[0].strip() if lines else ""
        if first.startswith("%%"):
            if first.split()[0] not in _MAGIC_BODY_CELLS:
                continue  # %%bash, %%writefile, ...: not Python
            lines = ["", *lines[1:]]
        clean = []
        for ln in lines:
            if _MAGIC_LINE.search(ln) and not ln.lstrip().startswith("#"):
                indent = ln[: len(ln) - len(ln.lstrip())]
                clean.append(f"{indent}pass")
            else:
                clean.append(ln)
        starts = json_lines[idx] if json_lines and idx < len(json_lines) else None

        def json_line(j: int, starts: list[int] | None = starts) -> int:
            if starts is None:
                return 1
            return starts[j] if j < len(starts) else starts[-1]

        try:
            tree = ast.parse("\n".join(clean), filename=rel)
        except SyntaxError as exc:
            j = max((exc.lineno or 1) - 1, 0)
            inv.diag(
                f"{rel}: cell {idx + 1}, line {j + 1} does not parse ({exc.msg}); that cell was not audited",
                rel,
                json_line(j),
            )
            continue
        offset = len(rows)
        if offset:
            ast.increment_lineno(tree, offset)
        for j in range(len(clean)):
            rows.append((json_line(j), f"cell {idx + 1}, line {j + 1}"))
        body.extend(tree.body)
    return body, _LineMap(rows)


def _cell_source_lines(text: str, ncells: int) -> list[list[int] | None] | None:
    """For each cell, the 1-based line of the notebook file holding each source line.

    nbformat writes `"source": [` followed by one JSON string per line; where a file
    is laid out differently the cell's `"source"` key line is used for every line."""
    positions = [m.start() for m in re.finditer(r'"source"\s*:', text)]
    if len(positions) != ncells:
        return None
    out: list[list[int] | None] = []
    lines = text.split("\n")
    key_line, last = 1, 0
    for pos in positions:
        key_line += text.count("\n", last, pos)  # 1-based line of this "source" key
        last = pos
        rest = text[pos : pos + 200]
        if re.match(r'"source"\s*:\s*\[\s*\n', rest):
            result = []
            ln = key_line + 1
            while ln <= len(lines):
                s = lines[ln - 1].strip()
                if s.startswith("]"):
                    break
                result.append(ln)
                ln += 1
            out.append(result or [key_line])
        else:
            out.append([key_line])
    return out


# ----------------------------------------------------------------------------- module names


def _module_names(paths: list[str]) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """path -> (canonical dotted name, alternative names, is_package)."""
    pkg_dirs = {p.rsplit("/", 1)[0] if "/" in p else "" for p in paths if p.endswith("/__init__.py")}
    out = {}
    for p in paths:
        if p.endswith(".ipynb"):
            out[p] = ("", (), False)
            continue
        parts = p[: -len(".py")].split("/")
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        # walk up while the containing directory is a package
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) in pkg_dirs:
            start -= 1
        name = ".".join(parts[start:])
        alts = {".".join(parts)} if parts else set()
        if parts and parts[0] == "src" and len(parts) > 1:
            alts.add(".".join(parts[1:]))
        alts.discard(name)
        out[p] = (name, tuple(sorted(alts)), is_pkg)
    return out


# ----------------------------------------------------------------------------- scan


def _parse_module(
    inv: Inventory, rel: str, name: str, alts: tuple[str, ...], is_pkg: bool, project: frozenset[str]
) -> tuple[Module, list[Event]] | None:
    try:
        size = os.stat(inv.root / rel).st_size
    except OSError as exc:
        inv.diag(f"cannot read {rel}: {exc.strerror or exc}", rel)
        return None
    notebook = rel.endswith(".ipynb")
    if size > (MAX_NOTEBOOK_BYTES if notebook else MAX_SOURCE_BYTES):
        inv.diag(
            f"{rel} is {size / 1e6:.1f} MB, over the "
            f"{(MAX_NOTEBOOK_BYTES if notebook else MAX_SOURCE_BYTES) // (1024 * 1024)} MB limit for "
            "source analysis (generated code?); not audited for determinism",
            rel,
        )
        return None
    if notebook:  # saved outputs (plots) make notebooks big: allow more than a manifest
        from envaudit.textio import read_text

        tf, problem = read_text(inv.root / rel, rel, max_bytes=MAX_NOTEBOOK_BYTES)
        if problem is not None:
            inv.diag(problem.message, problem.path, problem.line, problem.column)
    else:
        tf = inv.read(rel)
    if tf is None:
        return None
    if notebook:
        parsed = _notebook_source(inv, rel, tf.text)
        if parsed is None:
            return None
        body, lines = parsed
        tree = ast.Module(body=body, type_ignores=[])
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in old code
                tree = ast.parse(tf.text, filename=rel)
        except SyntaxError as exc:
            hint = ""
            if exc.msg and ("print" in exc.msg or "Missing parentheses" in exc.msg):
                hint = " (Python 2 code?)"
            inv.diag(f"{rel} does not parse: {exc.msg}{hint}; not audited", rel, exc.lineno, exc.offset)
            return None
        except (ValueError, RecursionError, MemoryError) as exc:
            inv.diag(f"{rel} does not parse: {type(exc).__name__}: {exc}; not audited", rel, 1)
            return None
        lines = _LineMap()
    package = name if is_pkg else (name.rsplit(".", 1)[0] if "." in name else "")
    v = _Visitor(rel, name, package, lines, project)
    try:
        top = v.run(tree, None if notebook else tf.text)
    except RecursionError:
        inv.diag(f"{rel} is nested too deeply to analyse; not audited", rel, 1)
        return None
    main_line = None
    for s in _module_level(tree.body):
        if _is_main_test(s):
            main_line = lines.get(s.lineno)[0]
            break
    action = _action_line(tree.body, v)
    body_line = _body_line(tree.body)
    if notebook:
        body_line = 1
    mod = Module(
        path=rel,
        name=name,
        alt_names=alts,
        notebook=notebook,
        is_package=is_pkg,
        top=top,
        functions=tuple(v.functions),
        classes=tuple(v.classes),
        aliases=tuple(sorted(v.aliases.items())),
        stars=tuple(v.stars),
        defs=tuple(sorted(v.defs)),
        main_line=main_line,
        action_line=lines.get(action)[0] if action else None,
        body_line=body_line,
        imported=tuple(dict.fromkeys(v.imported)),
    )
    return mod, v.all_events


def _is_test_file(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1]
    parts = rel.split("/")
    return (
        base.startswith("test_")
        or base.endswith("_test.py")
        or base in ("conftest.py", "setup.py", "noxfile.py", "conf.py", "__init__.py")
        or "tests" in parts[:-1]
        or "test" in parts[:-1]
    )


def _project_scripts(inv: Inventory) -> list[tuple[str, str]]:

    p = inv.root / "pyproject.toml"
    if not p.is_file():
        return []
    data = inv.toml(p)
    if data is None:
        return []
    scripts = (data.get("project") or {}).get("scripts") or {}
    out = []
    if isinstance(scripts, dict):
        for name, target in scripts.items():
            if isinstance(target, str) and ":" in target:
                out.append((str(name), target.split("[")[0].strip()))
    return out


class _Graph:
    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules
        self.by_name: dict[str, list[Module]] = {}
        for m in modules:
            if m.notebook:
                continue
            for n in (m.name, *m.alt_names):
                if n:
                    self.by_name.setdefault(n, []).append(m)
        self.funcs: dict[str, Function] = {}
        self.classes: dict[str, tuple[Module, ClassInfo]] = {}
        for m in modules:
            self.funcs[m.top.key] = m.top
            for f in m.functions:
                self.funcs[f.key] = f
            for c in m.classes:
                self.classes[f"{m.path}::{c.qualname}"] = (m, c)
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def module_named(self, name: str, near: str) -> Module | None:
        cands = self.by_name.get(name)
        if not cands:
            return None
        if len(cands) == 1:
            return cands[0]
        here = near.rsplit("/", 1)[0] if "/" in near else ""
        for c in cands:
            if (c.path.rsplit("/", 1)[0] if "/" in c.path else "") == here:
                return c
        return cands[0]

    def resolve(self, dotted: str, near: str, depth: int = 0) -> tuple[str, ...]:
        """Function keys (and module tops) a dotted reference runs. `!a.b.c` is an import:
        it runs the module code of a, a.b and a.b.c (whichever are project modules), no function."""
        ck = (dotted, near)
        only_modules = dotted.startswith("!")
        if only_modules:
            dotted = dotted[1:]
        if ck in self._cache:
            return self._cache[ck]
        self._cache[ck] = ()
        out: list[str] = []
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            m = self.module_named(".".join(parts[:i]), near)
            if m is None:
                continue
            rest = parts[i:]
            if only_modules or not rest:
                # importing a.b.c runs a, a.b and a.b.c (a use of a member was preceded by
                # the import that bound it, which is where its modules ran)
                for j in range(1, i + 1):
                    pm = self.module_named(".".join(parts[:j]), near)
                    if pm is not None:
                        out.append(pm.top.key)
            if rest and depth < 6 and not only_modules:
                out.extend(self._member(m, rest, depth))
            break
        res = tuple(dict.fromkeys(out))
        self._cache[ck] = res
        return res

    def _member(self, m: Module, rest: list[str], depth: int) -> list[str]:
        name = rest[0]
        if name in m.defs:
            key = f"{m.path}::{name}"
            if key in self.funcs:
                return [key]
            if key in self.classes:
                return self._class_keys(key, rest[1:], depth)
            return []
        aliases = dict(m.aliases)
        if name in aliases:
            return list(self.resolve(".".join([aliases[name], *rest[1:]]), m.path, depth + 1))
        for s in m.stars:
            got = self.resolve(".".join([s, *rest]), m.path, depth + 1)
            if got:
                return list(got)
        return []

    def _class_keys(self, ckey: str, rest: list[str], depth: int) -> list[str]:
        m, c = self.classes[ckey]
        if rest:
            key = f"{ckey}.{rest[0]}"
            return [key] if key in self.funcs else []
        # instantiating (or subclassing) a class: every method may run
        out = list(c.methods)
        for b in c.bases:
            if depth < 6:
                out.extend(self.resolve(b, m.path, depth + 1))
        return out

    def reach(self, roots: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        stack = list(reversed(roots))
        while stack:
            k = stack.pop()
            if k in seen or k not in self.funcs:
                continue
            seen[k] = None
            f = self.funcs[k]
            path = k.split("::", 1)[0]
            for r in f.refs:
                for t in self.resolve(r, path):
                    if t not in seen:
                        stack.append(t)
        return list(seen)


_Job = tuple[str, str, tuple[str, ...], bool]  # rel, module name, alternative names, is a package
PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves


_Parsed = tuple["tuple[Module, list[Event]] | None", list[Any]]  # result, its diagnostics


def _parse_all(
    inv: Inventory, jobs: list[_Job], project: frozenset[str]
) -> list[tuple[Module, list[Event]] | None]:
    """Parse every module (results in input order), reusing the per-file cache for the
    modules that did not change. A cached module's diagnostics are reported again."""
    from envaudit.scanners._source_cache import SourceCache, digest

    cache = SourceCache.open(inv, project)
    results: list[tuple[Module, list[Event]] | None] = [None] * len(jobs)
    keys: list[Any] = [None] * len(jobs)
    todo: list[int] = []
    for i, job in enumerate(jobs):
        if cache is not None:
            d = digest(
                inv.root / job[0], MAX_NOTEBOOK_BYTES if job[0].endswith(".ipynb") else MAX_SOURCE_BYTES
            )
            keys[i] = (*job, d) if d is not None else None
        hit = cache.get(keys[i]) if cache is not None and keys[i] is not None else None
        if hit is None:
            todo.append(i)
            continue
        results[i] = hit[0]
        for diag in hit[1]:
            inv.diag(diag.message, diag.path, diag.line, diag.column, diag.code)
    for i, (got, diags) in zip(todo, _parse_uncached(inv, [jobs[i] for i in todo], project), strict=True):
        results[i] = got
        if cache is not None and keys[i] is not None:
            cache.put(keys[i], (got, diags))
    if cache is not None:
        cache.save()
    return results


def _parse_one(inv: Inventory, job: _Job, project: frozenset[str]) -> _Parsed:
    before = len(inv.diagnostics)
    got = inv.isolate(job[0], _parse_module, inv, *job, project)  # one bad file, not the family
    return got, inv.diagnostics[before:]


def _parse_uncached(inv: Inventory, jobs: list[_Job], project: frozenset[str]) -> list[_Parsed]:
    """In worker processes for a big tree (parsing is CPU-bound and the GIL would
    serialise threads); their diagnostics are recorded here, in input order."""
    # every core this process may use (affinity and cgroup cpusets included), not a fixed cap
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if len(jobs) < PARALLEL_MIN_FILES or workers < 2:
        return [_parse_one(inv, job, project) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        ctx = multiprocessing.get_context("fork")  # the workers inherit the imported modules
    except ValueError:  # no fork on this platform: stay in-process
        return [_parse_one(inv, job, project) for job in jobs]
    size = max(32, len(jobs) // (workers * 4))
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    out: list[_Parsed] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_parse_batch, str(inv.root), inv.config, b, project) for b in batches]
            for fut in futures:
                for got, diags in fut.result():
                    out.append((got, diags))
                    for d in diags:
                        inv.diag(d.message, d.path, d.line, d.column, d.code)
    except (OSError, RuntimeError) as exc:  # cannot start processes here (sandbox, limits)
        inv.diag(f"parallel parsing unavailable ({exc}); parsed in one process", code="EA002")
        return [_parse_one(inv, job, project) for job in jobs]
    return out


def _parse_batch(root: str, config: Any, jobs: list[_Job], project: frozenset[str]) -> list[_Parsed]:
    from envaudit.inventory import Inventory

    inv = Inventory(root, config=config, environ={})
    return [_parse_one(inv, job, project) for job in jobs]


def scan(inv: Inventory) -> SourceFacts:
    files = inv.files()
    py = [p for p in files if p.endswith((".py", ".ipynb"))]
    names = _module_names(py)
    project = frozenset(n.split(".")[0] for name, alts, _ in names.values() for n in (name, *alts) if n)
    modules: list[Module] = []
    all_events: list[Event] = []
    jobs = [(rel, *names[rel]) for rel in py]
    for got in _parse_all(inv, jobs, project):
        if got is not None:
            modules.append(got[0])
            all_events.extend(got[1])
    graph = _Graph(modules)

    imported_by_others: set[str] = set()
    for m in modules:
        for imp in m.imported:
            parts = imp.split(".")
            for i in range(len(parts), 0, -1):
                t = graph.module_named(".".join(parts[:i]), m.path)
                if t is not None and t.path != m.path:
                    imported_by_others.add(t.path)
                    break

    entries: list[Entry] = []
    entry_keys: list[list[str]] = []
    scripts = _project_scripts(inv)
    script_targets: dict[str, list[str]] = {}
    for _name, target in scripts:
        mod, func = target.split(":", 1)
        m = graph.module_named(mod.strip(), "")
        if m is not None:
            script_targets.setdefault(m.path, []).append(func.strip())
    for m in modules:
        roots = [m.top.key, f"{m.path}::{MAIN_BLOCK}"]
        if m.notebook:
            kind, line = "notebook", 1
        elif m.path in script_targets:
            kind = "project.scripts"
            funcs = script_targets[m.path]
            roots.extend(f"{m.path}::{f}" for f in funcs)
            fn = graph.funcs.get(f"{m.path}::{funcs[0]}")
            line = fn.line if fn else 1
        elif m.main_line is not None:
            kind, line = "main-block", m.main_line
        elif (
            m.action_line is not None and m.path not in imported_by_others and not _is_test_file(m.path)
        ) or m.path.endswith("__main__.py"):
            kind, line = "script", m.action_line or 1
        else:
            continue
        reached = graph.reach(roots)
        events: list[Event] = []
        mods: dict[str, None] = {}
        for k in reached:
            events.extend(graph.funcs[k].events)
            mods[k.split("::", 1)[0]] = None
        target = None
        if kind == "project.scripts":
            target = f"{m.name}:{script_targets[m.path][0]}"
        entries.append(Entry(m.path, kind, line, target, tuple(events), tuple(mods)))
        entry_keys.append(reached)

    worker_roots = []
    for _m, c in graph.classes.values():
        names = {k.rsplit(".", 1)[-1] for k in c.methods}
        if names & {"__getitem__", "__getitems__", "__iter__", "__next__"}:
            worker_roots.extend(c.methods)
    worker_events = tuple(e for k in graph.reach(worker_roots) for e in graph.funcs[k].events)
    # per entry point: only the dataset classes it reaches run in its workers
    root_set = set(worker_roots)
    for i, entry in enumerate(entries):
        own = [k for k in entry_keys[i] if k in root_set]
        if own:
            evs = tuple(e for k in graph.reach(own) for e in graph.funcs[k].events)
            entries[i] = dataclasses.replace(entry, worker_events=evs)

    launch: list[LaunchSetting] = []
    for rel in files:
        if not _is_launch_file(rel):
            continue
        try:
            if os.stat(inv.root / rel).st_size > 512 * 1024:
                continue
        except OSError:
            continue
        tf = inv.read(rel, record=False)
        if tf is None or not any(n in tf.text for n in _LAUNCH_NAMES):
            continue
        for i, line in enumerate(tf.text.splitlines(), 1):
            for mm in _LAUNCH_RE.finditer(line):
                launch.append(LaunchSetting(mm.group(1), rel, i))
    return SourceFacts(tuple(modules), tuple(entries), tuple(launch), tuple(all_events), worker_events)
