"""What the operator's configuration allows a rollout to make it do, checked before anything
is observed or acted on: a rollout asking for more Stalls with the field at fault named."""

from __future__ import annotations

from dataclasses import dataclass, field

from pixelproof.engine.spec import ParsedSpec
from pixelproof.evaluation.policy import EvaluatorPolicy
from pixelproof.metrics.addresses import AddressAllowList


@dataclass(frozen=True)
class RolloutPolicy:
    metric_addresses: AddressAllowList = field(default_factory=AddressAllowList)
    evaluator: EvaluatorPolicy = field(default_factory=EvaluatorPolicy)

    def problems(self, parsed: ParsedSpec) -> list[str]:
        spec = parsed.model
        if spec is None:
            return []
        found = []
        provider = spec.metrics.prometheus
        if provider is not None and not self.metric_addresses.allows(provider.address):
            found.append(
                f"spec.metrics.prometheus.address: {provider.address!r} is not allowed by the "
                "operator's --allowed-metric-address; allowed: "
                + ", ".join(self.metric_addresses.entries)
            )
        return found + self.evaluator.problems(spec)

    def screen(self, parsed: ParsedSpec) -> ParsedSpec:
        """The parsed spec, or its refusal when it asks for what the policy forbids."""
        problems = self.problems(parsed)
        if not problems:
            return parsed
        return ParsedSpec(
            None, "not allowed by the operator's configuration: " + "; ".join(problems)
        )
