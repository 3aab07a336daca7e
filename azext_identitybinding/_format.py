"""Table output (`-o table`). Transformers get the JSON-shaped result; --query bypasses them."""
from collections import OrderedDict

from azext_identitybinding.ids import fleet_profile, part


def _row(binding):
    props = binding.get("properties") or {}
    identity = props.get("managedIdentity") or {}
    row = OrderedDict([
        ("Name", binding.get("name", "")),
        ("ResourceGroup", part(binding.get("id"), "resourceGroups")),
        ("Cluster", part(binding.get("id"), "managedClusters")),
        ("Identity", part(identity.get("resourceId"), "userAssignedIdentities")),
        ("ClientId", identity.get("clientId", "")),
        ("ProvisioningState", props.get("provisioningState", "")),
        ("OidcIssuerUrl", (props.get("oidcIssuer") or {}).get("oidcIssuerUrl", "")),
    ])
    if "subscriptionId" in binding:  # the fleet view over several subscriptions
        row["Subscription"] = binding["subscriptionId"]
    if "managedBy" in binding:  # read (--show-managed-by): say who manages it, "-" when nothing does
        row["ManagedBy"] = _manager(binding["managedBy"])
    return row


def _manager(managed_by):
    if not managed_by:
        return "-"
    profile = fleet_profile(managed_by)
    return f"fleet {profile.fleet}/{profile.profile}" if profile else str(managed_by)


def binding_table(result):
    if isinstance(result, list):
        return [_row(b) for b in result]
    return [_row(result)] if result else []


def check_table(result):
    """One row per check, status first so failures stand out; a check's fix on the row below it, in
    the same wide column, so the table stays three columns wide."""
    rows = []
    for i in result or []:
        rows.append(OrderedDict([("Status", (i.get("status") or "").upper()), ("Check", i.get("check", "")),
                                 ("Detail", i.get("detail", ""))]))
        if i.get("fix"):
            rows.append(OrderedDict([("Status", ""), ("Check", "  fix:"), ("Detail", i["fix"])]))
    return rows


def rbac_table(result):
    """generate-rbac: one row per generated object and what it grants, to review before applying
    (`kubectl apply -f -` takes -o yaml or -o json, not this)."""
    items = result.get("items") if isinstance(result, dict) else None
    return [_rbac_row(item) for item in items or [] if isinstance(item, dict)]


def _rbac_row(item):
    metadata = item.get("metadata") or {}
    kind = item.get("kind", "")
    return OrderedDict([("Kind", kind), ("Name", metadata.get("name", "")),
                        ("Namespace", metadata.get("namespace", "")), ("Grants", _grants(kind, item))])


def _grants(kind, item):
    if kind == "ClusterRole":
        return "; ".join(f"{', '.join(rule.get('verbs') or [])} on {group}/{resource}"
                         for rule in item.get("rules") or []
                         for group in rule.get("apiGroups") or [""]
                         for resource in rule.get("resources") or [])
    if kind == "ClusterRoleBinding":
        role = item.get("roleRef") or {}
        subjects = ", ".join(_subject(s) for s in item.get("subjects") or [])
        return f"{role.get('kind', 'ClusterRole')} {role.get('name', '')} to {subjects}"
    if kind == "SecretProviderClass":
        return _mounts((item.get("spec") or {}).get("parameters") or {})
    if kind == "ServiceAccount":
        annotations = (item.get("metadata") or {}).get("annotations") or {}
        return ", ".join(f"{key.rsplit('/', 1)[-1]} {value}" for key, value in sorted(annotations.items())
                         if key.startswith("azure.workload.identity/"))
    return ""


def _subject(subject):
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount {subject.get('namespace', '')}/{subject.get('name', '')}"
    return f"{subject.get('kind', '')} {subject.get('name', '')}"


def _mounts(parameters):
    """A SecretProviderClass: the vault, the identity, and each object with its version and file."""
    import yaml
    try:
        documents = (yaml.safe_load(parameters.get("objects") or "") or {}).get("array") or []
        objects = [yaml.safe_load(document) for document in documents]
        shown = ", ".join(f"{o.get('objectType', '')} {o.get('objectName', '')}"
                          + (f" version {o['objectVersion']}" if o.get("objectVersion") else "")
                          + (f" as {o['objectAlias']}" if o.get("objectAlias") else "") for o in objects)
    except (yaml.YAMLError, AttributeError, TypeError):
        shown = "objects unreadable"
    return f"mounts from Key Vault {parameters.get('keyvaultName', '')} as {parameters.get('clientID', '')}: {shown}"


def audit_table(result):
    """migrate audit: one row per identity, fullest first (the order the command returns)."""
    return [OrderedDict([("Identity", r.get("name", "")), ("ResourceGroup", r.get("resourceGroup", "")),
                         ("Used", f"{r.get('used', '')}/{r.get('limit', '')}"), ("Status", r.get("status", "")),
                         ("Replaceable", r.get("replaceable", "")), ("Clusters", r.get("clusters", "")),
                         ("BindingFic", "yes" if r.get("bindingCredential") else "no"),
                         ("Bindings", "-" if r.get("bindings") is None else r.get("bindings")),
                         ("NeverWorked", r.get("neverWorked", "")), ("Subscription", r.get("subscription", ""))])
            for r in result or [] if isinstance(r, dict)]


def plan_table(result):
    """migrate plan: one row per cluster (the binding, whether it exists, what it replaces, readiness)."""
    return [OrderedDict([("Cluster", c.get("name", "")), ("ResourceGroup", c.get("resourceGroup", "")),
                         ("Binding", (c.get("binding") or {}).get("name", "")),
                         ("Exists", "yes" if (c.get("binding") or {}).get("exists") else "no"),
                         ("Ready", "yes" if c.get("ready") else "no"),
                         ("ServiceAccounts", ", ".join(c.get("serviceAccounts") or [])),
                         ("Replaces", len(c.get("replaces") or [])), ("Problems", "; ".join(c.get("problems") or []))])
            for c in (result or {}).get("clusters") or [] if isinstance(c, dict)]


def apply_table(result):
    """migrate apply: one row per cluster and what happened there."""
    return [OrderedDict([("Cluster", part(c.get("cluster"), "managedClusters")),
                         ("ResourceGroup", part(c.get("cluster"), "resourceGroups")), ("Binding", c.get("binding", "")),
                         ("Result", c.get("result", "")), ("Detail", c.get("detail", ""))])
            for c in (result or {}).get("clusters") or [] if isinstance(c, dict)]


def retire_table(result):
    """migrate retire: one row per credential it looked at: deleted (and where its backup is), kept or refused."""
    result = result or {}
    rows = [OrderedDict([("Credential", d.get("credential", "")), ("Action", "deleted"),
                         ("Detail", f"{d.get('serviceAccount', '')} on {part(d.get('cluster'), 'managedClusters')}; "
                                    f"backup {d.get('backup', '')}")]) for d in result.get("deleted") or []]
    rows += [OrderedDict([("Credential", k.get("credential", "")), ("Action", action), ("Detail", k.get("reason", ""))])
             for action in ("refused", "kept") for k in result.get(action) or []]
    return rows
