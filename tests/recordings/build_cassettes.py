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
               403: "Forbidden", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error",
               503: "Service Unavailable"}


def binding(name=NAME, state="Succeeded", identity_id=IDENTITY_ID, client_id=CLIENT_ID, etag="1"):
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
              f"managedClusters/{CLUSTER}/identityBindings/{name}",
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
