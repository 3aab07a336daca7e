"""Names and values fixed by Azure, AKS and the workload identity webhook: the contract we speak.

Stdlib only, no logic. Tunables of our own (timeouts, worker counts, file-size limits) stay in the
module that uses them, next to the reason for their value.
"""

# -- ARM -----------------------------------------------------------------------------------------
BINDINGS_API_VERSION = "2026-06-01"                  # GA; base model (no allowedSubjects)
BINDINGS_PREVIEW_API_VERSION = "2026-08-02-preview"  # adds allowedSubjects and managedBy
CLUSTERS_API_VERSION = BINDINGS_API_VERSION          # managedClusters: the same resource provider
IDENTITY_API_VERSION = "2024-11-30"                  # Microsoft.ManagedIdentity (identities, FICs)
SUBSCRIPTIONS_API_VERSION = "2022-12-01"             # GET /subscriptions (Microsoft.Resources)
RESOURCE_GRAPH_API_VERSION = "2022-10-01"            # POST /providers/Microsoft.ResourceGraph/resources
# Subscription states whose resources can be read (Warned and PastDue still serve reads); any other
# state (Disabled, Deleted, or one Azure adds later) cannot be scanned and is named as such.
READABLE_SUBSCRIPTION_STATES = ("Enabled", "Warned", "PastDue")
# ARM's read-budget header (Azure docs: "Understand how Azure Resource Manager throttles requests")
REMAINING_READS_HEADER = "x-ms-ratelimit-remaining-subscription-reads"
ARG_QUOTA_REMAINING_HEADER = "x-ms-user-quota-remaining"   # Resource Graph's own per-user quota
ARG_QUOTA_RESETS_HEADER = "x-ms-user-quota-resets-after"   # hh:mm:ss

# `check --target-resource`: the resource a workload reads, and who may read it
AUTHORIZATION_API_VERSION = "2022-04-01"  # Microsoft.Authorization roleAssignments and roleDefinitions (GA)
KEYVAULT_API_VERSION = "2023-07-01"       # Microsoft.KeyVault/vaults (GA; the fields read are unchanged since)
VAULT_TYPE = "Microsoft.KeyVault/vaults"

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
# What AKS Fleet Manager's `az fleet identitybindingprofile apply` writes into a binding's managedBy.
FLEET_PROFILE_TYPE = "Microsoft.ContainerService/fleets/identityBindingProfiles"
FIC_NAME = "aks-identity-binding"  # the federated credential AKS creates (and leaves) on a bound identity
FIC_LIMIT = 20                     # federated credentials per user-assigned identity

# -- in the cluster ------------------------------------------------------------------------------
API_GROUP = "cid.wi.aks.azure.com"  # ClusterRole rule: this group, resource = the client id,
VERB = "use-managed-identity"       # and this verb

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"  # on the ServiceAccount
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
USE_LABEL = "azure.workload.identity/use"                              # on the pod template, exactly "true"
USE_BINDING_ANNOTATION = "azure.workload.identity/use-identity-binding"  # on the pod template
EXPIRATION_ANNOTATION = "azure.workload.identity/service-account-token-expiration"
EXPIRATION_RANGE = (3600, 86400)    # seconds; the webhook refuses to create a pod outside it

TOKEN_PROXY_ENV = "AZURE_KUBERNETES_TOKEN_PROXY"        # set by the webhook in identity-binding mode
OLD_TOKEN_ENDPOINT_ENV = "AZURE_KUBERNETES_TOKEN_ENDPOINT"  # early previews; no SDK reads it
OLD_TOKEN_PATH = "/var/run/secrets/azure/tokens/azure-identity-token"  # webhook v1.5 and older

WEBHOOK_NAMESPACE = "kube-system"
WEBHOOK_SELECTOR = "azure-workload-identity.io/system=true"
WEBHOOK_CONFIG = "azure-wi-webhook-config"
MIN_WEBHOOK = (1, 6, 0)             # v1.6.0-alpha.1 (AKS preview builds) and every later version
ROOT_CA = "kube-root-ca.crt"        # the ConfigMap every namespace needs for the token proxy's CA

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"     # on what generate-rbac emits, with MANAGED_BY
MANAGED_BY = "azext-identitybinding"

# -- Key Vault data-plane access, per kind of object (`check --target-permission`) --------------
# kind: (the data action a read needs under Azure RBAC, the built-in role that grants it, the access
# policy permission that does, the `az keyvault set-policy` option that sets it)
KEYVAULT_ACCESS = {
    "secrets": ("Microsoft.KeyVault/vaults/secrets/getSecret/action", "Key Vault Secrets User", "get",
                "secret_permissions"),
    "keys": ("Microsoft.KeyVault/vaults/keys/read", "Key Vault Crypto User", "get", "key_permissions"),
    "certificates": ("Microsoft.KeyVault/vaults/certificates/read", "Key Vault Certificate User", "get",
                     "certificate_permissions"),
}

# -- Secrets Store CSI driver, Azure Key Vault provider (generate-manifests) ------------------------
SPC_API_VERSION = "secrets-store.csi.x-k8s.io/v1"  # SecretProviderClass
SPC_PROVIDER = "azure"                             # spec.provider of the Key Vault provider
CSI_DRIVER = "secrets-store.csi.k8s.io"            # the pod's csi volume driver
TOKEN_PROXY_PARAMETER = "useAzureTokenProxy"       # "true": the provider's identity-binding mode (v1.8.1+)

# -- AKS Fleet Manager: placing Kubernetes objects from the fleet's hub on its members ----------------
PLACEMENT_API_VERSION = "placement.kubernetes-fleet.io/v1"  # ClusterResourcePlacement (on the hub)
PLACEMENT_KIND = "ClusterResourcePlacement"
PLACEMENT_TYPE = "PickAll"  # every joined member that meets the cluster affinity (all of them without one)
