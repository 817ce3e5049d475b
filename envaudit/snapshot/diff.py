"""Comparing snapshots: two (what changed, A -> B) or many (who is the outlier).

Each record is flattened into groups of `key -> value` (packages by canonical
name, variables by name, files by path, nested facts by dotted path, lists of
objects by their name/path/index), so a difference is always named
`group.key`, the same string `verify --ignore` patterns match.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

GROUPS: tuple[tuple[str, str], ...] = (
    ("python", "Python"),
    ("packages", "Packages"),
    ("cuda", "CUDA stack"),
    ("frameworks", "Frameworks"),
    ("git", "Git"),
    ("variables", "Variables"),
    ("files", "Lockfiles and manifests"),
    ("data", "Data"),
    ("host", "Host"),
)
TITLES = dict(GROUPS)
# The identity of a host (or of a GPU, `cuda.gpus[i].uuid`) is not a difference between two hosts.
_NOT_COMPARED = {("host", "hostname"), ("python", "found_by")}
_ID_KEYS = ("name", "path", "index", "id")


class _Missing:
    def __repr__(self) -> str:
        return "<absent>"


MISSING: Any = _Missing()


def _flat(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _flat(value[k], f"{prefix}.{k}" if prefix else str(k), out)
        return
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for id_key in _ID_KEYS:
            ids = [v.get(id_key) for v in value]
            if all(isinstance(i, str | int) for i in ids) and len(set(ids)) == len(ids):
                for ident, item in zip(ids, value, strict=True):
                    rest = {k: v for k, v in item.items() if k != id_key}
                    _flat(rest or item, f"{prefix}[{ident}]", out)
                return
    out[prefix] = value


def flatten(record: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """group -> {key: value}; None where the record has no such section (not scanned)."""
    out: dict[str, dict[str, Any] | None] = {}
    for group, _title in GROUPS:
        section = record.get(group)
        if section is None:
            out[group] = None
            continue
        if group in ("packages", "variables", "files"):
            flat = dict(section) if isinstance(section, dict) else {"": section}
        else:
            flat = {}
            _flat(section, "", flat)
        out[group] = {
            k: v
            for k, v in flat.items()
            if (group, k) not in _NOT_COMPARED and not (group == "cuda" and k.endswith(".uuid"))
        }
    return out


def _canon(value: Any) -> str:
    return "\0absent" if value is MISSING else json.dumps(value, sort_keys=True)


@dataclass
class KeyDiff:
    group: str
    key: str
    values: list[Any]  # one per snapshot; MISSING where the key is absent
    majority: Any = MISSING
    outliers: list[int] = field(default_factory=list)  # indices differing from a strict majority

    @property
    def name(self) -> str:
        return f"{self.group}.{self.key}" if self.key else self.group

    @property
    def kind(self) -> str:
        """For two snapshots: added, removed or changed."""
        a, b = self.values[0], self.values[-1]
        if a is MISSING:
            return "added"
        if b is MISSING:
            return "removed"
        return "changed"


@dataclass
class DiffResult:
    labels: list[str]
    changes: list[KeyDiff]
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.changes

    def outliers(self) -> dict[str, list[KeyDiff]]:
        """label -> the keys where that snapshot differs from a strict majority."""
        out: dict[str, list[KeyDiff]] = {}
        if len(self.labels) < 3:
            return out
        for c in self.changes:
            for i in c.outliers:
                out.setdefault(self.labels[i], []).append(c)
        return out


def compare(records: list[dict[str, Any]], labels: list[str]) -> DiffResult:
    """Every key whose value is not the same in all records (that recorded its group)."""
    if len(records) != len(labels) or len(records) < 2:
        raise ValueError("compare() needs at least two records and one label each")
    flats = [flatten(r) for r in records]
    changes: list[KeyDiff] = []
    notes: list[str] = []
    for group, title in GROUPS:
        present = [i for i, f in enumerate(flats) if f[group] is not None]
        absent = [labels[i] for i, f in enumerate(flats) if f[group] is None]
        if absent and present:
            notes.append(f"{title}: not recorded in {', '.join(absent)}; compared among the others")
        if len(present) < 2:
            continue
        keys = sorted({k for i in present for k in flats[i][group] or {}})
        for key in keys:
            values = [
                (flats[i][group] or {}).get(key, MISSING) if i in present else MISSING
                for i in range(len(records))
            ]
            canon = [_canon(values[i]) for i in present]
            if len(set(canon)) == 1:
                continue
            diff = KeyDiff(group, key, values)
            top, count = Counter(canon).most_common(1)[0]
            if count * 2 > len(present):
                diff.majority = values[present[canon.index(top)]]
                diff.outliers = [i for i, c in zip(present, canon, strict=True) if c != top]
            changes.append(diff)
    return DiffResult(list(labels), changes, notes)


# ---------------------------------------------------------------- rendering
def fmt_value(group: str, value: Any, *, limit: int = 100) -> str:
    if value is MISSING:
        return "(absent)"
    if group == "packages" and isinstance(value, dict):
        text = str(value.get("version"))
        extra = []
        if value.get("installer"):
            extra.append(f"installer {value['installer']}")
        url = (
            (value.get("direct_url") or {}).get("url") if isinstance(value.get("direct_url"), dict) else None
        )
        if url:
            extra.append(f"from {url}")
        return f"{text} ({', '.join(extra)})" if extra else text
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pkg_pair(a: Any, b: Any) -> tuple[str, str]:
    """Show the installer/url only where the version alone does not tell the change."""
    if isinstance(a, dict) and isinstance(b, dict) and a.get("version") != b.get("version"):
        return str(a.get("version")), str(b.get("version"))
    return fmt_value("packages", a), fmt_value("packages", b)


def to_dict(result: DiffResult) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in result.changes:
        entry: dict[str, Any] = {
            "key": c.key,
            "values": {
                label: (None if v is MISSING else v) for label, v in zip(result.labels, c.values, strict=True)
            },
            "absent_in": [label for label, v in zip(result.labels, c.values, strict=True) if v is MISSING],
        }
        if len(result.labels) == 2:
            entry["kind"] = c.kind
        else:
            entry["majority"] = None if c.majority is MISSING else c.majority
            entry["outliers"] = [result.labels[i] for i in c.outliers]
        groups.setdefault(c.group, []).append(entry)
    return {
        "schema": "envaudit/diff/1",
        "snapshots": result.labels,
        "identical": result.identical,
        "differences": len(result.changes),
        "groups": groups,
        "outliers": {k: [c.name for c in v] for k, v in sorted(result.outliers().items())},
        "notes": result.notes,
    }


def render_json(result: DiffResult) -> str:
    from envaudit.terminal import escape_json_controls

    return (
        escape_json_controls(json.dumps(to_dict(result), indent=2, sort_keys=False, ensure_ascii=False))
        + "\n"
    )


def _by_group(result: DiffResult) -> list[tuple[str, str, list[KeyDiff]]]:
    out = []
    for group, title in GROUPS:
        items = [c for c in result.changes if c.group == group]
        if items:
            out.append((group, title, items))
    return out


def _outlier_lines(result: DiffResult) -> list[str]:
    lines = []
    for label, diffs in sorted(result.outliers().items()):
        parts = []
        for c in diffs:
            mine = c.values[result.labels.index(label)]
            others = len(result.labels) - len(c.outliers)
            parts.append(
                f"{c.name} = {fmt_value(c.group, mine)} ({others} others: {fmt_value(c.group, c.majority)})"
            )
        lines.append(f"{label}: " + "; ".join(parts))
    return lines


def render_text(result: DiffResult) -> str:
    labels = result.labels
    lines: list[str] = []
    n = len(result.changes)
    if len(labels) == 2:
        lines.append(f"{labels[0]} -> {labels[1]}: {n} difference{'s' * (n != 1)}")
    else:
        lines.append(f"{len(labels)} snapshots: {n} key{'s' * (n != 1)} differ{'s' * (n == 1)}")
        outliers = _outlier_lines(result)
        if outliers:
            lines.append("")
            lines.append("Outliers (differ from the majority):")
            lines += [f"  {line}" for line in outliers]
    for group, title, items in _by_group(result):
        lines.append("")
        lines.append(title)
        for c in items:
            if len(labels) == 2:
                a, b = c.values
                if group == "packages":
                    sign = {"added": "+", "removed": "-", "changed": "~"}[c.kind]
                    if c.kind == "added":
                        lines.append(f"  {sign} {c.key} {fmt_value(group, b)}")
                    elif c.kind == "removed":
                        lines.append(f"  {sign} {c.key} {fmt_value(group, a)}")
                    else:
                        pa, pb = _pkg_pair(a, b)
                        lines.append(f"  {sign} {c.key} {pa} -> {pb}")
                else:
                    lines.append(f"  {c.key}: {fmt_value(group, a)} -> {fmt_value(group, b)}")
            else:
                lines.append(f"  {c.key}:")
                buckets: dict[str, list[str]] = {}
                for label, v in zip(labels, c.values, strict=True):
                    buckets.setdefault(fmt_value(group, v), []).append(label)
                for shown, who in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
                    lines.append(f"    {shown}  [{', '.join(who)}]")
    for note in result.notes:
        lines.append("")
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: DiffResult) -> str:
    labels = result.labels
    n = len(result.changes)
    lines = [f"## Environment diff: {n} difference{'s' * (n != 1)}", ""]
    if len(labels) > 2:
        outliers = _outlier_lines(result)
        if outliers:
            lines += ["**Outliers** (differ from the majority):", ""]
            lines += [f"- {_md(line)}" for line in outliers]
            lines.append("")
    for group, title, items in _by_group(result):
        lines += [f"### {title}", ""]
        if len(labels) == 2:
            lines += [f"| key | change | {_md(labels[0])} | {_md(labels[1])} |", "|---|---|---|---|"]
            for c in items:
                a, b = c.values
                pa, pb = (
                    _pkg_pair(a, b) if group == "packages" else (fmt_value(group, a), fmt_value(group, b))
                )
                if a is MISSING:
                    pa = "—"
                if b is MISSING:
                    pb = "—"
                lines.append(f"| `{_md(c.key)}` | {c.kind} | {_md(pa)} | {_md(pb)} |")
        else:
            lines += [
                "| key | " + " | ".join(_md(x) for x in labels) + " |",
                "|---" * (len(labels) + 1) + "|",
            ]
            for c in items:
                cells = []
                for i, v in enumerate(c.values):
                    cell = _md(fmt_value(group, v, limit=40))
                    cells.append(f"**{cell}**" if i in c.outliers else cell)
                lines.append(f"| `{_md(c.key)}` | " + " | ".join(cells) + " |")
        lines.append("")
    for note in result.notes:
        lines.append(f"> {_md(note)}")
    return "\n".join(lines).rstrip() + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
