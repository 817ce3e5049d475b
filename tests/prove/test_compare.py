"""Output comparison: identical, close within tolerance, different with where and how much."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from envaudit.prove.compare import (
    CLOSE,
    DIFFERENT,
    IDENTICAL,
    Tolerance,
    compare_bytes,
    compare_text,
    read_npy,
    read_safetensors,
)

TOL = Tolerance(rtol=1e-5, atol=1e-8)


def npy(values: list[float], shape: tuple[int, ...], descr: str = "<f8", fortran: bool = False) -> bytes:
    """A .npy (format 1.0) written by hand, as numpy.save writes it."""
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    code = {"<f8": "<{}d", ">f8": ">{}d", "<f4": "<{}f", "<i8": "<{}q", "<f2": "<{}e"}[descr]
    return (
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", len(header))
        + header.encode()
        + struct.pack(code.format(len(values)), *values)
    )


def safetensors(tensors: dict[str, tuple[str, tuple[int, ...], list[float]]]) -> bytes:
    codes = {"F32": "<{}f", "F64": "<{}d", "I64": "<{}q"}
    header, body = {}, b""
    for name, (dtype, shape, values) in tensors.items():
        raw = struct.pack(codes[dtype].format(len(values)), *values)
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [len(body), len(body) + len(raw)],
        }
        body += raw
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + body


class Pickled:
    pass


def test_identical_bytes() -> None:
    c = compare_bytes("m.bin", b"\x00\x01", b"\x00\x01", TOL)
    assert (c.status, c.max_abs, c.first) == (IDENTICAL, 0.0, None)


def test_json_close_and_different() -> None:
    a = json.dumps({"loss": 0.34900001, "acc": 0.9, "tag": "x"}).encode()
    b = json.dumps({"loss": 0.34900002, "acc": 0.9, "tag": "x"}).encode()
    c = compare_bytes("metrics.json", a, b, TOL)
    assert c.status == CLOSE and c.max_abs == pytest.approx(1e-8, rel=1e-3) and c.first.startswith("loss:")
    b2 = json.dumps({"loss": 0.36, "acc": 0.9, "tag": "x"}).encode()
    c2 = compare_bytes("metrics.json", a, b2, TOL)
    assert c2.status == DIFFERENT and c2.first == "loss: 0.34900001 vs 0.36"
    assert c2.max_abs == pytest.approx(0.01099999) and c2.max_rel == pytest.approx(0.01099999 / 0.36)


def test_json_key_and_type_differences() -> None:
    c = compare_bytes("a.json", b'{"a": [1, 2], "b": 1}', b'{"a": [1, 2, 3]}', TOL)
    assert c.status == DIFFERENT and c.first == "a: 2 items vs 3"
    c = compare_bytes("a.json", b'{"a": "x"}', b'{"a": "y"}', TOL)
    assert (c.status, c.first, c.max_abs) == (DIFFERENT, "a: 'x' vs 'y'", None)
    # same values, other formatting: not identical bytes, but close with no difference at all
    c = compare_bytes("a.json", b'{"a": 1.0}', b'{ "a": 1.0 }\n', TOL)
    assert (c.status, c.max_abs, c.first) == (CLOSE, 0.0, None)


def test_csv_names_row_and_column() -> None:
    a = b"epoch,loss\n1,0.5\n2,0.25\n"
    b = b"epoch,loss\n1,0.5\n2,0.2501\n"
    c = compare_bytes("log.csv", a, b, TOL)
    assert c.status == DIFFERENT and c.first == "row 3, column 2: 0.25 vs 0.2501"
    assert compare_bytes("log.csv", a, b, Tolerance(1e-3, 0)).status == CLOSE


def test_yaml_values() -> None:
    c = compare_bytes("r.yaml", b"best:\n  lr: 0.1\n  acc: 0.91\n", b"best:\n  lr: 0.1\n  acc: 0.92\n", TOL)
    assert c.status == DIFFERENT and c.first == "best.acc: 0.91 vs 0.92"


def test_text_numbers_in_lines() -> None:
    c = compare_text(
        "epoch 1 loss 0.3490\nepoch 2 loss 0.2000\n", "epoch 1 loss 0.3490\nepoch 2 loss 0.2100\n", TOL
    )
    assert c.status == DIFFERENT and c.first.startswith("line 2 ('epoch 2 loss 0.2000'): 0.2 vs 0.21")
    assert c.max_abs == pytest.approx(0.01)
    c = compare_text("loss 0.3490\n", "loss 0.3491\n", Tolerance(rtol=1e-3, atol=0))
    assert c.status == CLOSE
    c = compare_text("done\n", "failed\n", TOL)
    assert c.status == DIFFERENT and c.first == "line 1: 'done' vs 'failed'" and c.max_abs is None
    c = compare_text("a\nb\n", "a\n", TOL)
    assert c.status == DIFFERENT and c.first == "line 2: 2 lines vs 1"


def test_npy_read_and_compare() -> None:
    a = npy([1.0, 2.0, 3.0, 4.0], (2, 2))
    assert read_npy(a) == ((2, 2), [1.0, 2.0, 3.0, 4.0])
    assert read_npy(npy([1.0, 3.0, 2.0, 4.0], (2, 2), fortran=True)) == ((2, 2), [1.0, 2.0, 3.0, 4.0])
    assert read_npy(npy([1.5], (1,), ">f8"))[1] == [1.5]
    assert read_npy(npy([0.5, 1.0], (2,), "<f2"))[1] == [0.5, 1.0]
    c = compare_bytes("w.npy", a, npy([1.0, 2.0, 3.5, 4.0], (2, 2)), TOL)
    assert c.status == DIFFERENT and c.first == "[1, 0]: 3 vs 3.5" and c.max_abs == 0.5
    c = compare_bytes("w.npy", a, npy([1.0, 2.0, 3.0, 4.0 + 1e-12], (2, 2)), TOL)
    assert c.status == CLOSE
    c = compare_bytes("w.npy", a, npy([1.0, 2.0, 3.0, 4.0], (4,)), TOL)
    assert c.status == DIFFERENT and "shape (2, 2) vs (4,)" in c.first


def test_npy_object_dtype_is_compared_as_bytes() -> None:
    bad = (
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", 60)
        + b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".ljust(60)
    )
    c = compare_bytes("x.npy", bad + b"\x01", bad + b"\x02", TOL)
    assert c.status == DIFFERENT and "not numeric" in c.first and c.first.startswith("byte ")


def test_safetensors() -> None:
    a = safetensors({"w": ("F32", (2,), [1.0, 2.0]), "step": ("I64", (1,), [7])})
    assert read_safetensors(a)["w"][:2] == ("F32", (2,))
    b = safetensors({"w": ("F32", (2,), [1.0, 2.5]), "step": ("I64", (1,), [7])})
    c = compare_bytes("model.safetensors", a, b, TOL)
    assert c.status == DIFFERENT and c.first == "w[1]: 2 vs 2.5" and c.max_abs == 0.5
    c = compare_bytes("model.safetensors", a, safetensors({"w": ("F32", (2,), [1.0, 2.0])}), TOL)
    assert c.status == DIFFERENT and c.first == "step: only in the first run"


def test_binary_first_byte() -> None:
    c = compare_bytes("blob.dat", b"\x00\x01\x02", b"\x00\x01\x03", TOL)
    assert (c.status, c.first) == (DIFFERENT, "byte 2: 0x02 vs 0x03")
    c = compare_bytes("blob.dat", b"\x00\x01", b"\x00\x01\x03", TOL)
    assert c.first == "byte 2: one run's file ends there (2 vs 3 bytes)"


def test_torch_state_dicts_in_their_own_python(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    from envaudit.prove.compare import compare_torch

    torch.manual_seed(0)
    sd = {"layer.weight": torch.randn(3, 4), "layer.bias": torch.zeros(3)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    torch.save(sd, tmp_path / "a" / "m.pt")
    close = {k: v.clone() for k, v in sd.items()}
    close["layer.weight"][1, 2] *= 1 + 2e-6
    torch.save(close, tmp_path / "b" / "m.pt")
    a, b = tmp_path / "a" / "m.pt", tmp_path / "b" / "m.pt"
    c = compare_bytes("m.pt", a.read_bytes(), b.read_bytes(), TOL, torch_files=(a, b), python=sys.executable)
    assert c.status == CLOSE and c.first.startswith("layer.weight[1, 2]:")
    far = {k: v.clone() for k, v in sd.items()}
    far["layer.bias"][2] = 0.5
    torch.save(far, b)
    c = compare_torch(a, b, TOL, sys.executable)
    assert c.status == DIFFERENT and c.first == "layer.bias[2]: 0.0 vs 0.5" and c.max_abs == 0.5


def test_torch_file_that_is_not_weights_only_is_refused(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    from envaudit.prove.compare import compare_torch

    for d in ("a", "b"):  # a pickled object of a class: weights_only=True refuses it, as it must
        (tmp_path / d).mkdir()
        torch.save({"x": Pickled()}, tmp_path / d / "m.pt")
    c = compare_torch(tmp_path / "a" / "m.pt", tmp_path / "b" / "m.pt", TOL, sys.executable)
    assert c.status == DIFFERENT and "could not load with torch" in c.first


def test_epoch_seconds_are_compared_by_atol_only() -> None:
    # a minute apart: the default rtol (1e-5 of 1.7e9 s is about 4.7 hours) would call it close
    c = compare_bytes("m.json", b'{"started": 1700000000.0}', b'{"started": 1700000060.0}', TOL)
    assert c.status == DIFFERENT and c.first == "started: 1700000000.0 vs 1700000060.0"
    assert not TOL.close(1.7e9, 1.7e9 + 1) and Tolerance(atol=120).close(1.7e9, 1.7e9 + 60)
    # the same relative difference on other magnitudes stays close
    assert compare_bytes("m.json", b'{"n": 1700000.0}', b'{"n": 1700000.006}', TOL).status == CLOSE
    assert TOL.close(1.7e10, 1.7e10 + 60)


def test_different_without_a_differing_number_gives_no_size() -> None:
    c = compare_bytes("m.json", b'{"lr": 0.1, "host": "a"}', b'{"lr": 0.1, "host": "b"}', TOL)
    assert c.status == DIFFERENT and c.max_abs is None and c.max_rel is None and c.first == "host: 'a' vs 'b'"


# ------------------------------------------------------------------ hostile outputs


def test_hostile_npy_headers_are_refused_not_evaluated() -> None:
    """A header that is huge, not a plain literal, claims 100 dimensions or a shape its data
    does not fill: "not readable as .npy" (compared as bytes), never a hang or a crash."""
    good = npy([1.0, 2.0], (2,))
    bad_headers = [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (" + "1, " * 100 + "), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (10**9,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",  # 3 claimed, 2 there
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
        "__import__('os').system('true')",
        "[" * 5000 + "]" * 5000,
    ]
    for header in bad_headers:
        data = (
            b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<2d", 1, 2)
        )
        with pytest.raises((ValueError, SyntaxError)):
            read_npy(data)
        c = compare_bytes("w.npy", good, data, TOL)
        assert c.status == DIFFERENT and "not readable as .npy" in (c.first or "")
    huge = b"\x93NUMPY\x02\x00" + struct.pack("<I", 1 << 30) + b"{}"  # a 1 GiB header claimed
    with pytest.raises(ValueError, match="header is"):
        read_npy(huge)


def test_yaml_alias_bomb_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A billion-laughs YAML output: PyYAML shares the aliased nodes, the comparison would walk
    them all; it stops at MAX_NODES values and compares as bytes."""
    import envaudit.prove.compare as compare

    monkeypatch.setattr(compare, "MAX_NODES", 10_000)
    lines = ["a: &a [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    a = ("\n".join(lines) + "\nz: 1\n").encode()
    b = ("\n".join(lines) + "\nz: 2\n").encode()
    c = compare_bytes("metrics.yaml", a, b, TOL)
    assert c.status == DIFFERENT and "too big to compare values" in (c.first or "")


def test_big_csv_is_compared_row_by_row() -> None:
    rows = "a,b\n" + "1,0.5\n" * 200_000
    c = compare_bytes("m.csv", rows.encode(), (rows + "1,0.7\n").encode(), TOL)
    assert c.status == DIFFERENT and c.first == "row 200002: 200001 rows vs 200002"
    c = compare_bytes("m.csv", rows.encode(), rows.replace("0.5\n1,", "0.5000001\n1,", 1).encode(), TOL)
    assert c.status == CLOSE


def test_a_secret_looking_keys_values_are_not_shown() -> None:
    a = json.dumps({"wandb": {"api_key": "sk-aaaa"}, "loss": 1.0}).encode()
    b = json.dumps({"wandb": {"api_key": "sk-bbbb"}, "loss": 1.0}).encode()
    c = compare_bytes("cfg.json", a, b, TOL)
    assert (
        c.status == DIFFERENT and c.first == "wandb.api_key: values differ (not shown: a secret-looking key)"
    )
    a = json.dumps({"token": 1.0}).encode()
    b = json.dumps({"token": 2.0}).encode()
    assert compare_bytes("cfg.json", a, b, TOL).first == "token: values differ (not shown)"


def test_torch_helper_is_not_shadowed_by_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -c` puts its working directory first on sys.path: a json.py there (the user's
    project, where they typed the command) must not run in the loader."""
    from envaudit.prove.compare import compare_torch

    marker = tmp_path / "ran"
    write_dir = tmp_path / "cwd"
    write_dir.mkdir()
    (write_dir / "json.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n", encoding="utf-8")
    (tmp_path / "a.pt").write_bytes(b"not a checkpoint")
    # an interpreter whose torch fails at once (importing the real one takes seconds)
    fake = tmp_path / "site"
    fake.mkdir()
    (fake / "torch.py").write_text("raise ImportError('no torch here')\n", encoding="utf-8")
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={fake} exec {sys.executable} "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    monkeypatch.chdir(write_dir)
    c = compare_torch(tmp_path / "a.pt", tmp_path / "a.pt", TOL, str(python), timeout=60)
    assert c.status == DIFFERENT and "no torch here" in (c.first or "")
    assert not marker.exists()


def test_torch_pickle_bomb_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """weights_only=True allows a list that holds itself twice, forty levels deep (2**40
    leaves in 2 kB): the loader walked it until its 300 s timeout, per comparison."""
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    import envaudit.prove.compare as compare

    monkeypatch.setattr(compare, "MAX_NODES", 10_000)
    x: list[Any] = [1.0]
    for _ in range(40):
        x = [x, x]
    for name, v in (("a.pt", 0.0), ("b.pt", 1.0)):
        torch.save({"w": torch.full((2,), v), "bomb": x}, tmp_path / name)
    c = compare.compare_torch(tmp_path / "a.pt", tmp_path / "b.pt", TOL, sys.executable, timeout=120)
    assert c.status == DIFFERENT and "more than 10000 values in the checkpoint" in (c.first or "")
