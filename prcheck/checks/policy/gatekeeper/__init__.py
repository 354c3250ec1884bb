"""Gatekeeper ConstraintTemplates and constraints, evaluated offline through regorus.

`GatekeeperEngine` is the PolicyEngine for `prcheck check`; `verify` runs gator
`Suite` files for `prcheck gatekeeper verify`.
"""

from prcheck.checks.policy.gatekeeper.engine import GatekeeperEngine

__all__ = ["GatekeeperEngine"]
