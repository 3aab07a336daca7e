"""Read a cluster's RBAC for one identity: who may use it, and which rules meant for it are wrong.

Pure: standard library only; works on ClusterRole and ClusterRoleBinding lists in the JSON shape
of the Kubernetes API. Matching follows Kubernetes RBAC: exact strings or "*", no case folding,
and a rule with resourceNames never matches a check that names no object.
"""
from azext_identitybinding.constants import API_GROUP, VERB

BROAD_GROUPS = {"system:authenticated": "every authenticated client",
                "system:serviceaccounts": "every service account of the cluster"}


def _rules_grant(rules, client_id):
    """'exact' if a rule grants use of client_id by name, 'wildcard' if only through '*', else None."""
    best = None
    for rule in rules or []:
        if rule.get("resourceNames") or rule.get("nonResourceURLs"):
            continue
        verbs, groups, resources = (set(rule.get(k) or []) for k in ("verbs", "apiGroups", "resources"))
        if not (verbs & {VERB, "*"} and groups & {API_GROUP, "*"} and resources & {client_id, "*"}):
            continue
        if VERB in verbs and API_GROUP in groups and client_id in resources:
            return "exact"
        best = "wildcard"
    return best


def pod_subject(subject):
    """(label, reach) for a subject a pod's service account can match, else None.
    reach: 'account' (one service account), 'namespace', or 'cluster'."""
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "ServiceAccount":
        return f"{subject.get('namespace', '?')}/{name}", "account"
    if kind == "User" and name.startswith("system:serviceaccount:"):
        return "/".join(name.split(":")[2:4]), "account"
    if kind == "Group" and name.startswith("system:serviceaccounts:"):
        return f"group {name}", "namespace"
    if kind == "Group" and name in BROAD_GROUPS:
        return f"group {name}", "cluster"
    return None


def grants(cluster_role_bindings, cluster_roles, client_id):
    """Every ClusterRoleBinding that lets a pod's service account use client_id.

    [{"binding", "role", "how": 'exact'|'wildcard', "subjects": [(label, reach)]}], sorted by binding name.
    """
    roles = {(r.get("metadata") or {}).get("name"): r for r in cluster_roles or []}
    found = []
    for crb in cluster_role_bindings or []:
        ref = crb.get("roleRef") or {}
        role = roles.get(ref.get("name")) if ref.get("kind") == "ClusterRole" else None
        how = _rules_grant((role or {}).get("rules"), client_id)
        subjects = [s for s in (pod_subject(x) for x in crb.get("subjects") or []) if s]
        if how and subjects:
            found.append({"binding": (crb.get("metadata") or {}).get("name", "?"), "role": ref.get("name"),
                          "how": how, "subjects": subjects})
    return sorted(found, key=lambda g: g["binding"])


def _norm(text):
    return str(text).strip().strip("{}").strip().lower()


def malformed(cluster_roles, client_id, object_id="", identity_id="", identity_name=""):
    """Rules that mention this identity but grant nothing: [(role name, problem)] (docs/failure-modes.md:
    wrong identifier, verb or group)."""
    markers = {_norm(m): what for m, what in ((client_id, "client id"), (object_id, "object (principal) id"),
                                              (identity_id, "resource id"), (identity_name, "name")) if m}
    problems = []
    for role in cluster_roles or []:
        name = (role.get("metadata") or {}).get("name", "?")
        for rule in role.get("rules") or []:
            resources = rule.get("resources") or []
            related = [r for r in resources if _norm(r) in markers]
            if not related:
                continue
            issues = []
            for resource in related:
                what = markers[_norm(resource)]
                if what != "client id":
                    issues.append(f"resource {resource!r} is the identity's {what}, not its client id {client_id}")
                elif resource != client_id:
                    issues.append(f"resource {resource!r} must be exactly {client_id!r} (lowercase, nothing around it)")
            groups, verbs = rule.get("apiGroups") or [], rule.get("verbs") or []
            if not set(groups) & {API_GROUP, "*"}:
                issues.append(f"apiGroups {groups} should be [{API_GROUP!r}]")
            if not set(verbs) & {VERB, "*"}:
                issues.append(f"verbs {verbs} should be [{VERB!r}]")
            if rule.get("resourceNames"):
                issues.append("resourceNames is set, so the rule never matches (the check names no object)")
            problems += [(name, issue) for issue in issues]
    return problems
