"""`envaudit fleet`: one snapshot from every node of a Ray cluster, then a diff.

One zero-CPU task is pinned to each alive node with
NodeAffinitySchedulingStrategy(soft=False), so every node answers for itself
(a soft strategy could run two on one node and hide the odd one out). Each task
records the environment its worker runs in (the interpreter and packages Ray
jobs use there). envaudit must be importable on every node. Ray is an optional
extra (`envaudit[ray]`), imported only here.
"""

from __future__ import annotations

from typing import Any


class FleetError(RuntimeError):
    pass


def _snapshot_on_node(path: str, python: str | None) -> dict[str, Any]:
    from envaudit.snapshot import snapshot

    return snapshot(path, python)


def node_label(node: dict[str, Any], taken: set[str]) -> str:
    """The node's host name (or address); its id appended when two share one
    (several raylets on one machine, as in a local test cluster)."""
    base = node.get("NodeManagerHostname") or node.get("NodeManagerAddress") or "node"
    label = base
    if label in taken:
        label = f"{base}:{str(node.get('NodeID', ''))[:8]}"
    taken.add(label)
    return label


def connect(address: str | None) -> bool:
    """Join the cluster (address, else RAY_ADDRESS/'auto'); True when this call started
    the connection (the caller then shuts it down)."""
    try:
        import ray
    except ImportError:
        raise FleetError("this needs Ray: pip install 'envaudit[ray]'") from None
    if ray.is_initialized():
        return False
    try:
        ray.init(address=address or "auto", log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FleetError(f"cannot connect to a Ray cluster ({address or 'auto'}): {exc}") from None
    return True


def alive_nodes() -> list[dict[str, Any]]:
    """The alive nodes, in a stable order (host name, address, id)."""
    import ray

    nodes = sorted(
        (n for n in ray.nodes() if n.get("Alive")),
        key=lambda n: (n.get("NodeManagerHostname") or "", n.get("NodeManagerAddress") or "", n["NodeID"]),
    )
    if not nodes:
        raise FleetError("the Ray cluster has no alive node")
    return nodes


def gather(
    path: str, *, address: str | None = None, python: str | None = None, timeout: float = 300.0
) -> list[tuple[str, dict[str, Any]]]:
    """[(node label, snapshot record)] for every alive node, in a stable order."""
    try:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    except ImportError:
        raise FleetError("envaudit fleet needs Ray: pip install 'envaudit[ray]'") from None
    started = connect(address)
    try:
        nodes = alive_nodes()
        task = ray.remote(num_cpus=0, max_retries=0)(_snapshot_on_node)
        refs = [
            task.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False)
            ).remote(path, python)
            for n in nodes
        ]
        try:
            records = ray.get(refs, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise FleetError(f"not every node answered within {timeout:.0f} s") from None
        except ray.exceptions.RayError as exc:
            raise FleetError(f"a node failed to record its snapshot: {exc}") from None
        taken: set[str] = set()
        return [(node_label(n, taken), r) for n, r in zip(nodes, records, strict=True)]
    finally:
        if started:
            ray.shutdown()
