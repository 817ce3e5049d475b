"""Jinja2 templates from `templates/`: shipped inside the wheel as
`envaudit/templates`, read from the source tree's top-level `templates/` otherwise."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("envaudit's templates/ folder is missing from this installation")


_ESCAPED_SUFFIXES = (".html", ".htm", ".xml", ".svg")


def _autoescape(name: str | None) -> bool:
    if not name:
        return False
    base = name.lower().removesuffix(".j2").removesuffix(".jinja").removesuffix(".jinja2")
    return base.endswith(_ESCAPED_SUFFIXES)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        # HTML (and XML-ish) templates are escaped; Markdown, Dockerfiles and text are not.
        # Decided on the name without `.j2`: jinja2's select_autoescape only looks at the
        # last suffix, so it would leave `report.html.j2` unescaped.
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def template_names() -> list[str]:
    return sorted(p.name for p in templates_dir().iterdir() if p.suffix == ".j2")
