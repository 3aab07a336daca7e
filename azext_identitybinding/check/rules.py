"""The one registry of `check`'s rules: every check's name, side and place in the order.

A rule takes the Facts and returns a list of check items (most return one; pods and manifests one
per workload). Pure.
"""
from collections import namedtuple

# Run in this order; within a side, in the order the rules are defined.
SIDES = (
    "azure",    # ARM facts only
    "access",   # whether the cluster can be reached at all
    "cluster",  # needs the cluster: without access, one skip item named after the rule
    "files",    # the --pod-file manifests: always run
)

Rule = namedtuple("Rule", "name side run")
_RULES = []


def rule(name, side):
    """Register the decorated function as the rule for check `name`."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}")

    def register(run):
        if any(r.name == name for r in _RULES):
            raise ValueError(f"two rules are named {name!r}")
        _RULES.append(Rule(name, side, run))
        return run
    return register


def ordered():
    return sorted(_RULES, key=lambda r: SIDES.index(r.side))


def names(side):
    return tuple(r.name for r in ordered() if r.side == side)
