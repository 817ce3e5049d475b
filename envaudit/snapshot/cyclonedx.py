"""`envaudit snapshot --format cyclonedx`: the record as a CycloneDX 1.6 SBOM.

Built with cyclonedx-python-lib (optional extra `envaudit[cyclonedx]`),
imported only here. Schema validation imports jsonschema and costs about 1.5 s,
so it runs only when asked (`--validate`).
"""

from __future__ import annotations

from typing import Any


class CycloneDXError(RuntimeError):
    """cyclonedx-python-lib is missing, or (with validate) the SBOM does not validate."""


def _purl(name: str, version: str | None) -> Any:
    from packageurl import PackageURL

    return PackageURL(type="pypi", name=name, version=version)


def to_cyclonedx(record: dict[str, Any], *, validate: bool = False) -> str:
    try:
        from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
    except ImportError:
        raise CycloneDXError(
            "--format cyclonedx needs cyclonedx-python-lib: pip install 'envaudit[cyclonedx]'"
        ) from None
    from envaudit import __version__

    bom = Bom()
    project = record.get("project", {}).get("root", "project").rstrip("/").rsplit("/", 1)[-1] or "project"
    root = Component(name=project, type=ComponentType.APPLICATION, bom_ref="envaudit:project")
    git = record.get("git") or {}
    if git.get("commit"):
        root.version = git["commit"]
    bom.metadata.component = root
    props = bom.metadata.properties
    props.add(Property(name="envaudit:schema", value=record.get("schema", "")))
    props.add(Property(name="envaudit:version", value=__version__))
    host = record.get("host") or {}
    for key in ("os", "distribution", "kernel", "machine", "cpu_model", "cpu_count", "memory_total"):
        if host.get(key) is not None:
            props.add(Property(name=f"envaudit:host:{key}", value=str(host[key])))
    py = record.get("python") or {}
    for key in ("version", "implementation", "executable", "kind"):
        if py.get(key):
            props.add(Property(name=f"envaudit:python:{key}", value=str(py[key])))
    for key in ("commit", "branch", "dirty", "diff_sha256"):
        if git.get(key) is not None:
            props.add(Property(name=f"envaudit:git:{key}", value=str(git[key])))
    cuda = record.get("cuda") or {}
    for key in ("driver_version", "cuda_driver_version"):
        if cuda.get(key):
            props.add(Property(name=f"envaudit:cuda:{key}", value=str(cuda[key])))
    for i, gpu in enumerate(cuda.get("gpus") or []):
        props.add(Property(name=f"envaudit:gpu:{i}", value=str(gpu.get("name"))))
    for name, value in (record.get("variables") or {}).items():
        props.add(Property(name=f"envaudit:env:{name}", value=value or ""))
    for rel, digest in (record.get("files") or {}).items():
        props.add(Property(name=f"envaudit:file-sha256:{rel}", value=digest))
    for name, meta in (record.get("packages") or {}).items():
        comp = Component(
            name=meta.get("name") or name,
            version=meta.get("version"),
            type=ComponentType.LIBRARY,
            bom_ref=f"pypi:{name}",
            purl=_purl(name, meta.get("version")),
        )
        if meta.get("installer"):
            comp.properties.add(Property(name="envaudit:installer", value=meta["installer"]))
        url = (meta.get("direct_url") or {}).get("url")
        if url:
            try:
                ref = ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(url))
            except Exception:  # a URL CycloneDX's URI type rejects: keep it as a property instead
                comp.properties.add(Property(name="envaudit:direct_url", value=str(url)))
            else:
                comp.external_references.add(ref)
        bom.components.add(comp)
        bom.register_dependency(root, [comp])
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    if validate:
        from cyclonedx.schema import OutputFormat, SchemaVersion
        from cyclonedx.validation import make_schemabased_validator

        error = make_schemabased_validator(OutputFormat.JSON, SchemaVersion.V1_6).validate_str(text)
        if error is not None:
            raise CycloneDXError(f"the SBOM does not validate against CycloneDX 1.6: {error}")
    return text if text.endswith("\n") else text + "\n"
