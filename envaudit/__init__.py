"""envaudit: environment and provenance auditing for machine-learning projects.

Nothing heavy is imported here: `envaudit --version` must start fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
