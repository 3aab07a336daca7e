"""Help text for `az aks identity-binding`."""

HELP = {}

_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/" \
      "Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity"

HELP["aks identity-binding"] = """
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

HELP["aks identity-binding create"] = f"""
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

HELP["aks identity-binding show"] = """
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

HELP["aks identity-binding wait"] = """
type: command
short-summary: Wait until an identity binding reaches a condition, for example after create or delete with --no-wait.
long-summary: |
    Reads the binding (the same request as `show`) every --interval seconds (default 30)
    until the condition holds or --timeout seconds (default 3600) have passed.
    --created and --updated wait for provisioningState 'Succeeded'; --exists for the
    binding to be readable in any state; --custom for a JMESPath query on the binding to
    be true; --deleted for the binding to be gone.
    A binding that is not found counts as not created yet (--created, --exists, --custom)
    or as deleted (--deleted); with --updated it fails with exit code 3. A cluster or
    resource group that is not found is never taken for a deleted binding: whatever the
    condition, the command fails at once with exit code 3 and says which is missing, so a
    mistyped -g or --cluster-name cannot pass for a finished delete.
    Exit codes: 0 when the condition holds; 1 when the binding reaches state 'Failed' or
    the timeout passes (az's own wait would print `{}` and exit 0 there); 2 for invalid
    arguments; 3 as above.
examples:
  - name: After `create --no-wait`, wait until the binding has succeeded.
    text: az aks identity-binding wait -g myGroup --cluster-name myCluster -n myidentitybinding --created
  - name: Wait for a binding deleted with --no-wait to be gone, checking every 10 seconds for at most 10 minutes.
    text: az aks identity-binding wait -g myGroup --cluster-name myCluster -n myidentitybinding --deleted --interval 10 --timeout 600
  - name: Wait until a JMESPath condition on the binding holds.
    text: az aks identity-binding wait -g myGroup --cluster-name myCluster -n myidentitybinding --custom "properties.provisioningState=='Succeeded'"
"""

HELP["aks identity-binding list"] = """
type: command
short-summary: List the identity bindings of a cluster, or find every binding of an identity.
long-summary: |
    With -g and --cluster-name: the bindings of that cluster. With
    --managed-identity-resource-id and no --cluster-name: every binding of the identity on
    the clusters of the current subscription (or of -g), read concurrently. If a cluster
    cannot be read (no permission, throttled past retries), the bindings found are still
    printed, each unreadable cluster is named on stderr, and the exit code is 1 because
    the answer is incomplete.

    Over several subscriptions (--subscription A B, or --all-subscriptions for every
    subscription this login can see) the clusters are found with one Azure Resource Graph
    query; if Resource Graph cannot be used, each subscription's clusters are listed from
    ARM instead. stderr says which was used. Each binding is printed once, with its
    subscriptionId. A subscription that cannot be read (Disabled, or its clusters cannot be
    listed) is named on stderr and also makes the exit code 1. Subscriptions this login
    cannot see cannot be searched.

    Reads follow each subscription's ARM read budget: fast at first, slower when ARM reports
    little budget left or answers 429, waiting Retry-After and sending a throttled read
    again. A read is never given up for throttling while time remains; the whole search
    stops after 20 minutes, and clusters not read by then are named as unreadable.
examples:
  - name: Which clusters of every subscription this login can see use this identity?
    text: az aks identity-binding list --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --all-subscriptions -o table
  - name: Search the clusters of two subscriptions.
    text: az aks identity-binding list --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --subscription 00000000-0000-0000-0000-000000000000 22222222-2222-2222-2222-222222222222
  - name: Which clusters of the subscription use this identity?
    text: az aks identity-binding list --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity -o table
  - name: List the bindings of a cluster as a table.
    text: az aks identity-binding list -g myGroup --cluster-name myCluster -o table
  - name: Which bindings of a cluster does AKS Fleet Manager manage (a ManagedBy column)?
    text: az aks identity-binding list -g myGroup --cluster-name myCluster --show-managed-by -o table
  - name: List the client ids of all identities bound to a cluster.
    text: az aks identity-binding list -g myGroup --cluster-name myCluster --query "[].properties.managedIdentity.clientId" -o tsv
"""

HELP["aks identity-binding delete"] = """
type: command
short-summary: Delete an identity binding from a cluster.
long-summary: |
    Pods that use the binding stop getting tokens for its identity. Asks for
    confirmation unless --yes is given; with no terminal and no --yes it refuses
    (exit 1). Deleting a binding that does not exist succeeds with a warning. The
    identity and its federated credential 'aks-identity-binding' are left in place.
    The binding is read first (with the preview api-version, which returns managedBy): a
    binding that AKS Fleet Manager manages is not deleted (exit 1, naming its identity
    binding profile), because the profile's next apply would bring it back; change the
    profile instead, or add --override-fleet to delete it anyway (this also skips that read).
examples:
  - name: Delete a binding after confirming at the prompt.
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding
  - name: Delete a binding from a script without waiting for the operation to finish.
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding --yes --no-wait
  - name: Delete the last binding of an identity and its now unused federated credential.
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding --cleanup-fic --yes
  - name: Delete a Fleet-managed binding anyway (its profile may re-create it).
    text: az aks identity-binding delete -g myGroup --cluster-name myCluster -n myidentitybinding --override-fleet --yes
"""

HELP["aks identity-binding cleanup-fic"] = """
type: command
short-summary: Delete an identity's 'aks-identity-binding' federated credential once no binding uses it.
long-summary: |
    AKS creates the credential for the first binding of an identity and does not remove it
    after the last one is deleted. This command deletes it only when it is certainly
    unused: it reads every cluster of every subscription this login can see (found with
    Azure Resource Graph, or listed per subscription when Resource Graph cannot be used);
    if another binding is found, the credential stays (exit 0); if any subscription or
    cluster cannot be read, or the credential changes during the scan, it stays and the
    command fails (exit 1) naming what could not be read. Subscriptions this login cannot
    see cannot be scanned: a binding on a cluster there would lose its credential, so run
    this with a login that sees every subscription where the identity may be bound. Reads
    are paced by ARM's read budget; the scan stops after 20 minutes (the credential then
    stays). To see which bindings still use the identity, run
    `az aks identity-binding list --managed-identity-resource-id ID --all-subscriptions -o table`.
examples:
  - name: Remove the credential of an identity whose bindings were deleted earlier.
    text: az aks identity-binding cleanup-fic --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --yes
  - name: Look the identity up by name and remove its credential from a script, without a prompt.
    text: az aks identity-binding cleanup-fic --managed-identity-resource-id "$(az identity show -g myGroup -n myIdentity --query id -o tsv)" --yes
"""

HELP["aks identity-binding update"] = """
type: command
short-summary: Replace the allowed subjects of an identity binding (preview API).
long-summary: |
    allowedSubjects limit which namespaces and service accounts may use the identity,
    on top of Kubernetes RBAC. The new list replaces the current one. The binding is read
    and written back with If-Match on its eTag: if the service reports that someone changed
    it in between (412), the command fails (exit 1), showing what the binding now holds.
    Whether the service enforces If-Match here is not yet verified. The identity of a
    binding is never changed. A binding that AKS Fleet Manager manages (its managedBy names an
    identity binding profile) is not updated (exit 1): change the profile and apply it, or
    add --override-fleet.
examples:
  - name: Allow the service accounts labelled app=api in two namespaces.
    text: az aks identity-binding update -g myGroup --cluster-name myCluster -n myidentitybinding --allow-namespace team-a team-b --allow-sa-label app=api
  - name: Set the allowed subjects from a JSON file.
    text: az aks identity-binding update -g myGroup --cluster-name myCluster -n myidentitybinding --allowed-subjects-from-file subjects.json
  - name: Update a Fleet-managed binding anyway (its next apply may undo it).
    text: az aks identity-binding update -g myGroup --cluster-name myCluster -n myidentitybinding --allow-namespace team-a --override-fleet
"""

HELP["aks identity-binding generate-rbac"] = """
type: command
short-summary: Generate the Kubernetes RBAC that lets service accounts use a bound identity.
long-summary: |
    Prints one Kubernetes 'List' with a ClusterRole (verb 'use-managed-identity' on API
    group 'cid.wi.aks.azure.com', resource: the identity's lowercase client id) and a
    ClusterRoleBinding to the given service accounts.
    Give the identity in exactly one way: --client-id (no Azure call at all),
    --managed-identity-resource-id, or -g/--cluster-name/-n of an identity binding
    (-n/--name is the binding's name, as in the other identity-binding commands; the
    generated objects are named with --role-name, default use-mi-CLIENT_ID).
    -o yaml or -o json is what `kubectl apply -f -` takes. -o table shows one row per
    object (kind, name, namespace, what it grants) to review; -o tsv prints only the
    List's top-level fields, so in scripts use --query with tsv, for example
    --query "items[].[kind, metadata.name]" -o tsv.
    The output is sorted and free of timestamps, so it diffs cleanly in GitOps.
examples:
  - name: Print RBAC for one service account, offline, and apply it.
    text: az aks identity-binding generate-rbac --client-id 00000000-0000-0000-0000-000000000000 --service-account demo/demo -o yaml | kubectl apply -f -
  - name: Read the identity from a binding, grant two service accounts, and also create them annotated.
    text: az aks identity-binding generate-rbac -g myGroup --cluster-name myCluster -n myidentitybinding --service-account team-a/api team-b/worker --include-sa -o yaml
  - name: Review what would be applied, with the objects named team-a-storage.
    text: az aks identity-binding generate-rbac -g myGroup --cluster-name myCluster -n myidentitybinding --service-account team-a/api --role-name team-a-storage -o table
  - name: Grant every service account of a namespace (broader), reading the identity by resource id.
    text: az aks identity-binding generate-rbac --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --namespace team-a -o json
"""

HELP["aks identity-binding generate-manifests"] = f"""
type: command
short-summary: Generate everything a pod needs to use a bound identity, and to read Azure Key Vault with it.
long-summary: |
    Prints one Kubernetes 'List': the ClusterRole and ClusterRoleBinding of generate-rbac,
    each --service-account as a ServiceAccount annotated with the identity's client id
    and tenant id, and, with --keyvault-name and --secret / --key / --certificate, a
    Secrets Store CSI driver SecretProviderClass (secrets-store.csi.x-k8s.io/v1,
    provider azure) in the identity-binding mode useAzureTokenProxy "true", with
    clientID, tenantID, keyvaultName and objects. The Azure Key Vault provider needs
    v1.8.1 or later for that mode.
    A pod can mount only a SecretProviderClass of its own namespace, so one is emitted in
    each namespace of the subjects, all alike (it holds no secret and grants nothing:
    the RBAC grant and the vault's role assignment decide who may read).
    Objects are NAME[/VERSION][=FILE]: a Key Vault name (1-127 letters, digits and '-'),
    a version of 32 hexadecimal digits (default: the latest), the file name in the mount
    (default: NAME). --certificate mounts the public certificate; to mount its private
    key too, give the certificate's name with --secret.
    The identity comes from --client-id with --tenant-id (no Azure call at all),
    --managed-identity-resource-id, or -g/--cluster-name/-n of an identity binding.
    On stderr it prints the one kubectl patch that gives the workload's pod template the
    label 'azure.workload.identity/use: "true"', the annotation
    'azure.workload.identity/use-identity-binding: "true"' (both for the app's own
    Azure SDK; the CSI mount needs only the service account) and serviceAccountName;
    name the workload with --workload KIND/NAME, else fill in WORKLOAD.
    Then grant the identity read access on the vault (for example the role 'Key Vault
    Secrets User'), and check the chain with `az aks identity-binding check`.
    -o yaml or -o json is what `kubectl apply -f -` takes; -o table shows one row per
    object. The output is sorted and free of timestamps: the same input gives the same bytes.
examples:
  - name: Offline, the manifests for a Deployment that mounts one secret of a vault, applied.
    text: az aks identity-binding generate-manifests --client-id 00000000-0000-0000-0000-000000000000 --tenant-id 00000000-0000-0000-0000-000000000000 --service-account demo/web --workload deployment/web --keyvault-name myVault --secret db-password -o yaml | kubectl apply -f -
  - name: Read the identity from a binding; mount a pinned secret version as file db.txt, a key and a certificate.
    text: az aks identity-binding generate-manifests -g myGroup --cluster-name myCluster -n myidentitybinding --service-account demo/web --keyvault-name myVault --secret db-password/0123456789abcdef0123456789abcdef=db.txt --key signing --certificate tls -o yaml
  - name: Review the objects for two service accounts, read the identity by resource id.
    text: az aks identity-binding generate-manifests --managed-identity-resource-id {_ID} --service-account team-a/api team-b/worker --keyvault-name myVault --secret api-token --spc-name team-vault -o table
"""

HELP["aks identity-binding check"] = """
type: command
short-summary: Diagnose why a workload cannot get tokens through an identity binding, and say what to fix.
long-summary: |
    Checks the whole chain for one service account and prints one item per check:
    {check, status: pass|warn|fail|skip, detail, fix}. Every failure has a fix (a
    command to run). In Azure: the cluster (workload identity on, no API server VNet
    integration), the binding and its state, the identity, and its federated credential
    'aks-identity-binding' (issuer, and how many of the 20 slots are used). In the
    cluster (through the kubeconfig): the service account and its client-id / tenant-id
    annotations, the RBAC grant tested with a SubjectAccessReview at cluster scope (not
    `kubectl auth can-i`, which answers "no" for this resource), ClusterRole rules meant
    for the identity that grant nothing, who else can use the identity, the webhook
    version, the namespace's kube-root-ca.crt, and the live pods of the service
    account. --pod-file also checks a manifest's pod template offline.
    Without -g and --cluster-name, only the --pod-file manifests are checked: the pod
    template's label and annotation, its service account (with --service-account), the
    token expiration, and AZURE_CLIENT_ID against --client-id. This needs no login and
    sends no request, so it can gate a CI pipeline that has no Azure credentials.
    A check that cannot run (no kubeconfig, no permission, cluster unreachable) is
    reported as skip with the reason. Exit code: 0 when nothing fails, 1 when a check
    fails (the list is printed first), 2 for invalid arguments.
    --target-resource adds the last link, "may the identity read what the pod reads": for
    a Key Vault using Azure RBAC, whether a role assigned to the identity's object id at
    the vault or above (resource group, subscription, management group) grants the data
    action (--target-permission secrets, keys or certificates; wildcards and
    notDataActions honoured); for a vault using access policies, whether its policy allows
    'get'; for any other resource, whether a role is assigned there at all (a warning if
    not). Reading role assignments needs Microsoft.Authorization/roleAssignments/read; if
    it is denied the item is a skip, not a failure.
examples:
  - name: Check a workload's service account against a binding, as a table.
    text: az aks identity-binding check -g myGroup --cluster-name myCluster -n myidentitybinding --service-account demo/workload -o table
  - name: Check by identity, with a given kubeconfig context, and the Deployment manifest too.
    text: az aks identity-binding check -g myGroup --cluster-name myCluster --managed-identity-resource-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity --service-account demo/workload --context myCluster --pod-file deploy.yaml
  - name: In CI, check only Azure and the manifest (no cluster access), and list what fails.
    text: az aks identity-binding check -g myGroup --cluster-name myCluster -n myidentitybinding --service-account demo/workload --skip-cluster --pod-file deploy.yaml --query "[?status=='fail']"
  - name: Also check that the identity may read the secrets of a Key Vault (Azure RBAC or access policies).
    text: az aks identity-binding check -g myGroup --cluster-name myCluster -n myidentitybinding --service-account demo/workload --skip-cluster --target-resource /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myGroup/providers/Microsoft.KeyVault/vaults/myVault
  - name: Check access to a Key Vault's keys, and show only that item.
    text: az aks identity-binding check -g myGroup --cluster-name myCluster -n myidentitybinding --service-account demo/workload --target-resource "$(az keyvault show -g myGroup -n myVault --query id -o tsv)" --target-permission keys --query "[?check=='target-access']"
  - name: Lint manifests offline (no login, no network), e.g. as a CI gate; exit code 1 if one is wrong.
    text: az aks identity-binding check --pod-file deploy.yaml cronjob.yaml --service-account demo/workload --client-id 00000000-0000-0000-0000-000000000000 -o table
"""


HELP["aks identity-binding migrate"] = """
type: group
short-summary: Move an identity from per-workload federated credentials (workload identity) to identity bindings.
long-summary: |
    An identity holds at most 20 federated credentials; plain workload identity spends one
    per cluster, namespace and service account. The steps: `migrate audit` (which identities
    are full), `migrate plan` (what one identity's credentials become: a binding per cluster,
    the service accounts to authorize, the credentials each binding replaces), `migrate apply`
    (create the missing bindings), then move each workload (its app must opt in to the token
    proxy first; no tool can see that), then `migrate retire` (delete the credentials the
    bindings made redundant, backed up first). See docs/migration.md.
"""

HELP["aks identity-binding migrate audit"] = """
type: command
short-summary: The federated credential budget of every user-assigned identity in scope, fullest first.
long-summary: |
    One row per identity: credentials used of 20, how many are AKS workload credentials a
    binding would replace and on how many clusters, whether its 'aks-identity-binding'
    credential exists (a binding uses it; with --count-bindings, how many bindings of it exist
    on the clusters in scope), credentials that never worked (issuer equal to a
    cluster's but for a trailing '/' or case), and a status: full (20), near-full (16 or
    more), ok. Identities and clusters are found with Azure Resource Graph over several
    subscriptions (each subscription's ARM list when it cannot be used). Exit code 1 when an
    identity or subscription could not be read (named; the rows printed are the others).
examples:
  - name: The identities of the current subscription, fullest first, as a table.
    text: az aks identity-binding migrate audit -o table
  - name: Every subscription this login can see; only identities that are full or nearly.
    text: az aks identity-binding migrate audit --all-subscriptions --query "[?status!='ok']"
  - name: Two subscriptions, counting each identity's bindings too (reads every cluster's bindings).
    text: az aks identity-binding migrate audit --subscription 00000000-0000-0000-0000-000000000000 11111111-1111-1111-1111-111111111111 --count-bindings -o table
"""

HELP["aks identity-binding migrate plan"] = f"""
type: command
short-summary: Read-only plan of moving one identity's workload federated credentials to identity bindings.
long-summary: |
    Each federated credential of the identity is classified: an AKS workload (issuer exactly
    a visible cluster's OIDC issuer, subject system:serviceaccount:NAMESPACE:NAME) is replaced
    by a binding on that cluster; one whose issuer differs from a cluster's only by a trailing
    '/' or case never worked and is reported; an AKS issuer of no visible cluster (deleted, or
    not visible to this login), any other issuer, and 'aks-identity-binding' are left alone
    and named. Per cluster: the binding to create (a name derived from the identity, or the
    binding of the identity that exists), the service accounts to authorize, the credentials
    it replaces, and whether the cluster is ready (OIDC issuer and workload identity enabled,
    no API server VNet integration). Only the bindings of those clusters are read.
    --manifests-dir writes one file per cluster: the RBAC that generate-rbac emits for its
    service accounts, and the workload patches as comments. Exit code 1 when part of the
    scope could not be read.
examples:
  - name: Plan the move of an identity whose clusters are in the current subscription.
    text: az aks identity-binding migrate plan --managed-identity-resource-id {_ID}
  - name: Look for its clusters in every visible subscription and write each cluster's RBAC.
    text: az aks identity-binding migrate plan --managed-identity-resource-id {_ID} --all-subscriptions --manifests-dir ./migration
  - name: Only the totals, e.g. 18/20 now and 3/20 after.
    text: az aks identity-binding migrate plan --managed-identity-resource-id {_ID} --query credentials
"""

HELP["aks identity-binding migrate apply"] = f"""
type: command
short-summary: Create the identity bindings the plan needs, on the clusters that are ready.
long-summary: |
    Creates only the missing bindings (concurrently), skips clusters that already have a
    binding of the identity, and creates nothing on a cluster that is not ready (named, with
    why). Never changes an existing binding or anything else; running it again creates
    nothing. Exit code 1 when a cluster failed or was not ready (the others proceed). Then:
    apply each cluster's RBAC (migrate plan --manifests-dir), move each workload, and run
    migrate retire.
examples:
  - name: Create the bindings and wait for each.
    text: az aks identity-binding migrate apply --managed-identity-resource-id {_ID} --all-subscriptions
  - name: Send the creations without waiting (then wait per cluster with az aks identity-binding wait).
    text: az aks identity-binding migrate apply --managed-identity-resource-id {_ID} --no-wait
"""

HELP["aks identity-binding migrate retire"] = f"""
type: command
short-summary: Delete the federated credentials that identity bindings made redundant, each backed up first.
long-summary: |
    A credential is deleted only when its cluster's binding exists and Succeeded, and either
    its service account's running pods show identity-binding mode (annotation and the injected
    AZURE_KUBERNETES_TOKEN_PROXY; read with --kubeconfig/--context of the cluster given with
    --cluster-name) or it is named with --credential. Whether the app itself uses the binding
    shows only in the identity's Entra sign-in logs: check them first. A left-alone credential
    and 'aks-identity-binding' are never deleted. Each credential is read again just before its
    DELETE and kept if it changed; each is first written as JSON, with the exact
    `az identity federated-credential create` that restores it, to --backup-dir (default: a new
    dated folder in the current directory, printed). Asks first unless --yes.
examples:
  - name: Retire the credentials of one cluster whose pods show they moved.
    text: az aks identity-binding migrate retire --managed-identity-resource-id {_ID} --cluster-name myCluster --context myCluster --backup-dir ./fic-backup
  - name: Retire two credentials by name once their app owners confirmed the move, without a prompt.
    text: az aks identity-binding migrate retire --managed-identity-resource-id {_ID} --credential web-fic --credential api-fic --yes
"""


def register():
    """Install our help. Called when our command table loads, which is after core azure-cli has
    registered its own help for the same commands: ours must replace it whatever was imported first."""
    from knack.help_files import helps
    helps.update(HELP)
