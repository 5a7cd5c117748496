"""Operator scenarios as given, when, then over the local test world:

    (given(world).namespace().rollout(steps=MANUAL)
        .when().apply()
        .then().expect_phase("Paused").expect_weights(90, 10)
        .when().promote_full()
        .then().expect_phase("Succeeded").expect_weights(0, 100))

`given` seeds the namespace and scripts the evaluator before the operator runs; `when` starts
the operator (kopf in a thread) and acts as a user would; `then` waits for expectations."""

from __future__ import annotations

import itertools
import json
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Self

from pixelproof_localcluster import LocalCluster, PodOutcome, Terminated

from .expectations import DEFAULT_TIMEOUT, Then, status_text
from .kube import DEPLOYMENTS, HTTPROUTES, JOBS, NS, ROLLOUTS, VIRTUALSERVICES, Kube
from .manifests import rollout, seed_namespace
from .operators import operator_in_thread
from .scripted_evaluator import ScriptedEvaluator, summary
from .weight_log import WeightLog

PLURALS = {"gatewayAPI": "httproutes", "istio": "virtualservices", "replicas": "deployments"}


class World:
    """A local cluster, a client of it, the scripted evaluator, and the operator once started."""

    def __init__(self, cluster: LocalCluster, kube: Kube, evaluator: ScriptedEvaluator) -> None:
        self.cluster, self.kube, self.evaluator = cluster, kube, evaluator
        self._operator = ExitStack()
        self.operator_running = False

    def start_operator(self, **config: Any) -> None:
        if not self.operator_running:
            self._operator.enter_context(operator_in_thread(self.cluster, **config))
            self.operator_running = True

    def stop_operator(self) -> None:
        self._operator.close()
        self.operator_running = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_operator()


class Scenario:
    """What the three stages share: the world, the router in use, and the rollout."""

    def __init__(self, world: World, router: str) -> None:
        self.world, self.kube, self.router = world, world.kube, router
        self.name = "poster-gen"
        self.manifest: dict[str, Any] | None = None
        self.weight_log: WeightLog | None = None
        self._commands = itertools.count(1)

    @property
    def path(self) -> str:
        return f"{ROLLOUTS}/{self.name}"

    def status(self) -> dict[str, Any]:
        return self.kube.status(self.name)

    def events(self) -> list[dict[str, Any]]:
        return self.kube.events(self.name)

    def describe(self) -> str:
        found = self.kube.get(self.path)
        if found is None:
            return f"ModelRollout {NS}/{self.name} does not exist"
        return status_text(f"ModelRollout {NS}/{self.name}", found.get("status") or {})

    def router_weights(self) -> tuple[int, int] | None:
        """(stable, candidate) as the router holds them: route weights or Deployment replicas."""
        if self.router == "replicas":
            stable = self.kube.get(f"{DEPLOYMENTS}/{self.rollout_spec['stable']['deployment']}")
            candidate = self.kube.get(
                f"{DEPLOYMENTS}/{self.rollout_spec['candidate']['deployment']}"
            )
            return stable["spec"]["replicas"], candidate["spec"]["replicas"]
        if self.router == "istio":
            route = self.kube.get(f"{VIRTUALSERVICES}/poster-gen")["spec"]["http"][0]["route"]
            return route[0]["weight"], route[1]["weight"]
        refs = self.backends()
        return (refs["poster-stable"], refs["poster-candidate"]) if refs is not None else None

    def backends(self) -> dict[str, int] | None:
        route = self.kube.get(f"{HTTPROUTES}/poster-gen")
        if route is None:
            return None
        return {r["name"]: r["weight"] for r in route["spec"]["rules"][0]["backendRefs"]}

    @property
    def rollout_spec(self) -> dict[str, Any]:
        assert self.manifest is not None, "the scenario has no rollout"
        spec: dict[str, Any] = self.manifest["spec"]
        return spec

    def command_value(self, value: str | None) -> str:
        return value if value is not None else str(next(self._commands))


class Given:
    """The world before the operator runs."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def weights_logged(self) -> Self:
        """Record every state of the router's weights from now on."""
        s = self.scenario
        s.weight_log = WeightLog(s.world.cluster, PLURALS[s.router])
        return self

    def namespace(self, *, route: bool = True) -> Self:
        """The namespace with stable and candidate Deployments, Services, a golden set, and
        (unless `route` is False) the route of the scenario's router."""
        seed_namespace(self.scenario.kube, self.scenario.router, route=route)
        return self

    def object(self, path: str, body: dict[str, Any]) -> Self:
        self.scenario.kube.create(path, body)
        return self

    def patched(self, path: str, body: dict[str, Any]) -> Self:
        self.scenario.kube.patch(path, body)
        return self

    def without(self, path: str) -> Self:
        self.scenario.kube.delete(path)
        return self

    def rollout(self, name: str = "poster-gen", **spec: Any) -> Self:
        """The ModelRollout `when().apply()` creates (the world's defaults, changed by `spec`)."""
        self.scenario.name = name
        self.scenario.manifest = rollout(name, router=self.scenario.router, **spec)
        return self

    def evaluations(self, step: int, *outcomes: PodOutcome) -> Self:
        """The evaluator pods of `step` end with these outcomes, in order; later ones pass."""
        self.scenario.world.evaluator.script(step, *outcomes)
        return self

    def evaluation_fails(self, step: int, reason: str = "") -> Self:
        return self.evaluations(step, Terminated(1, message=summary("Fail", reason)))

    def when(self, *, operator: bool = True, **operator_config: Any) -> When:
        """From here on the operator runs (kopf in a thread of the test process), unless
        `operator` is False: then the test runs its own operator processes."""
        if operator:
            self.scenario.world.start_operator(**operator_config)
        return When(self.scenario)


class When:
    """What a user does while the operator runs."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def apply(self) -> Self:
        self.scenario.kube.create(ROLLOUTS, self.scenario.manifest or {})
        return self

    def _command(self, command: str, value: str | None) -> Self:
        s = self.scenario
        s.kube.annotate(s.name, f"pixelproof.dev/{command}", s.command_value(value))
        return self

    def promote(self, value: str | None = None) -> Self:
        return self._command("promote", value)

    def promote_full(self, value: str | None = None) -> Self:
        return self._command("promote-full", value)

    def abort(self, value: str | None = None) -> Self:
        return self._command("abort", value)

    def retry(self, value: str | None = None) -> Self:
        return self._command("retry", value)

    def patch_spec(self, changes: dict[str, Any]) -> Self:
        self.scenario.kube.patch(self.scenario.path, {"spec": changes})
        return self

    def create(self, path: str, body: dict[str, Any]) -> Self:
        self.scenario.kube.create(path, body)
        return self

    def delete(self) -> Self:
        self.scenario.kube.delete(self.scenario.path)
        return self

    def stop_operator(self) -> Self:
        self.scenario.world.stop_operator()
        return self

    def then(self, timeout: float = DEFAULT_TIMEOUT) -> LocalThen:
        return LocalThen(self.scenario, timeout)


class LocalThen(Then):
    """Expectations on the rollout and on the objects it steers in the local cluster."""

    def __init__(self, scenario: Scenario, timeout: float) -> None:
        super().__init__(scenario, timeout)
        self.scenario = scenario

    def when(self) -> When:
        return When(self.scenario)

    def rollout(self) -> dict[str, Any]:
        found: dict[str, Any] = self.scenario.kube.rollout(self.scenario.name)
        return found

    def expect_weights(self, stable: int, candidate: int, timeout: float | None = None) -> Self:
        """The router holds these weights (replicas for the replicas router)."""
        return self.expect_that(
            f"router weights stable {stable}, candidate {candidate}",
            self.scenario.router_weights,
            lambda found: found == (stable, candidate),
            timeout,
        )

    def expect_backends(self, weights: dict[str, int], timeout: float | None = None) -> Self:
        """The HTTPRoute's backendRefs have exactly these weights, by Service name."""
        return self.expect_that(
            f"backend weights {weights}",
            self.scenario.backends,
            lambda found: found == weights,
            timeout,
        )

    def expect_route_matches(self, matches: list[dict[str, Any]]) -> Self:
        return self.expect_that(
            f"route matches {json.dumps(matches)}",
            lambda: self.scenario.kube.get(f"{HTTPROUTES}/poster-gen")["spec"]["rules"][0][
                "matches"
            ],
            lambda found: found == matches,
        )

    def _log(self) -> WeightLog:
        assert self.scenario.weight_log is not None, "given(...).weights_logged() was not set"
        return self.scenario.weight_log

    def expect_candidate_weights(self, weights: list[int], timeout: float | None = None) -> Self:
        """The router's candidate weight went through exactly these states."""
        return self.expect_that(
            f"candidate weights {weights} in turn",
            lambda: list(self._log().candidate_weights),
            lambda found: found == weights,
            timeout,
        )

    def expect_weight_states(
        self, states: list[tuple[int, int]], timeout: float | None = None
    ) -> Self:
        """The router went through exactly these (stable, candidate) states."""
        return self.expect_that(
            f"router states {states} in turn",
            lambda: list(self._log().states),
            lambda found: found == states,
            timeout,
        )

    def expect_last_candidate_weight(self, weight: int, timeout: float | None = None) -> Self:
        return self.expect_that(
            f"the last candidate weight {weight}",
            lambda: self._log().candidate_weights[-1:],
            lambda found: found == [weight],
            timeout,
        )

    def expect_replicas(self, deployment: str, replicas: int, timeout: float | None = None) -> Self:
        return self.expect_that(
            f"Deployment {deployment} at {replicas} replicas",
            lambda: self.scenario.kube.get(f"{DEPLOYMENTS}/{deployment}")["spec"]["replicas"],
            lambda found: found == replicas,
            timeout,
        )

    def expect_jobs(self, label: str, values: list[str], timeout: float | None = None) -> Self:
        """The evaluator Jobs, in order, carry these values of pixelproof.dev/`label`."""
        return self.expect_that(
            f"Jobs with {label} {values}",
            lambda: [
                j["metadata"]["labels"][f"pixelproof.dev/{label}"]
                for j in self.scenario.kube.list(JOBS)
            ],
            lambda found: found == values,
            timeout,
        )

    def expect_job_count(self, count: int, timeout: float | None = None) -> Self:
        return self.expect_that(
            f"{count} evaluator Jobs",
            lambda: len(self.scenario.kube.list(JOBS)),
            lambda found: found == count,
            timeout,
        )

    def expect_spec(self, spec: dict[str, Any], timeout: float | None = None) -> Self:
        return self.expect_that(
            "the spec as written",
            lambda: self.rollout()["spec"],
            lambda found: found == spec,
            timeout,
        )

    def expect_gone(self, timeout: float | None = None) -> Self:
        return self.expect_that(
            "the rollout deleted",
            lambda: self.scenario.kube.get(self.scenario.path),
            lambda found: found is None,
            timeout,
        )

    def expect_stalled(self, *fragments: str, timeout: float | None = None) -> Self:
        """The Stalled condition is True with a message naming each of `fragments`."""

        def message(status: dict[str, Any]) -> str:
            stall = next(
                (c for c in status.get("conditions") or [] if c["type"] == "Stalled"), None
            )
            return stall["message"] if stall and stall["status"] == "True" else ""

        return self.expect(
            f"Stalled naming {fragments}",
            lambda s: bool(message(s)) and all(f in message(s) for f in fragments),
            timeout,
        )


def given(world: World, router: str = "gatewayAPI") -> Given:
    """A scenario in `world` whose rollout shifts traffic with `router`."""
    return Given(Scenario(world, router))
