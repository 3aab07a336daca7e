"""Table output (`-o table`). Transformers get the JSON-shaped result; --query bypasses them."""
from collections import OrderedDict


def _id_part(resource_id, key):
    parts = (resource_id or "").split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == key:
            return parts[i + 1]
    return ""


def _row(binding):
    props = binding.get("properties") or {}
    identity = props.get("managedIdentity") or {}
    return OrderedDict([
        ("Name", binding.get("name", "")),
        ("ResourceGroup", _id_part(binding.get("id"), "resourcegroups")),
        ("Cluster", _id_part(binding.get("id"), "managedclusters")),
        ("Identity", _id_part(identity.get("resourceId"), "userassignedidentities")),
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
