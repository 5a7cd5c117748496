"""The router's weights as the API server stored them, state by state."""

from __future__ import annotations

from typing import Any

from pixelproof_localcluster import LocalCluster


class WeightLog:
    """Every state of the router's weights as stored, recorded by the API server itself."""

    def __init__(self, cluster: LocalCluster, plural: str = "httproutes") -> None:
        self.plural = plural
        self.states: list[tuple[int, int]] = []
        self._replicas: dict[str, int] = {}
        cluster.call(cluster.server.store.add_listener, self._on_event)

    def _on_event(self, spec: Any, event: Any) -> None:
        if spec.plural != self.plural or event.type == "DELETED":
            return
        obj = event.object
        if self.plural == "httproutes":
            refs = obj["spec"]["rules"][0]["backendRefs"]
            self.states.append((refs[0].get("weight", 1), refs[1].get("weight", 1)))
        elif self.plural == "virtualservices":
            route = obj["spec"]["http"][0]["route"]
            self.states.append((route[0].get("weight", 0), route[1].get("weight", 0)))
        else:
            self._replicas[obj["metadata"]["name"]] = int(obj["spec"].get("replicas", 1))
            pods = (self._replicas.get("poster-v1", 0), self._replicas.get("poster-v2", 0))
            if not self.states or self.states[-1] != pods:
                self.states.append(pods)

    @property
    def candidate_weights(self) -> list[int]:
        return [c for _, c in self.states]
