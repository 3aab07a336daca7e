"""Table output (`-o table`). Transformers get the JSON-shaped result; --query bypasses them."""
from collections import OrderedDict

from azext_identitybinding.ids import part


def _row(binding):
    props = binding.get("properties") or {}
    identity = props.get("managedIdentity") or {}
    return OrderedDict([
        ("Name", binding.get("name", "")),
        ("ResourceGroup", part(binding.get("id"), "resourceGroups")),
        ("Cluster", part(binding.get("id"), "managedClusters")),
        ("Identity", part(identity.get("resourceId"), "userAssignedIdentities")),
        ("ClientId", identity.get("clientId", "")),
        ("ProvisioningState", props.get("provisioningState", "")),
        ("OidcIssuerUrl", (props.get("oidcIssuer") or {}).get("oidcIssuerUrl", "")),
    ])


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
