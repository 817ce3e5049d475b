"""Requirements files read by envaudit and by pip's own parser (issue 15, attacker round).

pip's `pip._internal.req.req_file.parse_requirements` is the oracle (a test may import
pip's internals; envaudit never does). For each hostile file both must see the same
requirements (canonical name, specifier, extras, marker, number of hashes, editable), and
where pip refuses a line ("Invalid requirement") envaudit gives an EA001 on that line and
audits nothing of it. Files that name paths are left out: pip checks the disk for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.inventory import Inventory
from envaudit.scanners.requirements import parse_requirements_file

H1, H2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64

CASES: dict[str, str] = {
    "options-after-the-requirement": f"flask==1.0 --hash={H1}\nnumpy==1 \\\n  --hash={H2}\n",
    "marker-spacing": "numpy==1.0;python_version<'3.8'\nscipy==1.0 ; sys_platform  ==  'linux'\n",
    "continuation-at-eof": "flask==1.0 \\",
    "continuation-then-eof-newline": "flask==1.0\nnumpy \\\n",
    "comment-after-the-backslash": "flask==1.0 \\  # pinned\nnumpy==1\n",
    "comment-line-inside-a-continuation": "flask==1.0 \\\n# comment\nnumpy==1\n",
    "hash-without-requirement": f"flask==1.0\n--hash={H1}\n",
    "egg-and-subdirectory": "git+https://github.com/a/b@v1#egg=bee\ngit+https://github.com/a/c#egg=cee&subdirectory=s\n",
    "pep508-url": "foo @ https://x/foo-1.0-py3-none-any.whl\nbar@git+https://github.com/a/bar@abc\n",
    "extras-with-spaces": "flask[ async , dotenv ]==2.0\nflask [async]==2.0\nflask[]==1\n",
    "names-to-normalise": "Foo_Bar==1.0\nfoo.baz===1.0a\nZOPE.Interface>=5\n",
    "arbitrary-equality": "foo===1.0-local\n",
    "bom": "\ufeffflask==1.0\nnumpy==1\n",
    "crlf": f"flask==1.0\r\nnumpy==1 \\\r\n  --hash={H2}\r\n",
    "tabs": "flask==1.0\t# tab comment\nnumpy\t==\t1\n",
    "operators": "flask == 1.0.*\nnumpy~=1.0\nscipy!=1,>=0.5\n",
    "space-inside-a-version": "flask==1 .0\nnumpy==1\n",
    "hash-sign-without-blank": "flask==1.0#not a comment\nnumpy==1 #a comment\n",
    "url-with-marker": "foo @ https://x/foo.whl ; python_version>'3'\n",
    "global-options": "--index-url https://x/simple\n--pre\n--no-binary :all:\n-i https://y\nflask==1\n",
    "config-settings": "flask==1 --config-settings=a=b\n",
    "non-ascii-name": "flásk==1\nnumpy==1\n",
}


# pip's parser runs in a child interpreter: importing pip's internals here would leave
# distutils in a state in which a later `import setuptools` in this process fails
_PIP_SCRIPT = """
import json, sys
from pip._internal.network.session import PipSession
from pip._internal.req.constructors import install_req_from_parsed_requirement
from pip._internal.req.req_file import parse_requirements
from pip._vendor.packaging.utils import canonicalize_name

every = {}
for path in sys.argv[1:]:
    out = every[path] = []
    for parsed in parse_requirements(path, session=PipSession()):
        try:
            ir = install_req_from_parsed_requirement(parsed)
        except Exception:  # pip's InstallationError: "Invalid requirement"
            out.append(["invalid"])
            continue
        hashes = sum(len(v) for v in (ir.hash_options or {}).values())
        marker = str(ir.markers) if ir.markers else None
        name = canonicalize_name(ir.req.name)
        out.append([name, str(ir.req.specifier), sorted(ir.extras), marker, hashes, ir.editable])
print(json.dumps(every))
"""


@pytest.fixture(scope="module")
def pip_says(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    """Every case parsed by pip, in one child interpreter."""
    import json
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("piporacle")
    paths = {}
    for name, text in CASES.items():
        (base / name).mkdir()
        paths[name] = base / name / "requirements.txt"
        paths[name].write_bytes(text.encode())
    res = subprocess.run(
        [sys.executable, "-c", _PIP_SCRIPT, *map(str, paths.values())],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"},
    )
    every = json.loads(res.stdout.strip().splitlines()[-1])
    return {name: [tuple(row) for row in every[str(path)]] for name, path in paths.items()}


def _envaudit(root: Path) -> tuple[list[tuple[object, ...]], list[int]]:
    from packaging.specifiers import SpecifierSet

    inv = Inventory(root, environ={})
    got = [
        (d.name, str(SpecifierSet(d.specifier)), sorted(d.extras), d.marker, len(d.hashes), d.editable)
        for d in parse_requirements_file(inv, "requirements.txt")
    ]
    invalid = sorted(
        d.line or 0 for d in inv.diagnostics if d.code == "EA001" and "invalid requirement" in d.message
    )
    return got, invalid


@pytest.mark.parametrize("name", list(CASES))
def test_envaudit_reads_requirements_as_pip_does(
    tmp_path: Path, name: str, pip_says: dict[str, list[tuple[object, ...]]]
) -> None:
    (tmp_path / "requirements.txt").write_bytes(CASES[name].encode())
    theirs = pip_says[name]
    ours, invalid = _envaudit(tmp_path)
    assert ours == [t for t in theirs if t[0] != "invalid"]
    assert len(invalid) == sum(1 for t in theirs if t[0] == "invalid")


def test_comment_after_backslash_names_the_cause(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(CASES["comment-after-the-backslash"])
    inv = Inventory(tmp_path, environ={})
    assert [d.name for d in parse_requirements_file(inv, "requirements.txt")] == ["numpy"]
    (diag,) = [d for d in inv.diagnostics if d.code == "EA001"]
    assert diag.line == 1 and "followed by a comment" in diag.message
