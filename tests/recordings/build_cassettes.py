"""Writes the playback cassettes in this folder.

There is no Azure subscription on the build machines, so the cassettes are built by hand from
the official REST examples (Microsoft.ContainerService IdentityBindings_*.json at the api-versions
the extension speaks: BINDINGS_API_VERSION and BINDINGS_PREVIEW_API_VERSION, Microsoft.ManagedIdentity at
IDENTITY_API_VERSION, all from azext_identitybinding.constants) and from what the live service was seen to do (see the project's
reference notes): PUT -> 201 with only Azure-AsyncOperation, polled InProgress -> Succeeded, then
GET; DELETE -> 202 with only Location, polled 202 -> 204; list pages joined by nextLink; errors
in the ARM {"error": {"code", "message"}} shape. Recording against a real subscription
(IB_RECORD=1, see docs/testing.md) overwrites them with real, scrubbed traffic.

Versions and names fixed by Azure (api-versions, the FIC name, annotation keys, ...) come from
azext_identitybinding.constants, so the cassettes cannot drift from what the extension sends.
tests/test_cassettes.py fails when the committed cassettes differ from what this script writes.

Run: python tests/recordings/build_cassettes.py
"""
import json
import sys
from urllib.parse import quote, urlencode
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: playback
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the checkout: azext_identitybinding
from playback import ARM, CLUSTER, IDENTITY_ID, RG, SUB, TENANT  # noqa: E402
from azext_identitybinding.constants import (  # noqa: E402
    API_GROUP, AUTHORIZATION_API_VERSION, BINDINGS_API_VERSION, BINDINGS_PREVIEW_API_VERSION, CLIENT_ID_ANNOTATION,
    CLUSTERS_API_VERSION, FIC_LIMIT, FIC_NAME, IDENTITY_API_VERSION, IDENTITY_TYPE, KEYVAULT_API_VERSION, MANAGED_BY,
    MANAGED_BY_LABEL, NAMESPACE_NAME_LABEL, OLD_TOKEN_ENDPOINT_ENV, ROOT_CA, TENANT_ID_ANNOTATION, TOKEN_PROXY_ENV,
    USE_BINDING_ANNOTATION, USE_LABEL, VAULT_TYPE, VERB, WEBHOOK_CONFIG as WEBHOOK_CONFIG_NAME, WEBHOOK_NAMESPACE,
    WEBHOOK_SELECTOR)

HERE = Path(__file__).resolve().parent
API = f"api-version={BINDINGS_API_VERSION}"
CLUSTERS_API = f"api-version={CLUSTERS_API_VERSION}"
MSI_API = f"api-version={IDENTITY_API_VERSION}"
NAME = "identitybinding1"
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
OBJECT_ID = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"
OTHER_IDENTITY_ID = IDENTITY_ID.replace("identity1", "identity2")
OTHER_CASING_IDENTITY_ID = IDENTITY_ID.replace("/resourceGroups/identity-rg/", "/resourcegroups/Identity-RG/")
BINDINGS = (f"{ARM}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
            f"managedClusters/{CLUSTER}/identityBindings")
OPERATION = (f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/locations/eastus2/operations/"
             "0d4f7a3e-5c2b-4e1a-9f8d-6b3c2a1e0f9d?api-version=2016-03-30&t=REDACTED&c=REDACTED&s=REDACTED&h=REDACTED")
RESULT = (f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/locations/eastus2/operationresults/"
          "5e8a1c3f-7b2d-4f6e-8a9c-1d0e2f3a4b5c?api-version=2016-03-30&t=REDACTED&c=REDACTED&s=REDACTED&h=REDACTED")
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
               403: "Forbidden", 404: "Not Found", 409: "Conflict", 412: "Precondition Failed",
               429: "Too Many Requests", 500: "Internal Server Error",
               503: "Service Unavailable"}


def binding(name=NAME, state="Succeeded", identity_id=IDENTITY_ID, client_id=CLIENT_ID, etag="1",
            rg=RG, cluster=CLUSTER, subjects=None, managed_by=None):
    resource = {
        "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
              f"managedClusters/{cluster}/identityBindings/{name}",
        "name": name,
        "type": "Microsoft.ContainerService/managedClusters/identityBindings",
        "eTag": f"a1b2c3d4-0000-4000-8000-00000000000{etag}",
        "properties": {
            "managedIdentity": {"resourceId": identity_id, "clientId": client_id,
                                "objectId": OBJECT_ID, "tenantId": TENANT},
            "oidcIssuer": {"oidcIssuerUrl": f"https://ib.oic.prod-aks.azure.com/{TENANT}/{client_id}"},
            "provisioningState": state,
        },
    }
    if subjects is not None:
        resource["properties"]["allowedSubjects"] = subjects
    if managed_by is not None:  # top level, preview api-versions only (arm-api.md §3)
        resource["managedBy"] = managed_by
    return resource


def error(code, message, **extra):
    return {"error": {"code": code, "message": message, **extra}}


def not_found(what):
    return error("ResourceNotFound", f"The Resource '{what}' under resource group '{RG}' was not found. "
                                     "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def op_status(status, error_body=None):
    body = {"name": "0d4f7a3e-5c2b-4e1a-9f8d-6b3c2a1e0f9d", "status": status,
            "startTime": "2026-11-20T10:00:00.0000000Z"}
    if status != "InProgress":
        body["endTime"] = "2026-11-20T10:00:55.0000000Z"
    if error_body:
        body["error"] = error_body
    return body


def hit(method, uri, status, body=None, headers=None, sent=None):
    response_headers = {"content-type": ["application/json; charset=utf-8"]} if body is not None else {}
    for key, value in (headers or {}).items():
        response_headers[key] = [value]
    return {
        "request": {"method": method, "uri": uri, "headers": {},
                    "body": json.dumps(sent) if sent is not None else None},
        "response": {"status": {"code": status, "message": STATUS_TEXT[status]}, "headers": response_headers,
                     "body": {"string": json.dumps(body) if body is not None else ""}},
    }


ITEM = f"{BINDINGS}/{NAME}?{API}"
BINDING_404 = not_found(f"Microsoft.ContainerService/managedClusters/{CLUSTER}/identityBindings/{NAME}")
CLUSTER_404 = not_found(f"Microsoft.ContainerService/managedClusters/{CLUSTER}")
PUT_BODY = {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}}}
CREATED = hit("PUT", ITEM, 201, binding(state="Creating"), {"Azure-AsyncOperation": OPERATION}, sent=PUT_BODY)

IDENTITY_URL = f"{ARM}{IDENTITY_ID}?{MSI_API}"
IDENTITY = {
    "id": IDENTITY_ID, "name": "identity1", "type": IDENTITY_TYPE,
    "location": "eastus2", "tags": {},
    "properties": {"tenantId": TENANT, "principalId": OBJECT_ID, "clientId": CLIENT_ID},
}

IDENTITY_404 = error(
    "ResourceNotFound", f"The Resource '{IDENTITY_TYPE}/identity1' under "
    "resource group 'identity-rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")

# -- fleet: four clusters in three groups, two pages; identity1 is bound on c1 and c3 ------------
FLEET = [("rg1", "c1"), ("rg2", "c2"), ("rg2", "c3"), ("rg3", "c4")]
CLUSTERS = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/managedClusters?{CLUSTERS_API}"
CLUSTERS_PAGE2 = f"{CLUSTERS}&$skipToken=cGFnZTI%3D"


def cluster(rg, name):
    return {"id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}",
            "name": name, "type": "Microsoft.ContainerService/ManagedClusters", "location": "eastus2",
            "properties": {"provisioningState": "Succeeded", "kubernetesVersion": "1.34.1",
                           "oidcIssuerProfile": {"enabled": True},
                           "securityProfile": {"workloadIdentity": {"enabled": True}}}}


def cluster_bindings_url(rg, name):
    return (f"{ARM}/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerService/"
            f"managedClusters/{name}/identityBindings?{API}")


FLEET_BINDINGS = {
    "c1": [binding(name="ib1", rg="rg1", cluster="c1"),
           binding(name="other", rg="rg1", cluster="c1", identity_id=OTHER_IDENTITY_ID)],
    "c2": [],
    # same identity as another admin typed it: the service echoes the creator's casing, never folds it
    "c3": [binding(name="ib3", rg="rg2", cluster="c3", identity_id=OTHER_CASING_IDENTITY_ID)],
    "c4": [],
}
FORBIDDEN_C2 = error("AuthorizationFailed", "The client 'admin@example.com' with object id "
                     "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                     "'Microsoft.ContainerService/managedClusters/identityBindings/read' over scope "
                     f"'/subscriptions/{SUB}/resourceGroups/rg2/providers/Microsoft.ContainerService/"
                     "managedClusters/c2' or the scope is invalid.")


def fleet(overrides=None, bindings=FLEET_BINDINGS, preview=False):
    """The cluster list (two pages) and one bindings list per cluster; overrides replace a cluster's hits.
    With preview, the bindings are read with the preview api-version (list --show-managed-by)."""
    overrides = overrides or {}
    hits = [hit("GET", CLUSTERS, 200, {"value": [cluster(*c) for c in FLEET[:2]], "nextLink": CLUSTERS_PAGE2}),
            hit("GET", CLUSTERS_PAGE2, 200, {"value": [cluster(*c) for c in FLEET[2:]]})]
    for rg, name in FLEET:
        url = cluster_bindings_url(rg, name)
        url = url.replace(f"?{API}", f"?api-version={BINDINGS_PREVIEW_API_VERSION}") if preview else url
        hits += overrides.get(name) or [hit("GET", url, 200, {"value": bindings[name]})]
    return hits


FIC_URL = f"{ARM}{IDENTITY_ID}/federatedIdentityCredentials/{FIC_NAME}?{MSI_API}"
FIC = {"id": f"{IDENTITY_ID}/federatedIdentityCredentials/{FIC_NAME}", "name": FIC_NAME,
       "type": f"{IDENTITY_TYPE}/federatedIdentityCredentials",
       "properties": {"issuer": f"https://ib.oic.prod-aks.azure.com/{TENANT}/{CLIENT_ID}",
                      "subject": FIC_NAME, "audiences": ["api://AKSIdentityBinding"]}}
UNUSED = {**FLEET_BINDINGS, "c1": FLEET_BINDINGS["c1"][1:], "c3": []}  # identity1 bound nowhere

PREVIEW = f"api-version={BINDINGS_PREVIEW_API_VERSION}"
PREVIEW_ITEM = f"{BINDINGS}/{NAME}?{PREVIEW}"
OLD_SUBJECTS = [{"namespaceSelector": {"matchLabels": [f"{NAMESPACE_NAME_LABEL}=team-a"]}}]
NEW_SUBJECTS = [{"namespaceSelector": {"matchLabels": [f"{NAMESPACE_NAME_LABEL}=team-b"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}},
                {"namespaceSelector": {"matchLabels": [f"{NAMESPACE_NAME_LABEL}=team-c"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}}]
UPDATE_BODY = {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}, "allowedSubjects": NEW_SUBJECTS}}

# -- bindings that AKS Fleet Manager manages (top-level managedBy: an identity binding profile) ------
FLEET_PROFILE_ID = (f"/subscriptions/{SUB}/resourceGroups/fleet-rg/providers/Microsoft.ContainerService/fleets/"
                    "fleet1/identityBindingProfiles/profile1")
MANAGED = binding(subjects=OLD_SUBJECTS, managed_by=FLEET_PROFILE_ID)
MANAGED_UPDATE_BODY = {**UPDATE_BODY, "managedBy": FLEET_PROFILE_ID}
FLEET_MANAGED = {
    "show_managed_by": [hit("GET", PREVIEW_ITEM, 200, MANAGED)],
    "list_managed_by": [
        hit("GET", f"{BINDINGS}?{PREVIEW}", 200, {"value": [
            MANAGED, binding(name="identitybinding2", client_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")]}),
    ],
    "delete_fleet_managed": [hit("GET", PREVIEW_ITEM, 200, MANAGED)],
    "delete_override_fleet": [
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
        hit("GET", RESULT, 204),
    ],
    "update_fleet_managed": [hit("GET", PREVIEW_ITEM, 200, MANAGED)],
    "update_override_fleet": [
        hit("GET", PREVIEW_ITEM, 200, MANAGED),
        hit("PUT", PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, managed_by=FLEET_PROFILE_ID, etag="2"),
            sent=MANAGED_UPDATE_BODY),
    ],
}

# -- a region or cloud that does not offer our api-versions (arm-api.md §1, §5): ARM answers 400 and names
# the versions it offers; the client falls back to the newest that serves the request (arm/versions.py) --
GA_VERSIONS = ["2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01"]


def not_offered(refused, offered, code="NoRegisteredProviderFound"):
    """ARM's answer for an api-version the region does not offer (the live wording of each code)."""
    listed = ", ".join(offered)
    if code == "InvalidApiVersionParameter":
        return error(code, f"The api-version '{refused}' is invalid. The supported versions are '{listed}'.")
    return error(code, f"No registered resource provider found for location 'chinanorth3' and API version "
                       f"'{refused}' for type 'managedClusters/identityBindings'. The supported api-versions are "
                       f"'{listed}'. The supported locations are 'chinanorth3, chinaeast3'.")


OLDEST_ITEM = f"{BINDINGS}/{NAME}?api-version=2026-04-01"
OLDER_PREVIEW_ITEM = f"{BINDINGS}/{NAME}?api-version=2026-06-02-preview"
API_VERSION_FALLBACK = {
    "delete_no_preview": [
        hit("GET", PREVIEW_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, GA_VERSIONS)),
        hit("GET", ITEM, 200, binding()),
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
        hit("GET", RESULT, 204),
    ],
    # only the first GA version: once ARM has named what it offers, no request goes out with a version
    # it does not offer (the GA read goes straight to 2026-04-01)
    "delete_lagging_cloud": [
        hit("GET", PREVIEW_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, ["2026-04-01"])),
        hit("GET", OLDEST_ITEM, 200, binding()),
        hit("DELETE", OLDEST_ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
        hit("GET", RESULT, 204),
    ],
    "create_lagging_cloud": [
        hit("GET", ITEM, 400, not_offered(BINDINGS_API_VERSION, ["2026-04-01", "2025-10-02-preview"],
                                          code="InvalidApiVersionParameter")),
        hit("GET", OLDEST_ITEM, 404, BINDING_404),
        hit("PUT", OLDEST_ITEM, 201, binding(state="Creating"), {"Azure-AsyncOperation": OPERATION}, sent=PUT_BODY),
        hit("GET", OPERATION, 200, op_status("Succeeded")),
        hit("GET", OLDEST_ITEM, 200, binding(etag="2")),
    ],
    "list_lagging_cloud": [
        hit("GET", f"{BINDINGS}?{API}", 400, not_offered(BINDINGS_API_VERSION, ["2026-04-01"])),
        hit("GET", f"{BINDINGS}?api-version=2026-04-01", 200, {
            "value": [binding()], "nextLink": f"{BINDINGS}?api-version=2026-04-01&$skipToken=Mg%3D%3D"}),
        hit("GET", f"{BINDINGS}?api-version=2026-04-01&$skipToken=Mg%3D%3D", 200, {
            "value": [binding(name="identitybinding2", client_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")]}),
    ],
    "show_managed_by_no_preview": [
        hit("GET", PREVIEW_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, GA_VERSIONS)),
    ],
    "update_no_preview": [
        hit("GET", PREVIEW_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, GA_VERSIONS)),
    ],
    "create_subjects_older_preview": [  # allowedSubjects came in 2026-05-02-preview: an older preview serves
        hit("GET", f"{BINDINGS}/{NAME}?{PREVIEW}", 400, not_offered(
            BINDINGS_PREVIEW_API_VERSION, [*GA_VERSIONS, "2026-04-02-preview", "2026-06-02-preview"])),
        hit("GET", OLDER_PREVIEW_ITEM, 404, BINDING_404),
        hit("PUT", OLDER_PREVIEW_ITEM, 201, binding(state="Creating", subjects=OLD_SUBJECTS),
            {"Azure-AsyncOperation": OPERATION}, sent={"properties": {"managedIdentity": {"resourceId": IDENTITY_ID},
                                                                      "allowedSubjects": OLD_SUBJECTS}}),
        hit("GET", OPERATION, 200, op_status("Succeeded")),
        hit("GET", OLDER_PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="2")),
    ],
    "update_subjects_only_preview": [  # managedBy cannot be read here; allowedSubjects can
        hit("GET", PREVIEW_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, [*GA_VERSIONS, "2026-06-02-preview"])),
        hit("GET", OLDER_PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="1")),
        hit("PUT", OLDER_PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, etag="2"), sent=UPDATE_BODY),
    ],
    "show_bad_request_no_versions": [  # a 400 that names no versions is the service's answer, not retried
        hit("GET", ITEM, 400, error("InvalidParameter", "The request is invalid.")),
    ],
}

CASSETTES = {
    # Nothing may be sent: any request fails playback.
    "no_requests": [],
    "create_lro": [
        hit("GET", ITEM, 404, BINDING_404),
        CREATED,
        hit("GET", OPERATION, 200, op_status("InProgress")),
        hit("GET", OPERATION, 200, op_status("InProgress")),
        hit("GET", OPERATION, 200, op_status("Succeeded")),
        hit("GET", ITEM, 200, binding(etag="2")),
    ],
    "create_no_wait": [
        hit("GET", ITEM, 404, BINDING_404),
        CREATED,
    ],
    "create_exists_same_identity": [
        # The service keeps the caller's casing; a re-run with other casing is still the same identity.
        hit("GET", ITEM, 200, binding(identity_id=IDENTITY_ID.replace("resourceGroups", "resourcegroups"))),
    ],
    "create_exists_other_identity": [
        hit("GET", ITEM, 200, binding(identity_id=OTHER_IDENTITY_ID)),
    ],
    "create_forbidden": [
        hit("GET", ITEM, 404, BINDING_404),
        hit("PUT", ITEM, 403, error(
            "AuthorizationFailed",
            "The client 'admin@example.com' with object id '9a8b7c6d-0000-4000-8000-000000000000' does not have "
            "authorization to perform action 'Microsoft.ContainerService/managedClusters/identityBindings/write' "
            f"over scope '/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
            f"managedClusters/{CLUSTER}/identityBindings/{NAME}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials."), sent=PUT_BODY),
    ],
    "create_bad_name": [
        hit("GET", f"{BINDINGS}/my-binding?{API}", 404,
            not_found(f"Microsoft.ContainerService/managedClusters/{CLUSTER}/identityBindings/my-binding")),
        hit("PUT", f"{BINDINGS}/my-binding?{API}", 400, error(
            "InvalidParameter",
            "The value of parameter identityBindingName is invalid: 'my-binding' does not match "
            "'^[a-z][a-z0-9]{0,63}$'.", target="identityBindingName"), sent=PUT_BODY),
    ],
    "create_lro_failed": [
        hit("GET", ITEM, 404, BINDING_404),
        CREATED,
        hit("GET", OPERATION, 200, op_status("InProgress")),
        hit("GET", OPERATION, 200, op_status("Failed", {
            "code": "TooManyFederatedIdentityCredentials",
            "message": f"Cannot create federated identity credential '{FIC_NAME}': the identity "
                       f"already has the maximum of {FIC_LIMIT} federated identity credentials."})),
    ],
    "create_cluster_not_found": [
        hit("GET", ITEM, 404, CLUSTER_404),
    ],
    "show": [
        hit("GET", ITEM, 200, binding()),
    ],
    "show_binding_not_found": [
        hit("GET", ITEM, 404, BINDING_404),
    ],
    "show_cluster_not_found": [
        hit("GET", ITEM, 404, CLUSTER_404),
    ],
    "show_group_not_found": [
        hit("GET", ITEM, 404, error("ResourceGroupNotFound", f"Resource group '{RG}' could not be found.")),
    ],
    "show_retry_after_503": [
        hit("GET", ITEM, 503, error("ServiceUnavailable", "The service is temporarily unavailable."),
            {"Retry-After": "7"}),
        hit("GET", ITEM, 200, binding()),
    ],
    "show_server_error": [  # the first try and 3 retries
        hit("GET", ITEM, 500, error("InternalServerError", "An unexpected error occurred.")) for _ in range(4)
    ],
    "list_paged": [
        hit("GET", f"{BINDINGS}?{API}", 200, {
            "value": [binding(), binding(name="identitybinding2", client_id="a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")],
            "nextLink": f"{BINDINGS}?{API}&$skipToken=Mg%3D%3D"}),
        hit("GET", f"{BINDINGS}?{API}&$skipToken=Mg%3D%3D", 200, {
            "value": [binding(name="identitybinding3", identity_id=OTHER_IDENTITY_ID,
                              client_id="b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e")]}),
    ],
    "list_empty": [
        hit("GET", f"{BINDINGS}?{API}", 200, {"value": []}),
    ],
    "list_cluster_not_found": [
        hit("GET", f"{BINDINGS}?{API}", 404, CLUSTER_404),
    ],
    # delete reads the binding first with the preview api-version, which returns managedBy
    "delete_lro": [
        hit("GET", PREVIEW_ITEM, 200, binding()),
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
        hit("GET", RESULT, 202),
        hit("GET", RESULT, 204),
    ],
    "delete_no_wait": [
        hit("GET", PREVIEW_ITEM, 200, binding()),
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
    ],
    "delete_missing": [
        hit("GET", PREVIEW_ITEM, 404, BINDING_404),
    ],
    "delete_missing_override_fleet": [
        hit("DELETE", ITEM, 204),
    ],
    "delete_conflict": [
        hit("GET", PREVIEW_ITEM, 200, binding()),
        hit("DELETE", ITEM, 409, error(
            "OperationNotAllowed",
            "Operation is not allowed because there's an in progress update managed cluster operation "
            "on the managed cluster started at 2026-11-20T09:58:00Z.")),
    ],
    "delete_cluster_not_found": [
        hit("GET", PREVIEW_ITEM, 404, CLUSTER_404),
    ],
    "rbac_from_binding": [
        hit("GET", ITEM, 200, binding()),
    ],
    "rbac_from_identity": [
        hit("GET", IDENTITY_URL, 200, IDENTITY),
    ],
    "fleet_list": fleet(),
    "fleet_list_forbidden_cluster": fleet({"c2": [hit("GET", cluster_bindings_url("rg2", "c2"), 403, FORBIDDEN_C2)]}),
    "fleet_list_throttled": fleet({"c4": [
        hit("GET", cluster_bindings_url("rg3", "c4"), 429, error(
            "TooManyRequests", "The request is being throttled as the limit has been reached for operation type "
            "- Read_ObservationWindow_00:05:00."), {"Retry-After": "2"}),
        hit("GET", cluster_bindings_url("rg3", "c4"), 200, {"value": []})]}),
    "fleet_list_group": [
        hit("GET", f"{ARM}/subscriptions/{SUB}/resourceGroups/rg2/providers/Microsoft.ContainerService/"
                   f"managedClusters?{CLUSTERS_API}", 200, {"value": [cluster("rg2", "c2"), cluster("rg2", "c3")]}),
        hit("GET", cluster_bindings_url("rg2", "c2"), 200, {"value": []}),
        hit("GET", cluster_bindings_url("rg2", "c3"), 200, {"value": FLEET_BINDINGS["c3"]}),
    ],
    "cleanup_fic_deletes": [
        hit("GET", FIC_URL, 200, FIC),
        *fleet(bindings=UNUSED),
        hit("GET", FIC_URL, 200, FIC),
        hit("DELETE", FIC_URL, 200),
    ],
    "cleanup_fic_in_use": [
        hit("GET", FIC_URL, 200, FIC),
        *fleet(),
    ],
    "cleanup_fic_incomplete": [
        hit("GET", FIC_URL, 200, FIC),
        *fleet({"c2": [hit("GET", cluster_bindings_url("rg2", "c2"), 403, FORBIDDEN_C2)]}, bindings=UNUSED),
    ],
    "cleanup_fic_changed": [
        hit("GET", FIC_URL, 200, FIC),
        *fleet(bindings=UNUSED),
        hit("GET", FIC_URL, 200, {**FIC, "properties": {**FIC["properties"], "subject": "changed"}}),
    ],
    "cleanup_fic_none": [
        hit("GET", FIC_URL, 404, error("NotFound", f"Federated identity credential '{FIC_NAME}' not found.")),
        hit("GET", IDENTITY_URL, 200, IDENTITY),
    ],
    # MSI answers a read below a missing identity with 404 "The parent user-assigned identity doesn't exist."
    "cleanup_fic_identity_not_found": [
        hit("GET", FIC_URL, 404, error("NotFound", "The parent user-assigned identity doesn't exist.")),
        hit("GET", IDENTITY_URL, 404, IDENTITY_404),
    ],
    "delete_cleanup_fic": [
        hit("GET", f"{BINDINGS}/ib1?{PREVIEW}".replace(f"/{RG}/", "/rg1/").replace(f"/{CLUSTER}/", "/c1/"), 200,
            binding(name="ib1", rg="rg1", cluster="c1")),
        hit("DELETE", f"{BINDINGS}/ib1?{API}".replace(f"/{CLUSTER}/", "/c1/"), 202,
            binding(name="ib1", rg="rg1", cluster="c1", state="Deleting"), {"Location": RESULT}),
        hit("GET", RESULT, 204),
        hit("GET", FIC_URL, 200, FIC),
        # the list can still show the binding being deleted: it must not count as another user
        *fleet(bindings={**UNUSED, "c1": [binding(name="ib1", rg="rg1", cluster="c1", state="Deleting")]}),
        hit("GET", FIC_URL, 200, FIC),
        hit("DELETE", FIC_URL, 200),
    ],
    "delete_cleanup_fic_identity_gone": [
        hit("GET", f"{BINDINGS}/ib1?{PREVIEW}".replace(f"/{CLUSTER}/", "/c1/"), 200, binding(name="ib1", cluster="c1")),
        hit("DELETE", f"{BINDINGS}/ib1?{API}".replace(f"/{CLUSTER}/", "/c1/"), 202,
            binding(name="ib1", cluster="c1", state="Deleting"), {"Location": RESULT}),
        hit("GET", RESULT, 204),
        hit("GET", FIC_URL, 404, error("NotFound", "The parent user-assigned identity doesn't exist.")),
        hit("GET", IDENTITY_URL, 404, IDENTITY_404),
    ],
    "update_if_match": [
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="1")),
        hit("PUT", PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, state="Updating", etag="2"),
            {"Azure-AsyncOperation": OPERATION.replace("operations/0d4f", "operations/1e5a")}, sent=UPDATE_BODY),
        hit("GET", OPERATION.replace("operations/0d4f", "operations/1e5a"), 200, op_status("Succeeded")),
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, etag="3")),
    ],
    **FLEET_MANAGED,
    **API_VERSION_FALLBACK,
    "update_precondition_failed": [
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="1")),
        hit("PUT", PREVIEW_ITEM, 412, error(
            "PreconditionFailed", "The specified precondition 'If-Match' failed: the resource was modified."),
            sent=UPDATE_BODY),
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=[{"namespaceSelector": {"matchLabels": [
            f"{NAMESPACE_NAME_LABEL}=team-z"]}}], etag="4")),
    ],
    "create_with_subjects": [
        hit("GET", PREVIEW_ITEM, 404, BINDING_404),
        hit("PUT", PREVIEW_ITEM, 201, binding(state="Creating", subjects=OLD_SUBJECTS),
            {"Azure-AsyncOperation": OPERATION}, sent={"properties": {"managedIdentity": {"resourceId": IDENTITY_ID},
                                                                      "allowedSubjects": OLD_SUBJECTS}}),
        hit("GET", OPERATION, 200, op_status("Succeeded")),
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="2")),
    ],
    "rbac_identity_not_found": [
        hit("GET", IDENTITY_URL, 404, IDENTITY_404),
    ],
}


# -- bad input: names that Azure's rules allow, answered 404 by the service (tests/test_bad_input.py) --
def _unusual(method, path, missing, api=API):
    """A 404 for a valid but unusual name; `missing` is ("group", name) or (resource type, name, group)."""
    if missing[0] == "group":
        body = error("ResourceGroupNotFound", f"Resource group '{missing[1]}' could not be found.")
    elif missing[0] == "fic":
        body = error("NotFound", f"The federated identity credential '{FIC_NAME}' was not found.")
    else:
        body = error("ResourceNotFound", f"The Resource '{missing[0]}/{missing[1]}' under resource group "
                                         f"'{missing[2]}' was not found. For more details please go to "
                                         "https://aka.ms/ARMResourceNotFoundFix")
    return hit(method, f"{ARM}/subscriptions/{SUB}{path}?{api}", 404, body)


_AKS = "providers/Microsoft.ContainerService/managedClusters"
_MI = f"providers/{IDENTITY_TYPE}"
CASSETTES["bad_input_unusual_names"] = [
    _unusual("GET", f"/resourceGroups/a..b/{_AKS}/cluster1/identityBindings/{NAME}", ("group", "a..b")),
    _unusual("GET", f"/resourceGroups/gr%C3%BCppe/{_AKS}/cluster1/identityBindings/{NAME}", ("group", "grüppe")),
    _unusual("GET", f"/resourceGroups/%28prod%29/{_AKS}/cluster1/identityBindings/{NAME}", ("group", "(prod)")),
    _unusual("GET", f"/resourceGroups/-x/{_AKS}/cluster1/identityBindings/{NAME}", ("group", "-x")),
    _unusual("GET", f"/resourceGroups/a..b/{_AKS}/cluster1/identityBindings/{NAME}", ("group", "a..b"), PREVIEW),
    _unusual("GET", f"/resourceGroups/gr%C3%BCppe/{_AKS}/cluster1/identityBindings", ("group", "grüppe")),
    _unusual("GET", f"/resourceGroups/rg1/{_AKS}/C_1/identityBindings/My_Binding-1",
             ("Microsoft.ContainerService/managedClusters", "C_1", "rg1")),
    _unusual("GET", f"/resourceGroups/gr%C3%BCppe/{_MI}/identity1",
             (IDENTITY_TYPE, "identity1", "grüppe"), MSI_API),
    _unusual("GET", f"/resourceGroups/My_RG.%28prod%29-1/{_MI}/identity1/federatedIdentityCredentials/"
             f"{FIC_NAME}", ("fic",), MSI_API),
    _unusual("GET", f"/resourceGroups/My_RG.%28prod%29-1/{_MI}/identity1",
             (IDENTITY_TYPE, "identity1", "My_RG.(prod)-1"), MSI_API),
]


# -- `check`: ARM and Kubernetes API traffic -----------------------------------------------------
# The cluster's API server as `az aks get-credentials` writes it into the kubeconfig. Kubernetes
# objects follow the API's JSON: single GETs carry kind/apiVersion, list items do not; errors are
# metav1.Status; a SubjectAccessReview comes back with its spec and a status.
FQDN = "cluster1-dns-4f2a9c1e.hcp.eastus2.azmk8s.io"
KUBE = f"https://{FQDN}:443"
NS, SA = "demo", "workload"
CLUSTER_URL = f"{ARM}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}?{CLUSTERS_API}"
FICS_URL = f"{ARM}{IDENTITY_ID}/federatedIdentityCredentials?{MSI_API}"
CRB_NAME = f"use-mi-{CLIENT_ID}"
WEBHOOK_QUERY = urlencode({"labelSelector": WEBHOOK_SELECTOR})
WEBHOOK_IMAGE = "mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:v1.6.0-alpha.1"


def managed_cluster(workload_identity=True, vnet_integration=False, oidc_issuer=None, tenant=TENANT):
    props = {
        "provisioningState": "Succeeded", "powerState": {"code": "Running"}, "kubernetesVersion": "1.34",
        "currentKubernetesVersion": "1.34.1", "dnsPrefix": "cluster1-dns", "fqdn": FQDN,
        "azurePortalFQDN": FQDN.replace(".hcp.", ".portal.hcp."), "nodeResourceGroup": f"MC_{RG}_{CLUSTER}_eastus2",
        "enableRBAC": True,
        "oidcIssuerProfile": {"enabled": workload_identity if oidc_issuer is None else oidc_issuer,
                              "issuerURL": f"https://eastus2.oic.prod-aks.azure.com/"
                                           f"{TENANT}/9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d/"},
        "securityProfile": {"workloadIdentity": {"enabled": workload_identity}},
    }
    if vnet_integration:
        props["apiServerAccessProfile"] = {"enableVnetIntegration": True, "subnetId": (
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/apiserver")}
    return {"id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/{CLUSTER}",
            "location": "eastus2", "name": CLUSTER, "type": "Microsoft.ContainerService/ManagedClusters",
            "sku": {"name": "Base", "tier": "Free"},
            "identity": {"type": "SystemAssigned", "principalId": "5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "tenantId": tenant},
            "properties": props}


OTHER_FIC = {"id": f"{IDENTITY_ID}/federatedIdentityCredentials/github-deploy", "name": "github-deploy",
             "type": f"{IDENTITY_TYPE}/federatedIdentityCredentials",
             "properties": {"issuer": "https://token.actions.githubusercontent.com",
                            "subject": "repo:contoso/app:environment:prod", "audiences": ["api://AzureADTokenExchange"]}}


def kube_hit(method, path, status, body, query="", sent=None):
    response = hit(method, f"{KUBE}{path}" + (f"?{query}" if query else ""), status, body, sent=sent)
    response["response"]["headers"]["content-type"] = ["application/json"]
    return response


def kube_status(code, reason, message, details=None):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, **({"details": details} if details else {}), "code": code}


def kube_list(kind, api_version, items):
    return {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "918273"}, "items": items}


def service_account(annotations=None):
    if annotations is None:
        annotations = {CLIENT_ID_ANNOTATION: CLIENT_ID, TENANT_ID_ANNOTATION: TENANT}
    return {"kind": "ServiceAccount", "apiVersion": "v1",
            "metadata": {"name": SA, "namespace": NS, "uid": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
                         "resourceVersion": "4711", "creationTimestamp": "2026-11-20T09:00:00Z",
                         "labels": {MANAGED_BY_LABEL: MANAGED_BY},
                         "annotations": annotations}}


def cluster_role(name, rules):
    return {"metadata": {"name": name, "uid": f"c1a2b3d4-0000-4000-8000-{sum(map(ord, name)):012d}",
                         "resourceVersion": "512", "creationTimestamp": "2026-11-20T09:00:00Z"}, "rules": rules}


def role_binding(name, role, subjects):
    return {"metadata": {"name": name, "resourceVersion": "513", "creationTimestamp": "2026-11-20T09:00:00Z"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


GOOD_RULE = {"apiGroups": [API_GROUP], "resources": [CLIENT_ID], "verbs": [VERB]}
SA_SUBJECT = {"kind": "ServiceAccount", "name": SA, "namespace": NS}
SYSTEM_ROLES = [
    cluster_role("cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                                   {"nonResourceURLs": ["*"], "verbs": ["*"]}]),
    cluster_role("system:basic-user", [{"apiGroups": ["authorization.k8s.io"],
                                        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                                        "verbs": ["create"]}]),
]
SYSTEM_BINDINGS = [
    role_binding("cluster-admin", "cluster-admin", [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                                     "name": "system:masters"}]),
    role_binding("system:basic-user", "system:basic-user", [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                                             "name": "system:authenticated"}]),
]


def webhook_deployment(image=WEBHOOK_IMAGE, ready=2):
    labels = dict([WEBHOOK_SELECTOR.split("=")])
    return {"metadata": {"name": "azure-wi-webhook-controller-manager", "namespace": WEBHOOK_NAMESPACE,
                         "labels": {**labels, "kubernetes.azure.com/managedby": "aks"}, "generation": 3},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "serviceAccountName": "azure-wi-webhook-admin",
                         "containers": [{"name": "manager", "image": image,
                                         "args": ["--log-level=info", "--metrics-addr=:8095",
                                                  "--disable-cert-rotation=true"],
                                         "envFrom": [{"configMapRef": {"name": WEBHOOK_CONFIG_NAME}}]}]}}},
            "status": {"observedGeneration": 3, "replicas": 2, "readyReplicas": ready, "availableReplicas": ready,
                       "updatedReplicas": 2}}


WEBHOOK_CONFIG = {"kind": "ConfigMap", "apiVersion": "v1",
                  "metadata": {"name": WEBHOOK_CONFIG_NAME, "namespace": WEBHOOK_NAMESPACE},
                  "data": {"AZURE_ENVIRONMENT": "AzurePublicCloud", "AZURE_TENANT_ID": TENANT,
                           TOKEN_PROXY_ENV: "https://kubernetes.default.svc",
                           "AZURE_KUBERNETES_SNI_NAME": "a7qg4r5u1m0k2c8e3j6t9b4d0f5h1l2n.ests.aks",
                           "AZURE_KUBERNETES_CA_CONFIGMAP_NAME": ROOT_CA}}
ROOT_CA_MAP = {"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {"name": ROOT_CA, "namespace": NS,
                            "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to "
                                            "verify the kube-apiserver when using internal endpoints such as the "
                                            "internal service IP or kubernetes.default.svc. No other usage is "
                                            "guaranteed across distributions of Kubernetes clusters."}},
               "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIE6DCCAtCgAwIBAgIQ...\n-----END CERTIFICATE-----\n"}}

BINDING_ENV = [
    {"name": "AZURE_CLIENT_ID", "value": CLIENT_ID}, {"name": "AZURE_TENANT_ID", "value": TENANT},
    {"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/wi/token/azure-identity-token"},
    {"name": "AZURE_AUTHORITY_HOST", "value": "https://login.microsoftonline.com/"},
    {"name": TOKEN_PROXY_ENV, "value": "https://kubernetes.default.svc"},
    {"name": "AZURE_KUBERNETES_SNI_NAME", "value": "a7qg4r5u1m0k2c8e3j6t9b4d0f5h1l2n.ests.aks"},
    {"name": "AZURE_KUBERNETES_CA_FILE", "value": "/var/run/secrets/azure/wi/ca-cert/ca.crt"},
]
PLAIN_WI_ENV = BINDING_ENV[:3] + [{"name": "AZURE_AUTHORITY_HOST", "value": "https://login.microsoftonline.com/"}]


def pod(env=BINDING_ENV, labelled=True, annotated=True, audience="api://AKSIdentityBinding"):
    labels = {"app": "workload", "pod-template-hash": "7d9c6b5f4"}
    if labelled:
        labels[USE_LABEL] = "true"
    annotations = {USE_BINDING_ANNOTATION: "true"} if annotated else {}
    spec = {"serviceAccountName": SA, "serviceAccount": SA, "nodeName": "aks-nodepool1-12345678-vmss000000",
            "containers": [{"name": "app", "image": "contoso.azurecr.io/workload:1.4.2",
                            **({"env": env} if env else {}),
                            "volumeMounts": [{"name": "kube-api-access-x7k2p",
                                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                              "readOnly": True}]}],
            "volumes": [{"name": "kube-api-access-x7k2p", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]}
    if env:
        spec["containers"][0]["volumeMounts"].append({"name": "azure-workload-identity-reserved-3a5f8c",
                                                      "mountPath": "/var/run/secrets/azure/wi", "readOnly": True})
        spec["volumes"].append({"name": "azure-workload-identity-reserved-3a5f8c", "projected": {"sources": [
            {"serviceAccountToken": {"audience": audience, "expirationSeconds": 3600,
                                     "path": "token/azure-identity-token"}},
            {"configMap": {"name": ROOT_CA, "items": [{"key": "ca.crt", "path": "ca-cert/ca.crt"}],
                           "optional": False}}]}})
    return {"metadata": {"name": "workload-7d9c6b5f4-x2k8p", "generateName": "workload-7d9c6b5f4-", "namespace": NS,
                         "uid": "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928", "labels": labels, "annotations": annotations,
                         "creationTimestamp": "2026-11-20T09:30:00Z",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": "workload-7d9c6b5f4", "uid": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
                                              "controller": True, "blockOwnerDeletion": True}]},
            "spec": spec, "status": {"phase": "Running", "podIP": "10.244.1.17"}}


def sar_body(namespace=None):
    attributes = {"group": API_GROUP, "resource": CLIENT_ID, "verb": VERB}
    if namespace:
        attributes["namespace"] = namespace
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {
        "user": f"system:serviceaccount:{NS}:{SA}",
        "groups": ["system:serviceaccounts", f"system:serviceaccounts:{NS}", "system:authenticated"],
        "resourceAttributes": attributes}}


def sar_hit(allowed, reason=None, namespace=None):
    sent = sar_body(namespace)
    status = {"allowed": allowed, **({"reason": reason} if reason else {})}
    return kube_hit("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", 201,
                    {**sent, "metadata": {"creationTimestamp": None}, "status": status}, sent=sent)


SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
# check reads the binding with the preview api-version: its managedBy says whether AKS Fleet Manager manages it
CHECK_ITEM, CHECK_LIST = PREVIEW_ITEM, f"{BINDINGS}?{PREVIEW}"
ALLOWED = sar_hit(True, f'RBAC: allowed by ClusterRoleBinding "{CRB_NAME}" of ClusterRole "{CRB_NAME}" to '
                        f'ServiceAccount "{SA}/{NS}"')
CHECK_ARM = {
    "cluster": hit("GET", CLUSTER_URL, 200, managed_cluster()),
    "binding": hit("GET", CHECK_ITEM, 200, binding()),
    "identity": hit("GET", IDENTITY_URL, 200, IDENTITY),
    "fics": hit("GET", FICS_URL, 200, {"value": [OTHER_FIC, FIC]}),
}
CHECK_KUBE = {
    "sa": kube_hit("GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200, service_account()),
    "crbs": kube_hit("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200, kube_list(
        "ClusterRoleBindingList", "rbac.authorization.k8s.io/v1",
        SYSTEM_BINDINGS + [role_binding(CRB_NAME, CRB_NAME, [SA_SUBJECT])])),
    "crs": kube_hit("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", 200, kube_list(
        "ClusterRoleList", "rbac.authorization.k8s.io/v1", SYSTEM_ROLES + [cluster_role(CRB_NAME, [GOOD_RULE])])),
    "webhook": kube_hit("GET", f"/apis/apps/v1/namespaces/{WEBHOOK_NAMESPACE}/deployments", 200,
                        kube_list("DeploymentList", "apps/v1", [webhook_deployment()]),
                        query=WEBHOOK_QUERY),
    "webhook_config": kube_hit("GET", f"/api/v1/namespaces/{WEBHOOK_NAMESPACE}/configmaps/{WEBHOOK_CONFIG_NAME}",
                               200,
                               WEBHOOK_CONFIG),
    "root_ca": kube_hit("GET", f"/api/v1/namespaces/{NS}/configmaps/{ROOT_CA}", 200, ROOT_CA_MAP),
    "pods": kube_hit("GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [pod()]),
                     query=f"fieldSelector=spec.serviceAccountName%3D{SA}"),
    "sar": [ALLOWED],
}


def check_case(arm=None, kube=None, cluster_access=True):
    """ARM (and, with cluster_access, Kubernetes) traffic of one check: the all-green traffic with some
    requests' answers replaced (a hit or a list of hits) or left out (None)."""
    hits = []
    for key, value in {**CHECK_ARM, **(arm or {})}.items():
        hits += [] if value is None else value if isinstance(value, list) else [value]
    if cluster_access:
        for key, value in {**CHECK_KUBE, **(kube or {})}.items():
            hits += [] if value is None else value if isinstance(value, list) else [value]
    return hits


def forbidden(verb, resource, group, scope="at the cluster scope"):
    what = f"{resource}.{group}" if group else resource
    return kube_status(403, "Forbidden", f'{what} is forbidden: User "dev@contoso.com" cannot {verb} resource '
                                         f'"{resource}" in API group "{group}" {scope}',
                       {"group": group, "kind": resource})


ARM_ONLY = {"cluster_access": False}
DENIED_BOTH = [sar_hit(False), sar_hit(False, namespace=NS)]
CHECK_CASSETTES = {
    "check_all_green": check_case(),
    # a region without the preview: the GA read of the binding, every check still runs
    "check_all_green_no_preview": check_case(arm={"binding": [
        hit("GET", CHECK_ITEM, 400, not_offered(BINDINGS_PREVIEW_API_VERSION, GA_VERSIONS)),
        hit("GET", ITEM, 200, binding())]}),
    "check_arm_green": check_case(**ARM_ONLY),
    "check_by_identity": check_case({"binding": hit("GET", CHECK_LIST, 200, {"value": [
        binding(name="other", identity_id=OTHER_IDENTITY_ID, client_id="b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"),
        binding()]})}, **ARM_ONLY),
    "check_only_binding": check_case({"binding": hit("GET", CHECK_LIST, 200, {"value": [binding()]})},
                                     **ARM_ONLY),
    "check_ambiguous_binding": check_case({"binding": hit("GET", CHECK_LIST, 200, {"value": [
        binding(), binding(name="other", identity_id=OTHER_IDENTITY_ID)]}), "identity": None, "fics": None},
        **ARM_ONLY),
    # failure modes decided in Azure
    "check_cluster_not_found": check_case({"cluster": hit("GET", CLUSTER_URL, 404, CLUSTER_404),
                                           "binding": hit("GET", CHECK_ITEM, 404, CLUSTER_404), "identity": None,
                                           "fics": None}, **ARM_ONLY),
    "check_no_workload_identity": check_case({"cluster": hit("GET", CLUSTER_URL, 200,
                                                             managed_cluster(workload_identity=False))}, **ARM_ONLY),
    "check_vnet_integration": check_case({"cluster": hit("GET", CLUSTER_URL, 200,
                                                         managed_cluster(vnet_integration=True))}, **ARM_ONLY),
    "check_binding_missing": check_case({"binding": hit("GET", CHECK_ITEM, 404, BINDING_404), "identity": None,
                                         "fics": None}, **ARM_ONLY),
    "check_binding_failed": check_case({"binding": hit("GET", CHECK_ITEM, 200, binding(state="Failed"))}, **ARM_ONLY),
    "check_identity_recreated": check_case({"identity": hit("GET", IDENTITY_URL, 200, {
        **IDENTITY, "properties": {**IDENTITY["properties"], "clientId": "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f"}})},
        **ARM_ONLY),
    "check_fic_missing": check_case({"fics": hit("GET", FICS_URL, 200, {"value": [OTHER_FIC]})}, **ARM_ONLY),
    "check_fic_edited": check_case({"fics": hit("GET", FICS_URL, 200, {"value": [
        {**FIC, "properties": {**FIC["properties"], "issuer": "https://eastus2.oic.prod-aks.azure.com/" + TENANT}}]})},
        **ARM_ONLY),
    # failure modes decided in the cluster
    "check_sa_missing": check_case(kube={"sa": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 404,
        kube_status(404, "NotFound", f'serviceaccounts "{SA}" not found', {"name": SA, "kind": "serviceaccounts"})),
        "sar": DENIED_BOTH, "crbs": kube_hit("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
                                             kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1",
                                                       SYSTEM_BINDINGS)),
        "pods": kube_hit("GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", []),
                         query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_sa_no_client_id": check_case(kube={"sa": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200,
        service_account({TENANT_ID_ANNOTATION: TENANT}))}),
    "check_sa_object_id": check_case(kube={"sa": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200,
        service_account({CLIENT_ID_ANNOTATION: OBJECT_ID, TENANT_ID_ANNOTATION: TENANT}))}),
    "check_sa_uppercase": check_case(kube={"sa": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200,
        service_account({CLIENT_ID_ANNOTATION: CLIENT_ID.upper(),
                         TENANT_ID_ANNOTATION: TENANT}))}),
    "check_sa_wrong_tenant": check_case(kube={"sa": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200,
        service_account({CLIENT_ID_ANNOTATION: CLIENT_ID,
                         TENANT_ID_ANNOTATION: "22222222-2222-2222-2222-222222222222"}))}),
    "check_rbac_missing": check_case(kube={"sar": DENIED_BOTH, "crbs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
        kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1", SYSTEM_BINDINGS))}),
    # the same, on a member whose binding an AKS Fleet Manager identity binding profile manages
    "check_rbac_missing_fleet_managed": check_case(
        {"binding": hit("GET", CHECK_ITEM, 200, binding(managed_by=FLEET_PROFILE_ID))},
        kube={"sar": DENIED_BOTH, "crbs": kube_hit(
            "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
            kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1", SYSTEM_BINDINGS))}),
    "check_rbac_rolebinding_only": check_case(kube={"sar": [sar_hit(False), sar_hit(
        True, f'RBAC: allowed by RoleBinding "use-mi/{NS}" of ClusterRole "{CRB_NAME}" to ServiceAccount "{SA}/{NS}"',
        namespace=NS)], "crbs": kube_hit("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
                                         kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1",
                                                   SYSTEM_BINDINGS))}),
    "check_rbac_wrong_subject": check_case(kube={"sar": DENIED_BOTH, "crbs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
        kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1", SYSTEM_BINDINGS + [
            role_binding(CRB_NAME, CRB_NAME, [{"kind": "ServiceAccount", "name": "default", "namespace": NS}])]))}),
    "check_rbac_malformed_rules": check_case(kube={"sar": DENIED_BOTH, "crs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", 200,
        kube_list("ClusterRoleList", "rbac.authorization.k8s.io/v1", SYSTEM_ROLES + [cluster_role(CRB_NAME, [
            {"apiGroups": [API_GROUP], "resources": [CLIENT_ID.upper()], "verbs": [VERB]},
            {"apiGroups": [f"{API_GROUP}/"], "resources": [CLIENT_ID], "verbs": ["use"]},
            {"apiGroups": [API_GROUP], "resources": [OBJECT_ID], "verbs": [VERB]},
            {"apiGroups": [API_GROUP], "resources": [CLIENT_ID], "verbs": [VERB],
             "resourceNames": [CLIENT_ID]}])]))}),
    "check_rbac_broad_grants": check_case(kube={"crbs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
        kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1", SYSTEM_BINDINGS + [
            role_binding(CRB_NAME, CRB_NAME, [SA_SUBJECT, {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                                           "name": "system:serviceaccounts"}]),
            role_binding("ci-admin", "cluster-admin", [{"kind": "ServiceAccount", "name": "ci-bot",
                                                        "namespace": "tools"}])]))}),
    "check_sar_forbidden": check_case(kube={"sar": kube_hit("POST", SAR_PATH, 403, forbidden(
        "create", "subjectaccessreviews", "authorization.k8s.io"), sent=sar_body()), "crbs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 403,
        forbidden("list", "clusterrolebindings", "rbac.authorization.k8s.io"))}),
    "check_webhook_old": check_case(kube={"webhook": kube_hit(
        "GET", f"/apis/apps/v1/namespaces/{WEBHOOK_NAMESPACE}/deployments", 200, kube_list("DeploymentList", "apps/v1", [
            webhook_deployment(image="mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:v1.5.1")]),
        query=WEBHOOK_QUERY),
        "pods": kube_hit("GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [
            pod(env=PLAIN_WI_ENV, audience="api://AzureADTokenExchange")]),
            query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_root_ca_missing": check_case(kube={"root_ca": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/configmaps/{ROOT_CA}", 404,
        kube_status(404, "NotFound", f'configmaps "{ROOT_CA}" not found',
                    {"name": ROOT_CA, "kind": "configmaps"}))}),
    "check_pod_unlabelled": check_case(kube={"pods": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [pod(env=None, labelled=False)]),
        query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_pod_unannotated": check_case(kube={"pods": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [
            pod(env=PLAIN_WI_ENV, annotated=False, audience="api://AzureADTokenExchange")]),
        query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_pod_not_mutated": check_case(kube={"pods": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [pod(env=None)]),
        query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_pod_old_endpoint_env": check_case(kube={"pods": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [pod(env=[
            {**e, "name": OLD_TOKEN_ENDPOINT_ENV} if e["name"] == TOKEN_PROXY_ENV else e
            for e in BINDING_ENV])]), query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
}
CASSETTES.update(CHECK_CASSETTES)


# -- one scenario for each branch of a rule that the failure modes above do not reach -----------------
# (tests/test_check_branches.py derives the branches from the rule modules and fails when one has none)
def kube_forbidden(path, verb, resource, group="", query=""):
    return kube_hit("GET", path, 403, forbidden(verb, resource, group, f'in the namespace "{path.split("/")[4]}"'
                                                if "/namespaces/" in path else "at the cluster scope"), query=query)


def sa_with(annotations):
    return kube_hit("GET", f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", 200, service_account(annotations))


def webhook_with(deployments, config=WEBHOOK_CONFIG):
    return {"webhook": kube_hit("GET", f"/apis/apps/v1/namespaces/{WEBHOOK_NAMESPACE}/deployments", 200,
                                kube_list("DeploymentList", "apps/v1", deployments), query=WEBHOOK_QUERY),
            "webhook_config": kube_hit("GET", f"/api/v1/namespaces/{WEBHOOK_NAMESPACE}/configmaps/"
                                              f"{WEBHOOK_CONFIG_NAME}", 200, config)}


CLUSTER_403 = error("AuthorizationFailed", "The client 'dev@contoso.com' with object id "
                    "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                    "'Microsoft.ContainerService/managedClusters/read' over scope "
                    f"'/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/"
                    f"{CLUSTER}' or the scope is invalid.")
IDENTITY_403 = error("AuthorizationFailed", "The client 'dev@contoso.com' with object id "
                     "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                     f"'Microsoft.ManagedIdentity/userAssignedIdentities/read' over scope '{IDENTITY_ID}' or the "
                     "scope is invalid.")
NOT_SWITCHED_ON_CONFIG = {**WEBHOOK_CONFIG, "data": {k: v for k, v in WEBHOOK_CONFIG["data"].items()
                                                     if k not in (TOKEN_PROXY_ENV, OLD_TOKEN_ENDPOINT_ENV)}}
BRANCH_CASSETTES = {
    # workload identity on, OIDC issuer off (and the reverse): either one off fails
    "check_oidc_issuer_off": check_case({"cluster": hit("GET", CLUSTER_URL, 200, managed_cluster(oidc_issuer=False))},
                                        **ARM_ONLY),
    "check_only_oidc_issuer_on": check_case({"cluster": hit("GET", CLUSTER_URL, 200, managed_cluster(
        workload_identity=False, oidc_issuer=True))}, **ARM_ONLY),
    "check_binding_creating": check_case({"binding": hit("GET", CHECK_ITEM, 200, binding(state="Creating"))}, **ARM_ONLY),
    "check_binding_updating": check_case({"binding": hit("GET", CHECK_ITEM, 200, binding(state="Updating"))}, **ARM_ONLY),
    # the cluster and its binding cannot be read (403): skips, not failures; the identity is then unknown
    "check_cluster_forbidden": check_case({"cluster": hit("GET", CLUSTER_URL, 403, CLUSTER_403),
                                           "binding": hit("GET", CHECK_ITEM, 403, CLUSTER_403), "identity": None,
                                           "fics": None}, **ARM_ONLY),
    # the cluster can be read, its binding cannot: a skip, not "missing"
    "check_binding_forbidden": check_case({"binding": hit("GET", CHECK_ITEM, 403, error(
        "AuthorizationFailed", "The client 'dev@contoso.com' with object id '9a8b7c6d-0000-4000-8000-000000000000' "
        "does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/identityBindings/"
        f"read' over scope '{ITEM.split('?')[0][len(ARM):]}' or the scope is invalid.")), "identity": None,
        "fics": None}, **ARM_ONLY),
    "check_identity_deleted": check_case({"identity": hit("GET", IDENTITY_URL, 404, IDENTITY_404),
                                          "fics": hit("GET", FICS_URL, 404, IDENTITY_404)}, **ARM_ONLY),
    "check_identity_forbidden": check_case({"identity": hit("GET", IDENTITY_URL, 403, IDENTITY_403),
                                            "fics": hit("GET", FICS_URL, 403, IDENTITY_403)}, **ARM_ONLY),
    # no binding, so no client id: the checks that compare with it are skips (and no review is sent)
    "check_client_id_unknown": check_case({"binding": hit("GET", CHECK_ITEM, 404, BINDING_404), "identity": None,
                                           "fics": None}, kube={"sar": None}),
    # every namespaced read of the cluster forbidden (the cluster-wide lists and the review allowed)
    "check_kube_reads_forbidden": check_case(kube={
        "sa": kube_forbidden(f"/api/v1/namespaces/{NS}/serviceaccounts/{SA}", "get", "serviceaccounts"),
        "crs": kube_forbidden("/apis/rbac.authorization.k8s.io/v1/clusterroles", "list", "clusterroles",
                              "rbac.authorization.k8s.io"),
        "webhook": kube_forbidden(f"/apis/apps/v1/namespaces/{WEBHOOK_NAMESPACE}/deployments", "list", "deployments",
                                  "apps", WEBHOOK_QUERY),
        "root_ca": kube_forbidden(f"/api/v1/namespaces/{NS}/configmaps/{ROOT_CA}", "get", "configmaps"),
        "pods": kube_forbidden(f"/api/v1/namespaces/{NS}/pods", "list", "pods",
                               query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_webhook_missing": check_case(kube=webhook_with([])),
    "check_webhook_not_ready": check_case(kube=webhook_with([webhook_deployment(ready=0)])),
    "check_webhook_unversioned": check_case(kube=webhook_with([webhook_deployment(
        image="mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:latest")])),
    # a release that supports identity bindings, but no flag and no proxy setting switch the feature on
    "check_webhook_not_switched_on": check_case(kube=webhook_with([webhook_deployment(
        image="mcr.microsoft.com/oss/v2/azure/workload-identity/webhook:v1.6.0")], NOT_SWITCHED_ON_CONFIG)),
    # the webhook's config gives the pod both CA sources: the SDK refuses to choose
    "check_pod_two_ca_sources": check_case(kube={"pods": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/pods", 200, kube_list("PodList", "v1", [pod(env=BINDING_ENV + [
            {"name": "AZURE_KUBERNETES_CA_DATA", "value": "-----BEGIN CERTIFICATE-----\nMIIE6DCCAtCgAwIBAgIQ...\n"}])]),
        query=f"fieldSelector=spec.serviceAccountName%3D{SA}")}),
    "check_root_ca_empty": check_case(kube={"root_ca": kube_hit(
        "GET", f"/api/v1/namespaces/{NS}/configmaps/{ROOT_CA}", 200, {**ROOT_CA_MAP, "data": {"ca.crt": " "}})}),
    "check_sa_tenant_missing": check_case(kube={"sa": sa_with({CLIENT_ID_ANNOTATION: CLIENT_ID})}),
    # no tenant annotation, and the cluster is in another tenant than the identity: pods would ask the wrong one
    "check_sa_tenant_missing_cluster_elsewhere": check_case(
        {"cluster": hit("GET", CLUSTER_URL, 200, managed_cluster(tenant="22222222-2222-2222-2222-222222222222"))},
        kube={"sa": sa_with({CLIENT_ID_ANNOTATION: CLIENT_ID})}),
    # the service account is granted, and so is every service account of its namespace
    "check_rbac_namespace_group": check_case(kube={"crbs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", 200,
        kube_list("ClusterRoleBindingList", "rbac.authorization.k8s.io/v1", SYSTEM_BINDINGS + [
            role_binding(CRB_NAME, CRB_NAME, [SA_SUBJECT, {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                                           "name": f"system:serviceaccounts:{NS}"}])]))}),
    # a malformed rule beside the good one: the grant works, the leftover is a warning
    "check_rbac_malformed_but_granted": check_case(kube={"crs": kube_hit(
        "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", 200,
        kube_list("ClusterRoleList", "rbac.authorization.k8s.io/v1", SYSTEM_ROLES + [
            cluster_role(CRB_NAME, [GOOD_RULE]),
            cluster_role("use-mi-by-object-id", [{"apiGroups": [API_GROUP], "resources": [OBJECT_ID],
                                                  "verbs": [VERB]}])]))}),
}
CASSETTES.update(BRANCH_CASSETTES)


# -- `wait`: az's wait loop GETs the binding once per --interval -----------------------------------
def poll(status, body):
    return hit("GET", ITEM, status, body)


WAIT_CASSETTES = {
    # not there yet, then Creating, then Succeeded
    "wait_created": [poll(404, BINDING_404), poll(200, binding(state="Creating")),
                     poll(200, binding(state="Creating")), poll(200, binding(etag="2"))],
    # (wait reads the GA api-version, whose answers carry no allowedSubjects: tests/test_api_shapes.py)
    "wait_updated": [poll(200, binding(state="Updating")), poll(200, binding(etag="2"))],
    "wait_deleted": [poll(200, binding(state="Deleting", etag="3")), poll(200, binding(state="Deleting", etag="3")),
                     poll(404, BINDING_404)],
    # --exists ends at the first successful read, whatever the state
    "wait_exists": [poll(404, BINDING_404), poll(404, BINDING_404), poll(200, binding(state="Creating"))],
    "wait_custom": [poll(200, binding(state="Creating")), poll(200, binding(etag="2"))],
    # --timeout 10 --interval 5: two polls, never Succeeded
    "wait_timeout": [poll(200, binding(state="Creating")), poll(200, binding(state="Creating"))],
    "wait_failed": [poll(200, binding(state="Creating")), poll(200, binding(state="Failed"))],
    "wait_updated_missing": [poll(404, BINDING_404)],
    # a missing cluster or group is not a deleted binding: the wait fails at once
    "wait_cluster_not_found": [poll(404, CLUSTER_404)],
    "wait_group_not_found": [poll(404, error("ResourceGroupNotFound", f"Resource group '{RG}' could not be found."))],
}
CASSETTES.update(WAIT_CASSETTES)


# -- tenant scale (issue 13): subscriptions, Azure Resource Graph, paced reads ----------------------
# GET /subscriptions (Microsoft.Resources 2022-12-01): {"value": [...], "count": {...}, "nextLink"?}.
# POST /providers/Microsoft.ResourceGraph/resources (2022-10-01): {"totalRecords", "count", "data",
# "facets", "resultTruncated": "false", "$skipToken"?}; rows in objectArray form; the per-user quota in
# x-ms-user-quota-remaining / x-ms-user-quota-resets-after. ARM's read budget in
# x-ms-ratelimit-remaining-subscription-reads; 429 with Retry-After.
from azext_identitybinding.constants import (  # noqa: E402
    REMAINING_READS_HEADER, RESOURCE_GRAPH_API_VERSION, SUBSCRIPTIONS_API_VERSION)

SUB2 = "22222222-2222-2222-2222-222222222222"
SUB3 = "33333333-3333-3333-3333-333333333333"
SUB4 = "44444444-4444-4444-4444-444444444444"
SUBSCRIPTIONS = f"{ARM}/subscriptions?api-version={SUBSCRIPTIONS_API_VERSION}"
SUBSCRIPTIONS_PAGE2 = f"{SUBSCRIPTIONS}&$skiptoken=c3Vic19wYWdlMg%3D%3D"
GRAPH = f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version={RESOURCE_GRAPH_API_VERSION}"
GRAPH_TOKEN = "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDEwMDAsDQogICJSb3dzVG9Ta2lwIjogMTAwMA0KfQ=="
QUOTA = {"x-ms-user-quota-remaining": "14", "x-ms-user-quota-resets-after": "00:00:05"}
ARG_FORBIDDEN = error("AuthorizationFailed", "The client 'admin@example.com' with object id "
                      "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                      "'Microsoft.ResourceGraph/resources/read' over scope '/providers/Microsoft.ResourceGraph' or "
                      "the scope is invalid. If access was recently granted, please refresh your credentials.")
THROTTLED = error("TooManyRequests", "The request is being throttled as the limit has been reached for operation "
                  "type - Read_ObservationWindow_00:05:00.")


def subscription(sid, name, state="Enabled"):
    return {"id": f"/subscriptions/{sid}", "authorizationSource": "RoleBased", "managedByTenants": [],
            "subscriptionId": sid, "tenantId": TENANT, "displayName": name, "state": state,
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "EnterpriseAgreement_2014-09-01",
                                     "spendingLimit": "Off"}}


def subscriptions(*subs, next_link=None):
    page = {"value": [subscription(*s) for s in subs], "count": {"type": "Total", "value": len(subs)}}
    if next_link:
        page["nextLink"] = next_link
    return hit("GET", SUBSCRIPTIONS, 200, page)


ONE_SUBSCRIPTION = hit("GET", SUBSCRIPTIONS, 200, {"value": [subscription(SUB, "Platform")],
                                                   "count": {"type": "Total", "value": 1}})


def sub_cluster(sub, rg, name):
    return {**cluster(rg, name), "id": cluster(rg, name)["id"].replace(SUB, sub)}


def graph_row(sub, rg, name, id_casing=None):
    cid = sub_cluster(sub, rg, name)["id"]
    return {"id": id_casing(cid) if id_casing else cid, "name": name, "resourceGroup": rg, "subscriptionId": sub}


# The Resource Graph query, written out here, not imported from arm/client.py: the cassettes pin what is
# sent, so a change to the extension's query (say to .../managedclusters/agentpools, which matches no
# cluster and would let cleanup-fic delete a credential in use) fails playback until this is changed too.
GRAPH_QUERY = ("resources | where type =~ 'microsoft.containerservice/managedclusters' "
               "| project id, name, resourceGroup, subscriptionId | order by id asc")


def graph_query(subs, skip_token=None, query=GRAPH_QUERY):
    """The body of one Resource Graph request: the query over `subs` (sorted), 1,000 rows a page."""
    options = {"$top": 1000, "resultFormat": "objectArray"}
    if skip_token:
        options["$skipToken"] = skip_token
    return {"query": query, "options": options, "subscriptions": sorted(subs)}


def graph_hit(subs, status, body, headers=None, skip_token=None, query=GRAPH_QUERY):
    return hit("POST", GRAPH, status, body, headers, sent=graph_query(subs, skip_token, query))


def graph_page(subs, rows, token=None, total=None, headers=None, truncated=False, skip_token=None,
               query=GRAPH_QUERY):
    """One answered page of the query over `subs` (`skip_token`: the one this request sent; `token`:
    the one the page answers with)."""
    page = {"totalRecords": total if total is not None else len(rows), "count": len(rows), "data": rows,
            "facets": [], "resultTruncated": "true" if truncated else "false"}
    if token:
        page["$skipToken"] = token
    return graph_hit(subs, 200, page, {**QUOTA, **(headers or {})}, skip_token, query)


def sub_bindings_url(sub, rg, name, preview=False):
    url = cluster_bindings_url(rg, name).replace(SUB, sub)
    return url.replace(API, PREVIEW) if preview else url


def sub_bindings(sub, rg, name, bindings=(), headers=None, preview=False):
    values = [{**b, "id": b["id"].replace(SUB, sub)} for b in bindings]
    return hit("GET", sub_bindings_url(sub, rg, name, preview), 200, {"value": values}, headers)


def sub_clusters(sub, *clusters):
    url = CLUSTERS.replace(SUB, sub)
    return hit("GET", url, 200, {"value": [sub_cluster(sub, rg, name) for rg, name in clusters]})


IB1 = binding(name="ib1", rg="rg1", cluster="c1")
IB6 = binding(name="ib6", rg="rg6", cluster="c6")
CLUSTERS_403 = error("AuthorizationFailed", "The client 'admin@example.com' with object id "
                     "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                     "'Microsoft.ContainerService/managedClusters/read' over scope "
                     f"'/subscriptions/{SUB3}' or the scope is invalid.")

# The clean-up now scans every subscription the login can see: the earlier clean-up cassettes see one
# subscription (the current one, the identity's), so they gain its GET /subscriptions right after the
# first read of the credential, and the scan stays ARM's list of that one subscription.
for _name in ("cleanup_fic_deletes", "cleanup_fic_in_use", "cleanup_fic_incomplete", "cleanup_fic_changed"):
    CASSETTES[_name].insert(1, ONE_SUBSCRIPTION)
CASSETTES["delete_cleanup_fic"].insert(4, ONE_SUBSCRIPTION)

SCALE_CASSETTES = {
    # --all-subscriptions: the subscription list in two pages, Resource Graph in two pages (the second
    # page lists c1 again under another casing of its id: read once); the quota is exhausted after the
    # first page, so the second waits for it to reset.
    "fleet_all_graph_paged": [
        subscriptions((SUB, "Platform"), (SUB2, "Team A"), next_link=SUBSCRIPTIONS_PAGE2),
        hit("GET", SUBSCRIPTIONS_PAGE2, 200, {"value": [subscription(SUB3, "Team B")],
                                              "count": {"type": "Total", "value": 3}}),
        graph_page((SUB, SUB2, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB, "rg2", "c2")], token=GRAPH_TOKEN,
                   total=5,
                   headers={"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:03"}),
        graph_page((SUB, SUB2, SUB3),
                   [graph_row(SUB2, "rg5", "c5"), graph_row(SUB3, "rg6", "c6"),
                    graph_row(SUB, "rg1", "c1", id_casing=lambda i: i.replace("/resourceGroups/rg1/",
                                                                              "/resourcegroups/RG1/"))],
                   total=5, skip_token=GRAPH_TOKEN),
        sub_bindings(SUB, "rg1", "c1", [IB1]),
        sub_bindings(SUB2, "rg5", "c5"),
        sub_bindings(SUB, "rg2", "c2"),
        sub_bindings(SUB3, "rg6", "c6", [IB6, binding(name="x", rg="rg6", cluster="c6", identity_id=OTHER_IDENTITY_ID)]),
    ],
    # Resource Graph forbidden: each subscription's clusters are listed from ARM instead.
    "fleet_all_graph_forbidden": [
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_hit((SUB, SUB3), 403, ARG_FORBIDDEN),
        sub_clusters(SUB, ("rg1", "c1")),
        sub_clusters(SUB3, ("rg6", "c6")),
        sub_bindings(SUB, "rg1", "c1", [IB1]),
        sub_bindings(SUB3, "rg6", "c6", [IB6]),
    ],
    # --subscription A B: both checked against what the login can see; Resource Graph answers 429 once
    # (the transport waits Retry-After), then one cluster's read is throttled by ARM (the pacer holds the
    # subscription for Retry-After, sends it again).
    "fleet_subscriptions_throttled": [
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_hit((SUB, SUB3), 429, error("RateLimiting", "Please provide below info when asking for support: "
                                          "timestamp = 2026-12-02T10:00:00.0000000Z, correlationId = "
                                          "5b2f1c3e-0000-4000-8000-000000000000."),
                  {"Retry-After": "1", "x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:01"}),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB3, "rg6", "c6")]),
        sub_bindings(SUB, "rg1", "c1", [IB1], {REMAINING_READS_HEADER: "249"}),
        hit("GET", sub_bindings_url(SUB3, "rg6", "c6"), 429, THROTTLED,
            {"Retry-After": "3", REMAINING_READS_HEADER: "0"}),
        sub_bindings(SUB3, "rg6", "c6", [IB6], {REMAINING_READS_HEADER: "74"}),
    ],
    # --subscription A B where the login cannot see B: B is named (Resource Graph would answer for it
    # with no rows, as for a subscription without clusters), A is listed from ARM.
    "fleet_subscription_not_visible": [
        subscriptions((SUB, "Platform"), (SUB4, "Old", "Disabled")),
        sub_clusters(SUB, ("rg1", "c1")),
        sub_bindings(SUB, "rg1", "c1", [IB1]),
    ],
    # Resource Graph marks its answer truncated: not trusted, each subscription is listed from ARM.
    "fleet_graph_truncated": [
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1")], total=2, truncated=True),
        sub_clusters(SUB, ("rg1", "c1")),
        sub_clusters(SUB3, ("rg6", "c6")),
        sub_bindings(SUB, "rg1", "c1", [IB1]),
        sub_bindings(SUB3, "rg6", "c6", [IB6]),
    ],
    # --all-subscriptions -g rg1: Resource Graph lists every cluster; only those of group rg1 (any casing)
    # are read
    "fleet_all_graph_group": [
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB, "rg2", "c2"),
                                 graph_row(SUB3, "RG1", "c7", id_casing=lambda i: i.replace("/RG1/", "/Rg1/")),
                                 graph_row(SUB3, "rg6", "c6")]),
        sub_bindings(SUB, "rg1", "c1", [IB1]),
        sub_bindings(SUB3, "Rg1", "c7"),
    ],
    # one subscription, -g of a group that does not exist: not found (exit 3), as before issue 13
    "fleet_group_not_found": [
        hit("GET", f"{ARM}/subscriptions/{SUB}/resourceGroups/nogroup/providers/Microsoft.ContainerService/"
                   f"managedClusters?{CLUSTERS_API}", 404,
            error("ResourceGroupNotFound", "Resource group 'nogroup' could not be found.")),
    ],
    # list --cluster-name with one --subscription: the cluster of that subscription
    "list_other_subscription": [
        sub_bindings(SUB2, RG, CLUSTER, [binding()]),
    ],
    # The identity is bound on a cluster of a THIRD subscription (neither the current one nor the
    # identity's): the credential stays, and no DELETE is sent.
    "cleanup_fic_third_subscription": [
        hit("GET", FIC_URL, 200, FIC),
        subscriptions((SUB, "Platform"), (SUB2, "Team A"), (SUB3, "Team B")),
        graph_page((SUB, SUB2, SUB3),
                   [graph_row(SUB, "rg1", "c1"), graph_row(SUB2, "rg5", "c5"), graph_row(SUB3, "rg6", "c6")]),
        sub_bindings(SUB, "rg1", "c1"),
        sub_bindings(SUB2, "rg5", "c5"),
        sub_bindings(SUB3, "rg6", "c6", [IB6]),
    ],
    # Every visible subscription scanned (Resource Graph), nothing bound; before deleting, each
    # subscription's clusters are listed from ARM (the same ones: nothing added); re-read, then delete.
    "cleanup_fic_all_subscriptions_deletes": [
        hit("GET", FIC_URL, 200, FIC),
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB3, "rg6", "c6")]),
        sub_bindings(SUB, "rg1", "c1"),
        sub_bindings(SUB3, "rg6", "c6", [binding(name="x", rg="rg6", cluster="c6", identity_id=OTHER_IDENTITY_ID)]),
        sub_clusters(SUB, ("rg1", "c1")),
        sub_clusters(SUB3, ("rg6", "c6")),
        hit("GET", FIC_URL, 200, FIC),
        hit("DELETE", FIC_URL, 200),
    ],
    # Resource Graph has not indexed c7 yet (created a minute ago in SUB3, with a binding of the identity):
    # the scan of what it returned finds nothing, ARM's own list of SUB3 (two pages) has c7, c7 is scanned,
    # and the credential stays: no second read of it, no DELETE.
    "cleanup_fic_index_lag_keeps": [
        hit("GET", FIC_URL, 200, FIC),
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB3, "rg6", "c6")]),
        sub_bindings(SUB, "rg1", "c1"),
        sub_bindings(SUB3, "rg6", "c6"),
        sub_clusters(SUB, ("rg1", "c1")),
        hit("GET", CLUSTERS.replace(SUB, SUB3), 200,
            {"value": [sub_cluster(SUB3, "rg6", "c6")], "nextLink": CLUSTERS_PAGE2.replace(SUB, SUB3)}),
        hit("GET", CLUSTERS_PAGE2.replace(SUB, SUB3), 200, {"value": [sub_cluster(SUB3, "rg7", "c7")]}),
        sub_bindings(SUB3, "rg7", "c7", [binding(name="ib7", rg="rg7", cluster="c7")]),
    ],
    # A Disabled subscription, and one whose clusters cannot be listed (Resource Graph forbidden, so per
    # subscription): both named, the credential kept with doubt (exit 1).
    "cleanup_fic_subscription_unreadable": [
        hit("GET", FIC_URL, 200, FIC),
        subscriptions((SUB, "Platform"), (SUB3, "Team B"), (SUB4, "Old", "Disabled")),
        graph_hit((SUB, SUB3), 403, ARG_FORBIDDEN),
        sub_clusters(SUB, ("rg1", "c1")),
        hit("GET", CLUSTERS.replace(SUB, SUB3), 403, CLUSTERS_403),
        sub_bindings(SUB, "rg1", "c1"),
    ],
}
CASSETTES.update(SCALE_CASSETTES)

# -- the fleet view with managedBy (list --show-managed-by without --cluster-name): preview reads -----
FLEET2_PROFILE_ID = (f"/subscriptions/{SUB3}/resourceGroups/fleet2-rg/providers/Microsoft.ContainerService/fleets/"
                     "fleet2/identityBindingProfiles/profile2")
MANAGED_BY_CASSETTES = {
    # --subscription A B: c1 and c6 bound by fleet1's profile1 (its fleet in A, the member c6 in B), c7 by
    # fleet2's profile2, c2 by hand (no managedBy); c1 also holds another identity's binding (not listed).
    "fleet_managed_by_two_subscriptions": [
        subscriptions((SUB, "Platform"), (SUB3, "Team B")),
        graph_page((SUB, SUB3), [graph_row(SUB, "rg1", "c1"), graph_row(SUB, "rg2", "c2"), graph_row(SUB3, "rg6", "c6"),
                   graph_row(SUB3, "rg7", "c7")]),
        sub_bindings(SUB, "rg1", "c1", [binding(name="ib1", rg="rg1", cluster="c1", managed_by=FLEET_PROFILE_ID),
                                        binding(name="other", rg="rg1", cluster="c1", identity_id=OTHER_IDENTITY_ID)],
                     preview=True),
        sub_bindings(SUB, "rg2", "c2", [binding(name="ib2", rg="rg2", cluster="c2")], preview=True),
        sub_bindings(SUB3, "rg6", "c6", [binding(name="ib6", rg="rg6", cluster="c6", managed_by=FLEET_PROFILE_ID)],
                     preview=True),
        sub_bindings(SUB3, "rg7", "c7", [binding(name="ib7", rg="rg7", cluster="c7", managed_by=FLEET2_PROFILE_ID)],
                     preview=True),
    ],
    # one subscription, read with the preview api-version, and nothing manages the bindings: no managedBy
    "fleet_managed_by_none": fleet(preview=True),
    # a region without the preview: every cluster would answer so; the first answer ends the scan
    "fleet_managed_by_no_preview": fleet({name: [hit("GET", cluster_bindings_url(rg, name).replace(
        f"?{API}", f"?{PREVIEW}"), 400, not_offered(BINDINGS_PREVIEW_API_VERSION, GA_VERSIONS))] for rg, name in FLEET},
        preview=True),
}
CASSETTES.update(MANAGED_BY_CASSETTES)


# -- `check --target-resource`: a Key Vault (or another resource), role assignments, role definitions --
# Microsoft.KeyVault/vaults GET at KEYVAULT_API_VERSION; Microsoft.Authorization RoleAssignments_ListForScope
# with $filter=principalId eq '{id}' (assignments at, above and below the scope; pages joined by
# nextLink, which repeats the filter and adds $skipToken) and RoleDefinitions_GetById at
# AUTHORIZATION_API_VERSION, from the REST API reference's examples; built-in role ids and permissions
# as Azure publishes them.
AUTHZ_API = f"api-version={AUTHORIZATION_API_VERSION}"
SAFE = "$'"  # as ARM writes a nextLink's query: $filter=principalId%20eq%20'OBJECT_ID'&...
VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{VAULT_TYPE}/kv1"
VAULT_URL = f"{ARM}{VAULT_ID}?api-version={KEYVAULT_API_VERSION}"
STORAGE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/st1"
ROLE_DEFINITIONS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"
# name: (role definition GUID, type, actions, dataActions, notDataActions)
ROLES = {
    "Reader": ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "BuiltInRole", ["*/read"], [], []),
    "Key Vault Secrets User": ("4633458b-17de-408a-b874-0445c86b69e6", "BuiltInRole", [], [
        "Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
        []),
    "Key Vault Reader": ("21090545-7ca7-4776-b22c-e363652d74d2", "BuiltInRole", [
        "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
        "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
        "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
        "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"],
        ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"], []),
    "Storage Blob Data Reader": ("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "BuiltInRole", [
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
        ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"], []),
    # custom roles of the subscription
    "kv-data-all": ("5d3c1b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d", "CustomRole", [], ["Microsoft.KeyVault/vaults/*"], []),
    "kv-data-no-secrets": ("6e4d2c8b-0f3a-4b7c-9d1e-2f3a4b5c6d7e", "CustomRole", [],
                           ["Microsoft.KeyVault/vaults/*"], ["Microsoft.KeyVault/vaults/secrets/getSecret/action"]),
}


def role_definition(name):
    guid, kind, actions, data_actions, not_data_actions = ROLES[name]
    return {"properties": {"roleName": name, "type": kind, "description": f"{name} (recorded shape)",
                           "assignableScopes": ["/"] if kind == "BuiltInRole" else [f"/subscriptions/{SUB}"],
                           "permissions": [{"actions": actions, "notActions": [], "dataActions": data_actions,
                                            "notDataActions": not_data_actions}],
                           "createdOn": "2020-03-27T18:33:41.0000000Z", "updatedOn": "2025-06-11T15:02:10.0000000Z",
                           "createdBy": None, "updatedBy": None},
            "id": f"{ROLE_DEFINITIONS}/{guid}", "type": "Microsoft.Authorization/roleDefinitions", "name": guid}


def role_definition_hit(name):
    return hit("GET", f"{ARM}{ROLE_DEFINITIONS}/{ROLES[name][0]}?{AUTHZ_API}", 200, role_definition(name))


def role_assignment(name, scope, number):
    assignment = f"b{number:07d}-0000-4000-8000-000000000000"[:36]
    return {"properties": {"roleDefinitionId": f"{ROLE_DEFINITIONS}/{ROLES[name][0]}", "principalId": OBJECT_ID,
                           "principalType": "ServicePrincipal", "scope": scope, "condition": None,
                           "conditionVersion": None, "createdOn": "2026-11-19T08:00:00.0000000Z",
                           "updatedOn": "2026-11-19T08:00:00.0000000Z",
                           "createdBy": "9a8b7c6d-0000-4000-8000-000000000000",
                           "updatedBy": "9a8b7c6d-0000-4000-8000-000000000000",
                           "delegatedManagedIdentityResourceId": None, "description": None},
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment}",
            "type": "Microsoft.Authorization/roleAssignments", "name": assignment}


def assignments_url(scope, skip_token=None):
    query = {"$filter": f"principalId eq '{OBJECT_ID}'", "api-version": AUTHORIZATION_API_VERSION}
    if skip_token:
        query["$skipToken"] = skip_token
    return f"{ARM}{scope}/providers/Microsoft.Authorization/roleAssignments?{urlencode(query, quote_via=quote, safe=SAFE)}"


def assignments_hits(scope, *pages):
    """The list of the principal's role assignments at `scope`, one hit per page, joined by nextLink."""
    hits = []
    for n, page in enumerate(pages):
        body = {"value": page}
        if n + 1 < len(pages):
            body["nextLink"] = assignments_url(scope, f"cGFnZ{n + 2}")
        hits.append(hit("GET", assignments_url(scope, f"cGFnZ{n + 1}" if n else None), 200, body))
    return hits


def vault(rbac=True, policies=()):
    return {"id": VAULT_ID, "name": "kv1", "type": VAULT_TYPE, "location": "eastus2", "tags": {},
            "properties": {"sku": {"family": "A", "name": "standard"}, "tenantId": TENANT,
                           "accessPolicies": list(policies), "enabledForDeployment": False,
                           "enabledForDiskEncryption": False, "enabledForTemplateDeployment": False,
                           "enableSoftDelete": True, "softDeleteRetentionInDays": 90,
                           "enableRbacAuthorization": rbac, "vaultUri": "https://kv1.vault.azure.net/",
                           "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled"}}


def access_policy(object_id=OBJECT_ID, secrets=(), keys=(), certificates=()):
    return {"tenantId": TENANT, "objectId": object_id,
            "permissions": {"keys": list(keys), "secrets": list(secrets), "certificates": list(certificates)}}


def target_case(target_hits):
    """The check of a binding (Azure only) plus the reads of --target-resource."""
    return check_case(**ARM_ONLY) + target_hits


RBAC_VAULT = hit("GET", VAULT_URL, 200, vault())
RG_SCOPE = f"/subscriptions/{SUB}/resourceGroups/{RG}"
ASSIGNMENTS_FORBIDDEN = error(
    "AuthorizationFailed", "The client 'dev@contoso.com' with object id '9a8b7c6d-0000-4000-8000-000000000000' does "
    "not have authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over scope "
    f"'{VAULT_ID}/providers/Microsoft.Authorization' or the scope is invalid. If access was recently granted, "
    "please refresh your credentials.")
TARGET_CASSETTES = {
    # two pages: Reader at the group (no data actions), then Key Vault Secrets User at the vault
    "check_target_rbac_pass": target_case([
        RBAC_VAULT, *assignments_hits(VAULT_ID, [role_assignment("Reader", RG_SCOPE, 1)],
                                      [role_assignment("Key Vault Secrets User", VAULT_ID, 2)]),
        role_definition_hit("Reader"), role_definition_hit("Key Vault Secrets User")]),
    # Key Vault Reader reads metadata (and keys: vaults/*/read), never a secret's value
    "check_target_rbac_missing": target_case([
        RBAC_VAULT, *assignments_hits(VAULT_ID, [role_assignment("Key Vault Reader", VAULT_ID, 1)]),
        role_definition_hit("Key Vault Reader")]),
    "check_target_rbac_subscription": target_case([
        RBAC_VAULT, *assignments_hits(VAULT_ID, [role_assignment("Key Vault Secrets User", f"/subscriptions/{SUB}", 1)]),
        role_definition_hit("Key Vault Secrets User")]),
    "check_target_custom_wildcard": target_case([
        RBAC_VAULT, *assignments_hits(VAULT_ID, [role_assignment("kv-data-all", RG_SCOPE, 1)]),
        role_definition_hit("kv-data-all")]),
    "check_target_not_data_actions": target_case([
        RBAC_VAULT, *assignments_hits(VAULT_ID, [role_assignment("kv-data-no-secrets", RG_SCOPE, 1)]),
        role_definition_hit("kv-data-no-secrets")]),
    # access policies: the portal writes permission names capitalised; no role assignment is read
    "check_target_policy_pass": target_case([hit("GET", VAULT_URL, 200, vault(rbac=False, policies=[
        access_policy("9a8b7c6d-0000-4000-8000-000000000000", secrets=["all"]),
        access_policy(secrets=["Get", "List"])]))]),
    "check_target_policy_fail": target_case([hit("GET", VAULT_URL, 200, vault(rbac=False, policies=[
        access_policy("9a8b7c6d-0000-4000-8000-000000000000", secrets=["all"]),
        access_policy(secrets=["list"], keys=["get"])]))]),
    "check_target_assignments_forbidden": target_case([
        RBAC_VAULT, hit("GET", assignments_url(VAULT_ID), 403, ASSIGNMENTS_FORBIDDEN)]),
    "check_target_vault_missing": target_case([
        hit("GET", VAULT_URL, 404, not_found(f"{VAULT_TYPE}/kv1"))]),
    # another kind of resource: nothing but the role assignments is read
    "check_target_other_pass": target_case([
        *assignments_hits(STORAGE_ID, [role_assignment("Storage Blob Data Reader", STORAGE_ID, 1)]),
        role_definition_hit("Storage Blob Data Reader")]),
    "check_target_other_none": target_case([*assignments_hits(STORAGE_ID, [])]),
    # the vault cannot be read: a skip
    "check_target_vault_forbidden": target_case([hit("GET", VAULT_URL, 403, error(
        "AuthorizationFailed", "The client 'dev@contoso.com' with object id '9a8b7c6d-0000-4000-8000-000000000000' "
        f"does not have authorization to perform action 'Microsoft.KeyVault/vaults/read' over scope '{VAULT_ID}' or "
        "the scope is invalid."))]),
    "check_target_other_forbidden": target_case([hit("GET", assignments_url(STORAGE_ID), 403, ASSIGNMENTS_FORBIDDEN)]),
    # no binding and no identity: the principal is not known, nothing about the target is read
    "check_target_principal_unknown": check_case({"binding": hit("GET", CHECK_ITEM, 404, BINDING_404), "identity": None,
                                                  "fics": None}, **ARM_ONLY),
}
CASSETTES.update(TARGET_CASSETTES)


# -- migrate (issue 18): an identity's workload FICs, the clusters' issuers, bindings to create ------
# FederatedIdentityCredentials_List at IDENTITY_API_VERSION (pages joined by nextLink with $skiptoken);
# clusters from ARM's list of one subscription (properties.oidcIssuerProfile.issuerURL, ...) or from
# Resource Graph (CLUSTER_ISSUERS_QUERY / IDENTITIES_QUERY, objectArray rows); FIC GET then DELETE -> 200.
from azext_identitybinding.arm.client import CLUSTER_ISSUERS_QUERY, GRAPH_PAGE, IDENTITIES_QUERY  # noqa: E402
from azext_identitybinding.migrate.plan import binding_name  # noqa: E402


def issuer(guid, region="eastus2"):
    return f"https://{region}.oic.prod-aks.azure.com/{TENANT}/{guid}/"


I1, I2, I3, I4 = (issuer(g) for g in ("6a1f0c3e-1111-4a2b-9c3d-000000000001", "6a1f0c3e-2222-4a2b-9c3d-000000000002",
                                      "6a1f0c3e-3333-4a2b-9c3d-000000000003", "6a1f0c3e-4444-4a2b-9c3d-000000000004"))
I5 = issuer("6a1f0c3e-5555-4a2b-9c3d-000000000005", "westeurope")
DELETED_ISSUER = issuer("6a1f0c3e-9999-4a2b-9c3d-000000000009", "westeurope")
EKS_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/5F3A1B2C3D4E5F60718293A4B5C6D7E8"
GEN = binding_name(IDENTITY_ID)
MIG_CLUSTERS = [("rg1", "c1", I1, True), ("rg2", "c2", I2, True), ("rg2", "c3", I3, False), ("rg3", "c4", I4, True)]


def fic(name, fic_issuer, subject, audiences=("api://AzureADTokenExchange",), identity=IDENTITY_ID):
    return {"id": f"{identity}/federatedIdentityCredentials/{name}", "name": name,
            "type": f"{IDENTITY_TYPE}/federatedIdentityCredentials",
            "properties": {"issuer": fic_issuer, "subject": subject, "audiences": list(audiences)}}


def sa(namespace, name):
    return f"system:serviceaccount:{namespace}:{name}"


MIG_FICS = [
    fic("web-c1", I1, sa("demo", "web")), fic("api-c1", I1, sa("demo", "api")), fic("web-c2", I2, sa("demo", "web")),
    fic("jobs-c3", I3, sa("batch", "jobs")),
    fic("web-slash", I1.rstrip("/"), sa("demo", "web2")),             # (b) never worked
    fic("old-cluster", DELETED_ISSUER, sa("demo", "old")),            # (c) a deleted cluster
    OTHER_FIC,                                                        # (d) GitHub Actions
    fic("eks-app", EKS_ISSUER, sa("default", "app")),                 # (d) another Kubernetes
    FIC,                                                              # (e) the binding's own
    fic("colons", I2, "system:serviceaccount:a:b:c"),                 # a visible issuer, not one account
]
FICS_PAGE2 = f"{FICS_URL}&$skiptoken=cGFnZTI%3D"


def fic_pages(fics=MIG_FICS, split=5):
    return [hit("GET", FICS_URL, 200, {"value": fics[:split], "nextLink": FICS_PAGE2}),
            hit("GET", FICS_PAGE2, 200, {"value": fics[split:]})]


def issuer_cluster(rg, name, cluster_issuer, ready=True, sub=SUB):
    found = sub_cluster(sub, rg, name)
    found["properties"] = {**found["properties"], "oidcIssuerProfile": {"enabled": True, "issuerURL": cluster_issuer},
                           "securityProfile": {"workloadIdentity": {"enabled": ready}}}
    return found


def mig_clusters(clusters=MIG_CLUSTERS):
    return hit("GET", CLUSTERS, 200, {"value": [issuer_cluster(rg, name, i, ready) for rg, name, i, ready in clusters]})


def issuer_row(sub, rg, name, cluster_issuer, ready=True, cluster_id=None):
    return {"id": cluster_id or sub_cluster(sub, rg, name)["id"], "name": name, "resourceGroup": rg,
            "subscriptionId": sub, "issuer": cluster_issuer, "oidcIssuerEnabled": True,
            "workloadIdentityEnabled": ready, "vnetIntegration": None}


def graph_sent(query, subs):
    return graph_query(subs, query=query)


def migrate_graph(query, subs, rows):
    """One answered page of a migrate query (cluster issuers, identities) over `subs`."""
    return graph_page(subs, rows, query=query)


def mig_binding(rg, name, binding_name_=GEN, state="Succeeded", identity_id=IDENTITY_ID, sub=SUB):
    found = binding(name=binding_name_, rg=rg, cluster=name, state=state, identity_id=identity_id)
    found["id"] = found["id"].replace(SUB, sub)
    return found


def mig_bindings(c1=(mig_binding("rg1", "c1", "ib1"), mig_binding("rg1", "c1", "other", identity_id=OTHER_IDENTITY_ID)),
                 c2=(), c3=()):
    return [sub_bindings(SUB, "rg1", "c1", c1), sub_bindings(SUB, "rg2", "c2", c2), sub_bindings(SUB, "rg2", "c3", c3)]


def mig_reads(c2=()):
    """What plan reads: the FICs (two pages), the clusters of the subscription, the bindings of c1-c3 only."""
    return [*fic_pages(), mig_clusters(), *mig_bindings(c2=c2)]


GEN_URL = f"{sub_bindings_url(SUB, 'rg2', 'c2').split('?')[0]}/{GEN}?{API}"
GEN_BODY = {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}}}
C2_BOUND = (mig_binding("rg2", "c2"),)


def fic_item_url(name):
    return f"{ARM}{IDENTITY_ID}/federatedIdentityCredentials/{name}?{MSI_API}"


WEB_C2 = MIG_FICS[2]
MIG_NS_PODS = "/api/v1/namespaces/demo/pods"


def pods_of(account, pods):
    return kube_hit("GET", MIG_NS_PODS, 200, kube_list("PodList", "v1", pods),
                    query=f"fieldSelector=spec.serviceAccountName%3D{account}")


IDENTITY2_ID = OTHER_IDENTITY_ID
IDENTITY3_ID = IDENTITY_ID.replace(SUB, SUB2).replace("identity1", "identity3")
FULL_FICS = [fic(f"wl-{n:02d}", I1, sa("team", f"sa{n}"), identity=IDENTITY2_ID) for n in range(20)]


def identity_resource(identity_id, client_id):
    return {"id": identity_id, "name": identity_id.rsplit("/", 1)[1], "type": IDENTITY_TYPE, "location": "eastus2",
            "properties": {"tenantId": TENANT, "principalId": OBJECT_ID, "clientId": client_id}}


def identity_row(identity_id):
    return {"id": identity_id, "name": identity_id.rsplit("/", 1)[1], "resourceGroup": "identity-rg",
            "subscriptionId": identity_id.split("/")[2], "clientId": CLIENT_ID}


def fics_of(identity_id, fics, status=200):
    body = {"value": fics} if status == 200 else error("AuthorizationFailed", "The client 'admin@example.com' does not "
                                                       "have authorization to perform action 'Microsoft.Managed"
                                                       "Identity/userAssignedIdentities/federatedIdentityCredentials/"
                                                       "read'.")
    return hit("GET", f"{ARM}{identity_id}/federatedIdentityCredentials?{MSI_API}", status, body)


HOSTILE_FICS = [
    {**fic("placeholder", I1, sa("demo", "x")), "name": ".."},
    {**fic("placeholder", I1, sa("demo", "y")), "name": "a/b"},
    {**fic("placeholder", I1, sa("demo", "z")), "name": "n" * 10000},
    fic("long-subject", I1, sa("demo", "s" * 10000)),
    fic("colons", I1, "system:serviceaccount:a:b:c"),
    fic("dotdot-sa", I1, "system:serviceaccount:..:web"),
    {**fic("wrong-types", I1, sa("demo", "w")), "properties": {"issuer": 42, "subject": ["x"], "audiences": "a"}},
    "not an object",
    fic("web-c1", I1, sa("demo", "web")),
]

MIGRATE_CASSETTES = {
    "migrate_plan": mig_reads(),
    # --all-subscriptions: the subscriptions, then Resource Graph's clusters with their issuers (one query)
    "migrate_plan_all_subscriptions": [
        *fic_pages(),
        subscriptions((SUB, "Platform"), (SUB2, "Team A")),
        migrate_graph(CLUSTER_ISSUERS_QUERY, [SUB, SUB2], [
            issuer_row(SUB, "rg1", "c1", I1), issuer_row(SUB, "rg2", "c2", I2), issuer_row(SUB, "rg2", "c3", I3, False),
            issuer_row(SUB2, "rg5", "c5", DELETED_ISSUER),
            issuer_row(SUB2, "rg5", "evil", I4, cluster_id=f"/subscriptions/{SUB2}/resourceGroups/rg5/providers/"
                                                           "Microsoft.ContainerService/managedClusters/.."),
        ]),
        *mig_bindings(),
        sub_bindings(SUB2, "rg5", "c5"),
    ],
    "migrate_plan_identity_not_found": [
        hit("GET", FICS_URL, 404, IDENTITY_404), mig_clusters(),
    ],
    "migrate_plan_manifests": [*mig_reads(), hit("GET", IDENTITY_URL, 200, IDENTITY)],
    "migrate_plan_hostile": [hit("GET", FICS_URL, 200, {"value": HOSTILE_FICS}), mig_clusters(), *mig_bindings()[:1]],
    "migrate_plan_foreign_next_link": [
        hit("GET", FICS_URL, 200, {"value": MIG_FICS[:2], "nextLink": "https://attacker.example.com/steal?x=1"}),
    ],
    "migrate_apply": [
        *mig_reads(),
        hit("PUT", GEN_URL, 201, mig_binding("rg2", "c2", state="Creating"), {"Azure-AsyncOperation": OPERATION},
            sent=GEN_BODY),
        hit("GET", OPERATION, 200, op_status("Succeeded")),
        hit("GET", GEN_URL, 200, mig_binding("rg2", "c2")),
    ],
    "migrate_apply_no_wait": [
        *mig_reads(),
        hit("PUT", GEN_URL, 201, mig_binding("rg2", "c2", state="Creating"), {"Azure-AsyncOperation": OPERATION},
            sent=GEN_BODY),
    ],
    "migrate_apply_again": mig_reads(c2=C2_BOUND),
    "migrate_apply_forbidden": [
        *mig_reads(),
        hit("PUT", GEN_URL, 403, error("AuthorizationFailed", "The client 'admin@example.com' with object id "
                                       "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform "
                                       "action 'Microsoft.ContainerService/managedClusters/identityBindings/write'."),
            sent=GEN_BODY),
    ],
    "migrate_retire_named": [
        *mig_reads(c2=C2_BOUND),
        hit("GET", fic_item_url("web-c2"), 200, WEB_C2),
        hit("DELETE", fic_item_url("web-c2"), 200),
    ],
    "migrate_retire_changed": [
        *mig_reads(c2=C2_BOUND),
        hit("GET", fic_item_url("web-c2"), 200, fic("web-c2", I2, sa("demo", "web-new"))),
    ],
    "migrate_retire_reads_only": mig_reads(c2=C2_BOUND),
    # two clusters named c1 (in two subscriptions): a kubeconfig context cannot be both
    "migrate_retire_two_named_c1": [
        *fic_pages(),
        subscriptions((SUB, "Platform"), (SUB2, "Team A")),
        migrate_graph(CLUSTER_ISSUERS_QUERY, [SUB, SUB2], [
            issuer_row(SUB, "rg1", "c1", I1), issuer_row(SUB, "rg2", "c2", I2), issuer_row(SUB, "rg2", "c3", I3, False),
            issuer_row(SUB2, "rg9", "c1", DELETED_ISSUER)]),
        *mig_bindings(),
        sub_bindings(SUB2, "rg9", "c1"),
    ],
    "migrate_retire_kube": [
        *mig_reads(),
        pods_of("api", [pod(env=PLAIN_WI_ENV, annotated=False)]),
        pods_of("web", [pod(), pod()]),
        hit("GET", fic_item_url("web-c1"), 200, MIG_FICS[0]),
        hit("DELETE", fic_item_url("web-c1"), 200),
    ],
    # audit over two subscriptions: the subscriptions, Resource Graph's identities, then its clusters
    # (both POSTs to the same URL, told apart by their bodies), then each identity's FICs.
    "migrate_audit": [
        subscriptions((SUB, "Platform"), (SUB2, "Team A")),
        migrate_graph(IDENTITIES_QUERY, [SUB, SUB2],
                      [identity_row(IDENTITY_ID), identity_row(IDENTITY2_ID), identity_row(IDENTITY3_ID)]),
        migrate_graph(CLUSTER_ISSUERS_QUERY, [SUB, SUB2], [
            issuer_row(SUB, "rg1", "c1", I1), issuer_row(SUB, "rg2", "c2", I2), issuer_row(SUB, "rg2", "c3", I3, False)]),
        *fic_pages(),
        fics_of(IDENTITY2_ID, FULL_FICS),
        fics_of(IDENTITY3_ID, [fic("gh", "https://token.actions.githubusercontent.com", "repo:contoso/app:ref:main",
                                   identity=IDENTITY3_ID)]),
    ],
    # --count-bindings: the same, then every cluster's bindings (ib1 of identity1 and one of identity2 on
    # c1, identity1's on c2)
    "migrate_audit_bindings": [
        subscriptions((SUB, "Platform"), (SUB2, "Team A")),
        migrate_graph(IDENTITIES_QUERY, [SUB, SUB2],
                      [identity_row(IDENTITY_ID), identity_row(IDENTITY2_ID), identity_row(IDENTITY3_ID)]),
        migrate_graph(CLUSTER_ISSUERS_QUERY, [SUB, SUB2], [
            issuer_row(SUB, "rg1", "c1", I1), issuer_row(SUB, "rg2", "c2", I2), issuer_row(SUB, "rg2", "c3", I3, False)]),
        *mig_bindings(c2=C2_BOUND),
        *fic_pages(),
        fics_of(IDENTITY2_ID, FULL_FICS),
        fics_of(IDENTITY3_ID, []),
    ],
    # Resource Graph forbidden: each subscription's identities, then clusters, from ARM; one identity's
    # FICs cannot be read (named, exit 1).
    "migrate_audit_fallback": [
        subscriptions((SUB, "Platform"), (SUB2, "Team A")),
        hit("POST", GRAPH, 403, ARG_FORBIDDEN, sent=graph_sent(IDENTITIES_QUERY, [SUB, SUB2])),
        hit("GET", f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{MSI_API}",
            200, {"value": [identity_resource(IDENTITY_ID, CLIENT_ID), identity_resource(IDENTITY2_ID, CLIENT_ID)]}),
        hit("GET", f"{ARM}/subscriptions/{SUB2}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?{MSI_API}",
            200, {"value": [identity_resource(IDENTITY3_ID, CLIENT_ID)]}),
        hit("POST", GRAPH, 403, ARG_FORBIDDEN, sent=graph_sent(CLUSTER_ISSUERS_QUERY, [SUB, SUB2])),
        mig_clusters(),
        sub_clusters(SUB2),
        *fic_pages(),
        fics_of(IDENTITY2_ID, FULL_FICS),
        fics_of(IDENTITY3_ID, [], status=403),
    ],
}
CASSETTES.update(MIGRATE_CASSETTES)


def render():
    """{cassette name: its YAML text}: what main() writes, and what tests/test_cassettes.py compares."""
    return {name: yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False, width=120)
            for name, interactions in CASSETTES.items()}


def main():
    cassettes = render()
    for name, text in cassettes.items():
        (HERE / f"{name}.yaml").write_text(text)
    print(f"wrote {len(cassettes)} cassettes")


if __name__ == "__main__":
    main()
