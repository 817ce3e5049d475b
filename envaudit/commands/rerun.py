"""`envaudit rerun [PATH] -- COMMAND...`: run COMMAND several times in fresh copies of
PATH, compare the outputs, and name what makes differing runs agree.

Exit codes: 0 reproducible (identical or close), 1 not, 2 usage error (including a
command that fails in every run, or one with nothing to compare).
"""

from __future__ import annotations

import json
import math
import os
import shlex
from pathlib import Path
from typing import Any

import click

from envaudit.commands._common import write_output


class FiniteFloat(click.FloatRange):
    """A FloatRange that refuses nan and inf: `--rtol nan` would make every value differ,
    `--atol inf` every value agree (a pass that proves nothing), `--timeout inf` never ends."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if isinstance(rv, float) and not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


class DashDashCommand(click.Command):
    """Everything after the first `--` is the command to run, untouched by click."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            i = args.index("--")
            ctx.meta["envaudit.command"] = list(args[i + 1 :])
            args = args[:i]
        else:
            ctx.meta["envaudit.command"] = None
        return super().parse_args(ctx, args)


@click.command(cls=DashDashCommand)
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--runs", "n_runs", type=click.IntRange(min=2), default=2, show_default=True, help="How many runs."
)
@click.option(
    "--output",
    "globs",
    multiple=True,
    metavar="GLOB",
    help="Output files to compare, relative to the project (repeatable; a directory matches the files "
    "under it; a glob that matches nothing in any run is an error). Default: every file a run creates "
    "or changes.",
)
@click.option(
    "--link",
    "link",
    multiple=True,
    metavar="PATH",
    help="Symlink this path of the project (relative, or absolute inside it) into each copy instead "
    "of copying it (big read-only inputs such as data/; repeatable). Runs must not write there.",
)
@click.option("--rtol", type=FiniteFloat(min=0), default=1e-5, show_default=True, help="Relative tolerance.")
@click.option("--atol", type=FiniteFloat(min=0), default=1e-8, show_default=True, help="Absolute tolerance.")
@click.option("--timeout", type=FiniteFloat(min=0, min_open=True), metavar="S", help="Seconds per run.")
@click.option("--no-stdout", is_flag=True, help="Do not compare what the command prints.")
@click.option("--no-causes", is_flag=True, help="On difference, do not re-run with knobs to find the cause.")
@click.option(
    "--knob",
    "knobs",
    multiple=True,
    metavar="KNOB",
    help="Only try these knobs when runs differ (repeatable): PYTHONHASHSEED, seed-all, single-thread, "
    "CUBLAS_WORKSPACE_CONFIG, TF_DETERMINISTIC_OPS. Default: all that apply (CUBLAS where an NVIDIA "
    "GPU is, TF where the code uses TensorFlow).",
)
@click.option(
    "--ray", "ray_address", metavar="ADDRESS", help="Spread the runs over the nodes of a Ray cluster."
)
@click.option(
    "--launcher",
    metavar="PREFIX",
    help="Prefix each run's command with PREFIX ({i}: the run's 0-based index, {run}: 1-based), "
    "e.g. 'srun --nodes=1 --ntasks=1 --relative={i}' for one Slurm task per run.",
)
@click.option(
    "--scratch",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Make the fresh copies under DIR (a shared file system for --launcher srun).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--record", "record_path", metavar="FILE", help="Also write the JSON record to FILE.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
def rerun(
    ctx: click.Context,
    path: Path,
    n_runs: int,
    globs: tuple[str, ...],
    link: tuple[str, ...],
    rtol: float,
    atol: float,
    timeout: float | None,
    no_stdout: bool,
    no_causes: bool,
    knobs: tuple[str, ...],
    ray_address: str | None,
    launcher: str | None,
    scratch: Path | None,
    fmt: str,
    record_path: str | None,
    quiet: bool,
) -> None:
    """Run COMMAND (after `--`) several times, each in a fresh copy of PATH, and compare
    what the runs wrote and printed. When they differ, re-run with one knob set at a
    time (PYTHONHASHSEED=0, single-threaded BLAS, all RNGs seeded, CUBLAS_WORKSPACE_CONFIG)
    and say which makes them agree. This runs the project's code."""
    from envaudit.prove.compare import Tolerance
    from envaudit.prove.rerun import RerunError
    from envaudit.prove.rerun import rerun as do_rerun

    command = ctx.meta.get("envaudit.command")
    if not command:
        raise click.UsageError("give the command to run after `--`, e.g. envaudit rerun . -- python train.py")
    if not path.is_dir():
        raise click.BadParameter(f"{path} is not a directory", param_hint="PATH")
    for g in globs:
        if Path(g).is_absolute() or ".." in Path(g).parts:
            raise click.BadParameter(
                f"{g}: globs are relative to the project (each run writes into its own copy of it; "
                "an output written outside the project cannot be told apart between runs)",
                param_hint="--output",
            )
    root = path.resolve()
    link = tuple(_project_relative(p, root) for p in link)

    def progress(msg: str) -> None:
        if not quiet:  # every progress line is scrubbed: it quotes lock names, paths, installers
            from envaudit.prove.safety import scrub

            click.echo(f"envaudit rerun: {scrub(msg, keep_newlines=False)}", err=True)

    if ray_address and launcher:
        raise click.UsageError("--ray and --launcher are two ways to place the runs: choose one")
    if scratch is not None and not scratch.is_dir():
        raise click.BadParameter(f"{scratch} is not a directory", param_hint="--scratch")
    _terminate_cleanly()
    runner = None
    if ray_address:
        from envaudit.prove.rayrun import RayRunError, ray_runner

        try:
            runner = ray_runner(root, command, n_runs, globs, timeout, ray_address, progress)
        except RayRunError as exc:
            click.echo(f"envaudit: error: {exc}", err=True)
            raise click.exceptions.Exit(2) from None
    try:
        result = do_rerun(
            root,
            command,
            runs=n_runs,
            globs=globs,
            tol=Tolerance(rtol, atol),
            timeout=timeout,
            stdout=not no_stdout,
            causes=not no_causes,
            progress=progress,
            runner=runner,
            knobs=knobs,
            launcher=tuple(shlex.split(launcher)) if launcher else (),
            scratch=scratch.resolve() if scratch else None,
            link=link,
        )
    except Exception as exc:
        from envaudit.prove.rayrun import RayRunError

        if not isinstance(exc, RerunError | RayRunError):
            raise
        from envaudit.prove.safety import scrub

        click.echo(f"envaudit: error: {scrub(str(exc))}", err=True)
        raise click.exceptions.Exit(2) from None
    finally:
        if runner is not None:
            runner.close()  # type: ignore[attr-defined]
    record = result.to_record()
    text = json.dumps(record, indent=2, default=_jsonable) + "\n"
    if record_path:
        write_output(text, record_path)
    write_output(text if fmt == "json" else render_text(result), None)
    raise click.exceptions.Exit(0 if result.reproducible else 1)


def _terminate_cleanly() -> None:
    """SIGTERM and SIGHUP (a CI job cancelled, a closed terminal) end rerun as Ctrl-C does:
    the running command's process group is killed and the temporary copies are removed
    (by default Python dies on them without running any cleanup)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, stop)


def _project_relative(p: str, root: Path) -> str:
    """A --link path as the project-relative path it names (absolute paths inside the project too)."""
    given = Path(p)
    full = os.path.normpath(given if given.is_absolute() else root / given)
    rel = None
    # as given, or with its folders resolved (/tmp a symlink) but not the path itself
    for cand in (full, os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))):
        try:
            rel = Path(cand).relative_to(root)
            break
        except ValueError:
            continue
    if rel is None or not rel.parts or not (root / rel).exists():
        raise click.BadParameter(f"{p}: not a path inside the project ({root})", param_hint="--link")
    return rel.as_posix()


def _jsonable(x: Any) -> Any:
    return str(x)


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return "inf" if math.isinf(x) else f"{x:.3g}"


def render_text(result: Any) -> str:
    import shlex

    lines = []
    hosts = {r.host for r in result.runs if r.host}
    times = ", ".join(f"{r.seconds:.1f} s" for r in result.runs)
    where = f" on {len(hosts)} hosts ({', '.join(sorted(hosts))})" if hosts else ""
    from envaudit.prove.safety import scrub_argv

    lines.append(f"{len(result.runs)} runs of `{shlex.join(scrub_argv(result.command))}`{where} ({times})")
    for r in result.runs:
        if r.leftovers:
            lines.append(
                f"  note: run {r.index} left {r.leftovers} process(es) running after it ended: killed"
            )
    width = max((len(o.path) for o in result.outputs), default=0)
    for o in result.outputs:
        c = o.comparison
        line = f"  {c.status:<9}  {o.path:<{width}}"
        if c.status != "identical" and c.max_abs is not None:
            line += f"  max abs diff {_num(c.max_abs)}, max rel diff {_num(c.max_rel)}"
        if c.status != "identical" and c.first:
            label = "failed" if o.path.startswith("<run ") else "first difference"
            line += f"\n             {label}: {c.first}"
        lines.append(line)
    if result.causes:
        lines.append("")
        lines.append("Causes (the runs repeated with one knob set at a time):")
        kw = max(len(c.knob) for c in result.causes)
        for c in result.causes:
            verdict = "runs agree" if c.reproducible_with else "still differ"
            lines.append(f"  {c.knob:<{kw}}  {verdict:<12}  {c.detail}")
    static = [f for f in result.findings if f.code.startswith("DET")]
    if static:
        lines.append("")
        lines.append("Static determinism findings (envaudit check --select DET):")
        for f in static:
            lines.append(f"  {f.location}: {f.code} [{f.severity.label}] {f.message}")
    lines.append("")
    if result.reproducible:
        lines.append("Reproducible: every output is identical or within tolerance.")
    else:
        named = [c.knob for c in result.causes if c.reproducible_with]
        tail = f" Runs agree with: {', '.join(named)}." if named else ""
        if result.failures:
            tail = (
                f" {len(result.failures)} of {len(result.runs)} runs failed: fix that first "
                "(the causes of differences were not searched)."
            )
        lines.append(f"Not reproducible.{tail}")
    return "\n".join(line.rstrip() for line in "\n".join(lines).split("\n")) + "\n"
