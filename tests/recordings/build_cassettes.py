"""Writes the playback cassettes in this folder.

There is no Azure subscription on the build machines, so the cassettes are built by hand from
the official REST examples (Microsoft.ContainerService 2026-04-01/2026-07-02-preview
IdentityBindings_*.json) and from what the live service was seen to do (see the project's
reference notes): PUT -> 201 with only Azure-AsyncOperation, polled InProgress -> Succeeded, then
GET; DELETE -> 202 with only Location, polled 202 -> 204; list pages joined by nextLink; errors
in the ARM {"error": {"code", "message"}} shape. Recording against a real subscription
(IB_RECORD=1, see README) overwrites them with real, scrubbed traffic.

Run: python tests/recordings/build_cassettes.py
"""
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playback import ARM, CLUSTER, IDENTITY_ID, RG, SUB, TENANT  # noqa: E402

HERE = Path(__file__).resolve().parent
API = "api-version=2026-06-01"
NAME = "identitybinding1"
CLIENT_ID = "3f2b8c4e-9a1d-4e6f-8b7a-2c5d9e0f1a3b"
OBJECT_ID = "7c1e5a9d-2b4f-4c8e-a6d3-9f0b1e2c3d4a"
OTHER_IDENTITY_ID = IDENTITY_ID.replace("identity1", "identity2")
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
            rg=RG, cluster=CLUSTER, subjects=None):
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

IDENTITY_URL = f"{ARM}{IDENTITY_ID}?api-version=2024-11-30"
IDENTITY = {
    "id": IDENTITY_ID, "name": "identity1", "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "location": "eastus2", "tags": {},
    "properties": {"tenantId": TENANT, "principalId": OBJECT_ID, "clientId": CLIENT_ID},
}

# -- fleet: four clusters in three groups, two pages; identity1 is bound on c1 and c3 ------------
FLEET = [("rg1", "c1"), ("rg2", "c2"), ("rg2", "c3"), ("rg3", "c4")]
CLUSTERS = f"{ARM}/subscriptions/{SUB}/providers/Microsoft.ContainerService/managedClusters?{API}"
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
    # same identity, with the casing another caller used
    "c3": [binding(name="ib3", rg="rg2", cluster="c3", identity_id=IDENTITY_ID.lower())],
    "c4": [],
}
FORBIDDEN_C2 = error("AuthorizationFailed", "The client 'admin@example.com' with object id "
                     "'9a8b7c6d-0000-4000-8000-000000000000' does not have authorization to perform action "
                     "'Microsoft.ContainerService/managedClusters/identityBindings/read' over scope "
                     f"'/subscriptions/{SUB}/resourceGroups/rg2/providers/Microsoft.ContainerService/"
                     "managedClusters/c2' or the scope is invalid.")


def fleet(overrides=None, bindings=FLEET_BINDINGS):
    """The cluster list (two pages) and one bindings list per cluster; overrides replace a cluster's hits."""
    overrides = overrides or {}
    hits = [hit("GET", CLUSTERS, 200, {"value": [cluster(*c) for c in FLEET[:2]], "nextLink": CLUSTERS_PAGE2}),
            hit("GET", CLUSTERS_PAGE2, 200, {"value": [cluster(*c) for c in FLEET[2:]]})]
    for rg, name in FLEET:
        hits += overrides.get(name) or [hit("GET", cluster_bindings_url(rg, name), 200, {"value": bindings[name]})]
    return hits


FIC_URL = f"{ARM}{IDENTITY_ID}/federatedIdentityCredentials/aks-identity-binding?api-version=2024-11-30"
FIC = {"id": f"{IDENTITY_ID}/federatedIdentityCredentials/aks-identity-binding", "name": "aks-identity-binding",
       "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
       "properties": {"issuer": f"https://ib.oic.prod-aks.azure.com/{TENANT}/{CLIENT_ID}",
                      "subject": "aks-identity-binding", "audiences": ["api://AKSIdentityBinding"]}}
UNUSED = {**FLEET_BINDINGS, "c1": FLEET_BINDINGS["c1"][1:], "c3": []}  # identity1 bound nowhere

PREVIEW = "api-version=2026-08-02-preview"
PREVIEW_ITEM = f"{BINDINGS}/{NAME}?{PREVIEW}"
OLD_SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-a"]}}]
NEW_SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-b"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}},
                {"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-c"]},
                 "serviceAccountSelector": {"matchLabels": ["app=api"]}}]
UPDATE_BODY = {"properties": {"managedIdentity": {"resourceId": IDENTITY_ID}, "allowedSubjects": NEW_SUBJECTS}}

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
            "message": "Cannot create federated identity credential 'aks-identity-binding': the identity "
                       "already has the maximum of 20 federated identity credentials."})),
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
    "delete_lro": [
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
        hit("GET", RESULT, 202),
        hit("GET", RESULT, 204),
    ],
    "delete_no_wait": [
        hit("DELETE", ITEM, 202, binding(state="Deleting", etag="3"), {"Location": RESULT}),
    ],
    "delete_missing": [
        hit("DELETE", ITEM, 204),
    ],
    "delete_conflict": [
        hit("DELETE", ITEM, 409, error(
            "OperationNotAllowed",
            "Operation is not allowed because there's an in progress update managed cluster operation "
            "on the managed cluster started at 2026-11-20T09:58:00Z.")),
    ],
    "delete_cluster_not_found": [
        hit("DELETE", ITEM, 404, CLUSTER_404),
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
                   f"managedClusters?{API}", 200, {"value": [cluster("rg2", "c2"), cluster("rg2", "c3")]}),
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
        hit("GET", FIC_URL, 404, error("NotFound", "Federated identity credential 'aks-identity-binding' not found.")),
    ],
    "delete_cleanup_fic": [
        hit("GET", f"{BINDINGS}/ib1?{API}".replace(f"/{RG}/", "/rg1/").replace(f"/{CLUSTER}/", "/c1/"), 200,
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
    "update_if_match": [
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="1")),
        hit("PUT", PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, state="Updating", etag="2"),
            {"Azure-AsyncOperation": OPERATION.replace("operations/0d4f", "operations/1e5a")}, sent=UPDATE_BODY),
        hit("GET", OPERATION.replace("operations/0d4f", "operations/1e5a"), 200, op_status("Succeeded")),
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=NEW_SUBJECTS, etag="3")),
    ],
    "update_precondition_failed": [
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=OLD_SUBJECTS, etag="1")),
        hit("PUT", PREVIEW_ITEM, 412, error(
            "PreconditionFailed", "The specified precondition 'If-Match' failed: the resource was modified."),
            sent=UPDATE_BODY),
        hit("GET", PREVIEW_ITEM, 200, binding(subjects=[{"namespaceSelector": {"matchLabels": [
            "kubernetes.io/metadata.name=team-z"]}}], etag="4")),
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
        hit("GET", IDENTITY_URL, 404, error(
            "ResourceNotFound", "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/identity1' under "
            "resource group 'identity-rg' was not found. For more details please go to "
            "https://aka.ms/ARMResourceNotFoundFix")),
    ],
}


def main():
    for name, interactions in CASSETTES.items():
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, sort_keys=False, width=120)
        (HERE / f"{name}.yaml").write_text(text)
    print(f"wrote {len(CASSETTES)} cassettes")


if __name__ == "__main__":
    main()
