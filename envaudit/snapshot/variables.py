"""The environment variables that change what an ML run computes, redacted."""

from __future__ import annotations

from envaudit._lazyre import lazy_re
from envaudit.redact import redact_value

# Prefixes and names that change numerics, threading, device selection, library
# lookup or where packages come from. PATH-like shell noise is left out on purpose.
PREFIXES = (
    "CUDA_",
    "NVIDIA_",
    "CUBLAS_",
    "CUDNN_",
    "NCCL_",
    "TORCH_",
    "PYTORCH_",
    "TF_",
    "XLA_",
    "JAX_",
    "MKL_",
    "OMP_",
    "OPENBLAS_",
    "KMP_",
    "HF_",
    "TRANSFORMERS_",
    "PIP_",
    "UV_",
    "CONDA_",
    "ROCM_",
    "HIP_",
)
NAMES = frozenset(
    {
        "PYTHONHASHSEED",
        "PYTHONPATH",
        "PYTHONNOUSERSITE",
        "PYTHONUTF8",
        "PYTHONOPTIMIZE",
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "VIRTUAL_ENV",
        "SOURCE_DATE_EPOCH",
        "TOKENIZERS_PARALLELISM",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "LC_ALL",
        "LANG",
        "TZ",
    }
)
_NAME_OK = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*$")


def matters(name: str) -> bool:
    return name in NAMES or name.startswith(PREFIXES)


def relevant_variables(environ: dict[str, str]) -> dict[str, str]:
    """Sorted {name: redacted value} of the variables that matter."""
    return {
        name: redact_value(name, environ[name])
        for name in sorted(environ)
        if _NAME_OK.match(name) and matters(name)
    }
