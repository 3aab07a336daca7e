"""The branches of `check`'s rules, and which ones a run of the rules reached.

A branch is one call of `item(...)` in a rule module (check/*_rules.py), named FUNCTION:N (its N-th
`item(` call in source order, from 1) and the status it returned. The status is read from the source
where it is a literal (or a `"a" if ... else "b"` of literals); where it is computed (rbac-exposure's
worst finding, pods' and pod-file's merged findings) DYNAMIC_STATUSES declares which ones it can take.
tests/test_check_branches.py derives the list from here and fails when a branch has no scenario.
"""
import ast
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

PACKAGE = Path(__file__).resolve().parents[1] / "azext_identitybinding" / "check"
RULE_MODULES = ("azure_rules", "cluster_rules", "target_rules")

# item() calls whose status is computed: the statuses each can return.
DYNAMIC_STATUSES = {
    ("azure_rules", "check_fic", 6): ("pass", "warn"),  # warn when nearly all credential slots are used
    ("cluster_rules", "check_rbac_exposure", 4): ("pass", "warn", "fail"),  # the worst of the grants found
    ("cluster_rules", "_merge", 2): ("warn", "fail"),
}


def _statuses(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        return _statuses(node.body) + _statuses(node.orelse)
    return ()


def _item_calls():
    """(module, function, n, the ast.Call) of every item() call in the rule modules, n from 1 in source order."""
    for module in RULE_MODULES:
        tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
        for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            calls = sorted((n for n in ast.walk(func) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                            and n.func.id == "item"), key=lambda n: (n.lineno, n.col_offset))
            for n, call in enumerate(calls, 1):
                yield module, func.name, n, call


def declared():
    """{(module, function, n, status)} of every branch in the rule modules, from their source."""
    found = set()
    for module, function, n, call in _item_calls():
        statuses = _statuses(call.args[1]) if len(call.args) > 1 else ()
        if not statuses:
            statuses = DYNAMIC_STATUSES.get((module, function, n), ("?",))  # "?": declare it above
        found |= {(module, function, n, status) for status in statuses}
    return found


def _call_sites():
    """{(module, first line of the call): (function, n)} for every item() call of the rule modules."""
    return {(module, call.lineno): (function, n) for module, function, n, call in _item_calls()}


@contextmanager
def recording(hits, items=None):
    """Add (module, function, n, status) to the set `hits` for every item() a rule returns meanwhile,
    and (check, status) to the set `items`."""
    import importlib
    sites = _call_sites()
    patches = []
    for module in RULE_MODULES:
        mod = importlib.import_module(f"azext_identitybinding.check.{module}")
        real = mod.item

        def spy(check, status, *args, _module=module, _real=real, **kwargs):
            frame = sys._getframe(1)  # pylint: disable=protected-access
            # a call spanning lines reports the line being executed; walk back to the call's first line
            lines = sorted(line for (m, line) in sites if m == _module and line <= frame.f_lineno)
            site = sites.get((_module, lines[-1])) if lines else None
            if site:
                hits.add((_module, site[0], site[1], status))
            if items is not None:
                items.add((check, status))
            return _real(check, status, *args, **kwargs)
        patches.append(mock.patch.object(mod, "item", spy))
    with ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield hits
