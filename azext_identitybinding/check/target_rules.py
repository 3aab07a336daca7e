"""`check --target-resource`: may the identity read the resource the workload reads?

Pure: judges the vault, the principal's role assignments and their role definitions (facts.py);
each fail carries the az command that grants the access. Runs after the identity checks (the
principal is the identity's object id, from the binding or the identity resource).
"""
from azext_identitybinding import commandline
from azext_identitybinding.check.facts import item, vault_uses_rbac, why_not
from azext_identitybinding.check.rules import rule
from azext_identitybinding.constants import KEYVAULT_ACCESS
from azext_identitybinding.ids import is_guid, parse, scope_relation

CHECK = "target-access"
DEFAULT_PERMISSION = "secrets"
NOT_LISTED = "roles assigned to groups the identity is a member of are not listed"


# -- the pure matcher: Azure RBAC's action patterns ------------------------------------------------

def action_matches(pattern, action):
    """Whether an Azure RBAC action pattern (`*` matches any run of characters, '/' included; the rest
    literally, case-insensitively) covers `action`. Linear in practice: no regular expression, so a
    hostile custom role with many `*` cannot make it backtrack exponentially."""
    if not isinstance(pattern, str) or not isinstance(action, str):
        return False
    p, s = pattern.lower(), action.lower()
    i = j = 0
    star, mark = -1, 0
    while j < len(s):
        if i < len(p) and p[i] == "*":
            star, mark, i = i, j, i + 1
        elif i < len(p) and p[i] == s[j]:
            i, j = i + 1, j + 1
        elif star >= 0:  # let the last `*` take one more character
            mark += 1
            i, j = star + 1, mark
        else:
            return False
    return all(ch == "*" for ch in p[i:])


def _strings(value):
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def role_grants(definition, action):
    """Whether a role definition grants data action `action`: some permission block lists it in
    dataActions (wildcards included) and that block's notDataActions do not take it away."""
    props = definition.get("properties") if isinstance(definition, dict) else None
    blocks = props.get("permissions") if isinstance(props, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        if any(action_matches(p, action) for p in _strings(block.get("dataActions"))) and \
                not any(action_matches(p, action) for p in _strings(block.get("notDataActions"))):
            return True
    return False


# -- the rule ---------------------------------------------------------------------------------------

@rule(CHECK, side="azure")
def check_target_access(facts):
    t = facts.target
    if not t.target_resource:
        return []
    return [_vault(facts) if t.target_is_vault else _other(facts)]


def _principal_unknown(facts):
    """The skip when the identity's object id is not known (or not a GUID), else None."""
    oid = facts.ident.object_id
    if is_guid(oid):
        return None
    why = f"its object id {oid!r} is not a GUID" if oid else "no binding or identity to take it from"
    return item(CHECK, "skip", f"the identity's object (principal) id is not known: {why}")


def _vault(facts):
    t, got = facts.target, facts.vault
    rid = parse(t.target_resource)
    name = f"Key Vault '{rid.name}'"
    if got.missing:
        return item(CHECK, "fail", f"{name} ({t.target_resource}) does not exist", commandline.keyvault_list(
            rid.resource_group))
    if not got.ok:
        return item(CHECK, "skip", why_not(got, name))
    unknown = _principal_unknown(facts)
    if unknown:
        return unknown
    kind = t.target_permission or DEFAULT_PERMISSION
    if vault_uses_rbac(got.value):
        return _vault_rbac(facts, name, kind)
    return _vault_policies(facts, got.value, rid, name, kind)


def _vault_policies(facts, vault, rid, name, kind):
    """Access-policy mode: an entry for the object id (in the identity's tenant, no applicationId)
    whose permissions on the kind include `get` or `all`."""
    ident = facts.ident
    _, _, needed, option = KEYVAULT_ACCESS[kind]
    props = vault.get("properties") if isinstance(vault.get("properties"), dict) else {}
    entries = [e for e in _dicts(props.get("accessPolicies")) if str(e.get("objectId") or "").lower() ==
               ident.object_id]
    other_tenant = [e for e in entries if ident.tenant_id and str(e.get("tenantId") or "").lower() != ident.tenant_id]
    compound = [e for e in entries if e.get("applicationId")]
    mine = [e for e in entries if e not in other_tenant and e not in compound]
    has = sorted({p.lower() for e in mine for p in _strings((e.get("permissions") or {}).get(kind)
                                                            if isinstance(e.get("permissions"), dict) else None)})
    mode = "uses access policies (not Azure RBAC)"
    if needed in has or "all" in has:
        return item(CHECK, "pass", f"{name} {mode}; the policy of object id {ident.object_id} allows "
                                   f"{kind}: {', '.join(has)}")
    if mine:
        detail = f"{name} {mode}; the policy of object id {ident.object_id} allows {kind}: " \
                 f"{', '.join(has) or 'nothing'}, not '{needed}'"
    else:
        detail = f"{name} {mode}, and none is for object id {ident.object_id}"
        if other_tenant:
            detail += f" in the identity's tenant {ident.tenant_id} (one names another tenant)"
        elif compound:
            detail += " alone (one is a compound entry with an applicationId, which a pod's token does not match)"
    fix = commandline.keyvault_set_policy(rid.name, rid.resource_group, ident.object_id, option,
                                          sorted(set(has) | {needed}))
    return item(CHECK, "fail", detail, fix)


def _vault_rbac(facts, name, kind):
    t, ident, got = facts.target, facts.ident, facts.role_assignments
    action, role, _, _ = KEYVAULT_ACCESS[kind]
    mode = "uses Azure RBAC"
    fix = commandline.role_assignment_create(ident.object_id, role, t.target_resource)
    if not got.ok:
        what = f"the role assignments of object id {ident.object_id}"
        return item(CHECK, "skip", f"{name} {mode}, but {why_not(got, what)}")
    found = _assignments(facts)
    unread = [a for a in found if a.definition is None]
    granting = [a for a in found if a.definition is not None and role_grants(a.definition, action)]
    above = [a for a in granting if a.relation in ("at", "above")]
    plain = [a for a in above if not a.condition]
    if plain:
        return item(CHECK, "pass", f"{name} {mode}; {_listing(plain[:3], t)} grants {action}")
    if above:
        return item(CHECK, "warn", f"{name} {mode}; {_listing(above[:3], t)} grants {action} only under a "
                                   f"condition, which is not evaluated here: {above[0].condition}", fix)
    if unread and not granting:
        return item(CHECK, "skip", f"{name} {mode}, but the role definition {unread[0].definition_id} could not "
                                   f"be read: {unread[0].error}")
    if granting:  # only below the vault: on single secrets, keys or certificates
        return item(CHECK, "warn", f"{name} {mode}; {action} is granted only on objects inside it "
                                   f"({_listing(granting[:3], t)}): a pod can read those, no other", fix)
    held = [a for a in found if a.relation in ("at", "above")]
    having = f"; it holds {_listing(held[:5], t)}, none of which grants it" if held else ""
    return item(CHECK, "fail", f"{name} {mode}, and no role assigned to object id {ident.object_id} at the vault "
                               f"or above grants {action}{having} ({NOT_LISTED})", fix)


def _other(facts):
    """Any other resource: which data action the workload needs is not known, so an assignment that
    applies there passes and none is a warning."""
    t, ident, got = facts.target, facts.ident, facts.role_assignments
    rid = parse(t.target_resource)
    if got.missing:
        return item(CHECK, "fail", f"resource '{t.target_resource}' does not exist",
                    commandline.resource_list(rid.resource_group) if rid.resource_group else
                    commandline.az("group", "list", o="table"))
    unknown = _principal_unknown(facts)
    if unknown:
        return unknown
    if not got.ok:
        return item(CHECK, "skip", why_not(got, f"the role assignments of object id {ident.object_id}"))
    held = [a for a in _assignments(facts) if a.relation in ("at", "above")]
    if held:
        return item(CHECK, "pass", f"object id {ident.object_id} holds {_listing(held[:5], t)}; whether that "
                                   "covers what the workload does there is not checked")
    return item(CHECK, "warn", f"no role is assigned to object id {ident.object_id} at '{rid.name}' or above "
                               f"({NOT_LISTED}); which role the workload needs there is not known",
                commandline.role_assignment_create(ident.object_id, commandline.ROLE_NAME, t.target_resource))


# -- role assignments, as the rules read them ---------------------------------------------------------

class _Assignment:  # pylint: disable=too-few-public-methods
    """One role assignment of the principal: where it stands to the target, and its role definition."""

    def __init__(self, raw, target, definitions):
        props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
        self.scope = props.get("scope") if isinstance(props.get("scope"), str) else ""
        self.relation = scope_relation(self.scope, target)
        self.definition_id = props.get("roleDefinitionId") if isinstance(props.get("roleDefinitionId"), str) else ""
        self.condition = props.get("condition") if isinstance(props.get("condition"), str) else ""
        got = definitions.get(self.definition_id.lower())
        self.definition = got.value if got is not None and got.ok and isinstance(got.value, dict) else None
        self.error = (got.error if got is not None else None) or "not read"
        definition_props = (self.definition or {}).get("properties")
        role = definition_props.get("roleName") if isinstance(definition_props, dict) else None
        self.role = role if isinstance(role, str) and role else self.definition_id.rsplit("/", 1)[-1] or "?"


def _assignments(facts):
    raw = facts.role_assignments.value
    return [a for a in (_Assignment(r, facts.target.target_resource, facts.role_definitions) for r in _dicts(raw))
            if a.relation is not None]


def _dicts(value):
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _listing(assignments, t):
    return ", ".join(f"'{a.role}' at {_where(a, t)}" for a in assignments)


def _where(a, t):
    """How a message names an assignment's scope."""
    if a.relation == "at":
        return "the vault" if t.target_is_vault else "the resource"
    parts = [p for p in a.scope.split("/") if p]
    lowered = [p.lower() for p in parts]
    if not parts:
        return "the root scope '/'"
    if lowered[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) == 4:
        return f"management group '{parts[3]}'"
    if len(parts) == 2 and lowered[0] == "subscriptions":
        return f"subscription '{parts[1]}'"
    if len(parts) == 4 and lowered[2] == "resourcegroups":
        return f"resource group '{parts[3]}'"
    return f"'{a.scope}'"
