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

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
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
