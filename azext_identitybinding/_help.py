"""Help text for `az aks identity-binding`."""
from knack.help_files import helps

_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/" \
      "Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity"

helps["aks identity-binding"] = """
type: group
short-summary: Share one user-assigned managed identity across many AKS clusters through identity bindings.
long-summary: |
    An identity binding lets the pods of a cluster get Microsoft Entra tokens for a
    user-assigned managed identity through the one federated credential that AKS keeps
    on the identity ('aks-identity-binding'), instead of one federated credential per
    cluster and service account (an identity has at most 20). Three steps:
    1. Bind the identity to the cluster: `az aks identity-binding create`.
    2. Authorize service accounts with a ClusterRole (verb 'use-managed-identity',
       API group 'cid.wi.aks.azure.com', resource: the identity's client id) and a
       ClusterRoleBinding.
    3. Annotate the service account with 'azure.workload.identity/client-id' and
       'azure.workload.identity/tenant-id'; give the pod template the label
       'azure.workload.identity/use: "true"' and the annotation
       'azure.workload.identity/use-identity-binding: "true"'.
    Exit codes: 0 success, 1 error, 2 invalid arguments, 3 not found.
"""

helps["aks identity-binding create"] = f"""
type: command
short-summary: Bind a user-assigned managed identity to a cluster.
long-summary: |
    Safe to re-run: when a binding of that name already binds the same identity, it
    is returned unchanged; when it binds another identity, the command fails and
    changes nothing (the identity of a binding cannot be changed). Waits for the
    operation to finish unless --no-wait is given. Needs the permission
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write'
    on the identity and 'Microsoft.ContainerService/managedClusters/write' on the cluster.
examples:
  - name: Bind an identity to a cluster and wait for it.
    text: az aks identity-binding create -g myGroup --cluster-name myCluster -n myidentitybinding --managed-identity-resource-id {_ID}
  - name: Look the identity up by name, bind it, and return without waiting.
    text: az aks identity-binding create -g myGroup --cluster-name myCluster -n myidentitybinding --managed-identity-resource-id "$(az identity show -g myGroup -n myIdentity --query id -o tsv)" --no-wait
  - name: Print the client id to use in Kubernetes RBAC and service account annotations.
    text: az aks identity-binding create -g myGroup --cluster-name myCluster -n myidentitybinding --managed-identity-resource-id {_ID} --query properties.managedIdentity.clientId -o tsv
"""

helps["aks identity-binding show"] = """
type: command
short-summary: Show an identity binding of a cluster.
long-summary: Exits with code 3 when the cluster or the binding does not exist.
examples:
  - name: Show a binding.
    text: az aks identity-binding show -g myGroup --cluster-name myCluster -n myidentitybinding
  - name: Show the identity's client id and the binding's state as a table.
    text: az aks identity-binding show -g myGroup --cluster-name myCluster -n myidentitybinding -o table
  - name: In a script, test whether the binding exists (exit code 0, or 3 when it does not).
    text: az aks identity-binding show -g myGroup --cluster-name myCluster -n myidentitybinding -o none
"""

helps["aks identity-binding list"] = """
type: command
short-summary: List the identity bindings of a cluster.
examples:
  - name: List the bindings of a cluster as a table.
    text: az aks identity-binding list -g myGroup --cluster-name myCluster -o table
  - name: List the client ids of all identities bound to a cluster.
    text: az aks identity-binding list -g myGroup --cluster-name myCluster --query "[].properties.managedIdentity.clientId" -o tsv
"""

helps["aks identity-binding delete"] = """
type: command
short-summary: Delete an identity binding from a cluster.
long-summary: |
    Pods that use the binding stop getting tokens for its identity. Asks for
    confirmation unless --yes is given; with no terminal and no --yes it refuses
    (exit 1). Deleting a binding that does not exist succeeds with a warning. The
    identity and its federated credential 'aks-identity-binding' are left in place.
examples:
  - name: Delete a binding after confirming at the prompt.
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding
  - name: Delete a binding from a script without waiting for the operation to finish.
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding --yes --no-wait
"""

helps["aks identity-binding generate-rbac"] = """
type: command
short-summary: Generate the Kubernetes RBAC that lets service accounts use a bound identity.
long-summary: |
    Prints one Kubernetes 'List' with a ClusterRole (verb 'use-managed-identity' on API
    group 'cid.wi.aks.azure.com', resource: the identity's lowercase client id) and a
    ClusterRoleBinding to the given service accounts, ready for `kubectl apply -f -`.
    Give the identity in exactly one way: --client-id (no Azure call at all),
    --managed-identity-resource-id, or -g/--cluster-name/-n of an identity binding.
    The output is sorted and free of timestamps, so it diffs cleanly in GitOps. Use
    -o yaml or -o json (tsv drops nested objects).
examples:
  - name: Print RBAC for one service account, offline, and apply it.
    text: az aks identity-binding generate-rbac --client-id 00000000-0000-0000-0000-000000000000 --service-account demo/demo -o yaml | kubectl apply -f -
  - name: Read the identity from a binding, grant two service accounts, and also create them annotated.
    text: az aks identity-binding generate-rbac -g myGroup --cluster-name myCluster -n myidentitybinding --service-account team-a/api team-b/worker --include-service-accounts -o yaml
  - name: Grant every service account of a namespace (broader), reading the identity by resource id.
    text: az aks identity-binding generate-rbac --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --namespace team-a -o json
"""
