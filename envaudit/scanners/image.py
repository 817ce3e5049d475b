"""A built Docker image (`check --image NAME`), read through the Docker SDK without
running it: its config (user, env redacted, labels), history, and the Python
distributions in its filesystem (the `*.dist-info/METADATA` files of a created,
never started container's export).

No daemon, a daemon that does not answer, or an unknown image: an EA002 with one
line saying why, within bounded time.
"""

from __future__ import annotations

import contextlib
import tarfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envaudit._lazyre import lazy_re

if TYPE_CHECKING:
    from envaudit.inventory import Inventory

TIMEOUT = 60  # seconds, per API call once the daemon has answered
PING_TIMEOUT = 5.0  # seconds for the daemon to answer at all (ENVAUDIT_DOCKER_TIMEOUT overrides)
MAX_EXPORT = 8 * 1024**3  # stop reading an export after this many bytes
_META_RE = lazy_re(r"(?:^|/)(?:site|dist)-packages/([^/]+)\.dist-info/METADATA$")


@dataclass(frozen=True)
class ImageDist:
    name: str
    canonical: str
    version: str
    path: str  # the METADATA path inside the image


@dataclass(frozen=True)
class ImageFacts:
    name: str
    available: bool
    reason: str = ""  # why not available
    id: str = ""
    user: str = ""
    env: tuple[tuple[str, str], ...] = ()  # redacted
    labels: tuple[tuple[str, str], ...] = ()
    history: tuple[str, ...] = ()  # created_by, oldest first (redacted)
    dists: tuple[ImageDist, ...] = ()

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)

    def get(self, name: str) -> ImageDist | None:
        from packaging.utils import canonicalize_name

        key = canonicalize_name(name)
        return next((d for d in self.dists if d.canonical == key), None)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    msg = text[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {msg}"[:300]


def read_metadata(fileobj: Any) -> tuple[str, str] | None:
    name = version = None
    for raw in fileobj.read(256 * 1024).decode("utf-8", "replace").splitlines():
        if not raw.strip():
            break
        key, _, value = raw.partition(":")
        if key.lower() == "name":
            name = value.strip()
        elif key.lower() == "version":
            version = value.strip()
    return (name, version) if name and version else None


def dists_from_tar_stream(stream: Any) -> list[ImageDist]:
    """Distributions from an uncompressed tar stream of a filesystem (read once, in order)."""
    from packaging.utils import canonicalize_name

    out: list[ImageDist] = []
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            if not member.isfile() or not _META_RE.search(member.name):
                continue
            f = tar.extractfile(member)
            if f is None:
                continue
            meta = read_metadata(f)
            if meta:
                out.append(
                    ImageDist(meta[0], canonicalize_name(meta[0]), meta[1], "/" + member.name.lstrip("./"))
                )
    return sorted(out, key=lambda d: (d.canonical, d.path))


class _ChunkReader:
    """A file-like object over the SDK's chunk iterator, with a byte cap."""

    def __init__(self, chunks: Any, cap: int) -> None:
        self._it = iter(chunks)
        self._buf = b""
        self._read = 0
        self._cap = cap

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            if self._read > self._cap:
                break
            try:
                chunk = next(self._it)
            except StopIteration:
                break
            self._read += len(chunk)
            self._buf += chunk
        if n < 0:
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data


def scan(inv: Inventory) -> ImageFacts | None:
    name = inv.image
    if not name:
        return None
    from envaudit.redact import redact_text, redact_value

    try:
        import docker
        import docker.errors
    except ImportError as exc:
        inv.skipped(f"image {name}: the Docker SDK is not installed ({exc}); image checks skipped")
        return ImageFacts(name, False, "no docker SDK")
    try:
        ping_timeout = float(inv.environ.get("ENVAUDIT_DOCKER_TIMEOUT") or PING_TIMEOUT)
    except ValueError:
        ping_timeout = PING_TIMEOUT
    try:
        client = docker.from_env(environment=inv.environ, timeout=ping_timeout)  # type: ignore[arg-type]
        client.ping()
        client.api.timeout = TIMEOUT
    except Exception as exc:  # DockerException, requests errors, timeouts: all mean "no daemon here"
        reason = f"Docker daemon not reachable ({_one_line(exc)})"
        inv.skipped(f"image {name}: {reason}; image checks skipped")
        return ImageFacts(name, False, reason)
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        inv.skipped(
            f"image {name}: not found in the local Docker engine (build or pull it first); image checks skipped"
        )
        return ImageFacts(name, False, "not found")
    except Exception as exc:
        inv.skipped(f"image {name}: {_one_line(exc)}; image checks skipped")
        return ImageFacts(name, False, _one_line(exc))
    attrs = image.attrs or {}
    config = attrs.get("Config") or {}
    env = []
    for item in config.get("Env") or []:
        k, _, v = str(item).partition("=")
        env.append((k, redact_value(k, v)))
    labels = tuple(sorted((str(k), redact_text(str(v))) for k, v in (config.get("Labels") or {}).items()))
    try:
        history = tuple(redact_text(str(h.get("CreatedBy", ""))) for h in reversed(image.history()))
    except Exception:
        history = ()
    dists: list[ImageDist] = []
    container = None
    try:
        # created, never started: the entrypoint is never run, so any command will do
        container = client.containers.create(image.id, command=["/envaudit-never-runs"], entrypoint=[])
        dists = dists_from_tar_stream(_ChunkReader(container.export(chunk_size=1024 * 1024), MAX_EXPORT))
    except Exception as exc:
        inv.skipped(f"image {name}: cannot read its filesystem ({_one_line(exc)}); package checks skipped")
    finally:
        if container is not None:
            with contextlib.suppress(Exception):
                container.remove(force=True)
    return ImageFacts(
        name,
        True,
        "",
        str(image.id),
        str(config.get("User") or ""),
        tuple(env),
        labels,
        history,
        tuple(dists),
    )
