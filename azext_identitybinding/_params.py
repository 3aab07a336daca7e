"""Arguments: the same option names and short flags as core azure-cli's `aks identity-binding`."""


def load_arguments(loader, _):
    from knack.arguments import CLIArgumentType
    from azext_identitybinding import _validators as v

    # One definition of each shared flag: its spelling and its check. Help differs per command.
    group_type = CLIArgumentType(options_list=["--resource-group", "-g"], type=v.resource_group_name)
    cluster_type = CLIArgumentType(options_list=["--cluster-name"], type=v.cluster_name)
    identity_type = CLIArgumentType(options_list=["--managed-identity-resource-id"], type=v.identity_resource_id)

    # Registered per command as well as for the group: core azure-cli registers these per command,
    # and the most specific registration supplies the help text.
    for scope in ("", " create", " show", " delete", " update", " wait"):
        with loader.argument_context("aks identity-binding" + scope) as c:
            c.argument("resource_group_name", arg_type=group_type,
                       help="Name of the resource group of the cluster. You can configure the default group "
                            "using `az configure --defaults group=NAME`.")
            c.argument("cluster_name", arg_type=cluster_type,
                       help="Name of the managed Kubernetes (AKS) cluster.")
            c.argument("name", options_list=["--name", "-n"], type=v.binding_name, completer=None,
                       help="Name of the identity binding (1-63 characters). The service decides which "
                            "characters it accepts; lowercase letters and digits always work.")

    with loader.argument_context("aks identity-binding create") as c:
        c.argument("managed_identity_resource_id", arg_type=identity_type,
                   help="Resource ID of the user-assigned managed identity to bind, as printed by "
                        "`az identity show -g GROUP -n NAME --query id -o tsv`. It cannot be changed later.")
    for command in ("create", "update"):
        with loader.argument_context(f"aks identity-binding {command}") as c:
            c.argument("allowed_subjects_from_file", options_list=["--allowed-subjects-from-file"],
                       type=v.allowed_subjects_file,
                       help="JSON file with the binding's allowedSubjects (preview API): an array of at most "
                            "100 objects, each with a namespaceSelector and optionally a serviceAccountSelector; "
                            "matchLabels are 'key=value' strings. A pipe (bash process substitution) or - "
                            "(standard input) works too. Checked before anything is sent.")

    with loader.argument_context("aks identity-binding update") as c:
        c.argument("allow_namespaces", options_list=["--allow-namespace"], nargs="+", action="extend",
                   type=v.rbac_type("validate_namespace"),
                   help="Allow the service accounts of these namespaces (matched by the label "
                        "kubernetes.io/metadata.name). Replaces the current allowed subjects. Repeatable.")
        # Short primary spellings (azdev's limit is 22 characters); the long ones shipped in 0.1.0 and stay.
        c.argument("allow_service_account_labels", options_list=["--allow-sa-label", "--allow-service-account-label"],
                   nargs="+", action="extend", type=v.service_account_label,
                   help="Only service accounts with these labels (KEY=VALUE, all must match) in the "
                        "--allow-namespace namespaces. Repeatable.")

    with loader.argument_context("aks identity-binding list") as c:
        c.argument("resource_group_name", arg_type=group_type,
                   required=False,
                   help="Resource group: of the cluster with --cluster-name; without it, limits a "
                        "--managed-identity-resource-id search to the clusters of this group.")
        c.argument("cluster_name", arg_type=cluster_type, required=False,
                   help="List the bindings of this cluster. Without it, give --managed-identity-resource-id "
                        "to search every cluster of the subscription.")
        c.argument("managed_identity_resource_id", arg_type=identity_type,
                   help="Only bindings of this identity. Without --cluster-name, every cluster of the "
                        "subscription (or of -g) is searched, concurrently.")
        _fleet_arguments(c, v)

    with loader.argument_context("aks identity-binding delete") as c:
        c.argument("cleanup_fic", options_list=["--cleanup-fic"], action="store_true",
                   help="After deleting the binding, also delete the identity's federated credential "
                        "'aks-identity-binding', but only if a complete scan finds no other binding of the "
                        "identity on the clusters of every subscription this login can see (subscriptions it "
                        "cannot see cannot be scanned).")

    _managed_by_arguments(loader)

    with loader.argument_context("aks identity-binding cleanup-fic") as c:
        c.argument("managed_identity_resource_id", arg_type=identity_type,
                   help="Resource ID of the user-assigned identity whose 'aks-identity-binding' credential "
                        "to delete if no binding uses it any more.")

    _generate_rbac_arguments(loader, group_type, cluster_type, identity_type)
    _migrate_arguments(loader, group_type, cluster_type, identity_type)
    _check_target_arguments(loader, v)
    _generate_manifests_arguments(loader, group_type, cluster_type, identity_type)

    with loader.argument_context("aks identity-binding check") as c:
        c.argument("resource_group_name", arg_type=group_type, required=False,
                   help="Name of the resource group of the cluster (required with --cluster-name).")
        c.argument("cluster_name", arg_type=cluster_type, required=False,
                   help="Name of the AKS cluster the workload runs on. Without it, only the --pod-file "
                        "manifests are checked, offline: no login, no request.")
        c.argument("service_account", options_list=["--service-account"],
                   type=v.rbac_type("parse_service_account"),
                   help="The workload's service account, as NAMESPACE/NAME. Required with --cluster-name; "
                        "offline, optional: the manifests must then run as it.")
        c.argument("client_id", options_list=["--client-id"], type=v.rbac_type("normalize_client_id"),
                   arg_group="Identity",
                   help="Offline only: the identity's client id; a container that sets another "
                        "AZURE_CLIENT_ID fails. With --cluster-name it is read from Azure instead.")
        c.argument("name", options_list=["--name", "-n"], type=v.binding_name, arg_group="Identity",
                   help="Name of the identity binding to check; its identity is read from it.")
        c.argument("managed_identity_resource_id", arg_type=identity_type, arg_group="Identity",
                   help="Resource ID of the user-assigned identity; its binding on the cluster is found by "
                        "listing. Without it and without -n, the cluster's only binding is checked.")
        c.argument("kubeconfig", options_list=["--kubeconfig"], type=v.kubeconfig_path, arg_group="Cluster access",
                   help="Kubeconfig to reach the cluster with. Default: $KUBECONFIG, else ~/.kube/config.")
        c.argument("context", options_list=["--context"], type=v.kube_context, arg_group="Cluster access",
                   help="Kubeconfig context to use. Default: the current context.")
        c.argument("skip_cluster", options_list=["--skip-cluster"], action="store_true",
                   arg_group="Cluster access",
                   help="Check only Azure (and --pod-file); report every in-cluster check as skipped.")
        c.argument("pod_files", options_list=["--pod-file"], nargs="+", action="extend", type=v.pod_file,
                   help="Manifest (YAML or JSON, several documents allowed) of the workload: a Pod, Deployment, "
                        "StatefulSet, DaemonSet, ReplicaSet, Job or CronJob. Its pod template is checked offline. "
                        "A pipe (bash process substitution) or - (standard input) works too. Repeatable.")


def _managed_by_arguments(loader):
    """Bindings that AKS Fleet Manager manages: reading managedBy, and changing them anyway."""
    for command in ("update", "delete"):
        with loader.argument_context(f"aks identity-binding {command}") as c:
            c.argument("override_fleet", options_list=["--override-fleet"], action="store_true",
                       help=f"{command.capitalize()} the binding even if AKS Fleet Manager manages it (its "
                            "managedBy names an identity binding profile); the profile's next apply may undo "
                            "the change.")
    for command in ("show", "list"):
        with loader.argument_context(f"aks identity-binding {command}") as c:
            c.argument("show_managed_by", options_list=["--show-managed-by"], action="store_true",
                       help="Also read managedBy, the resource (an AKS Fleet Manager identity binding "
                            "profile) that manages the binding, with the preview api-version; null when "
                            "nothing does. -o table adds a ManagedBy column. In the fleet view (list "
                            "--managed-identity-resource-id without --cluster-name), stderr also counts the "
                            "bindings each profile manages and the unmanaged ones.")


def _fleet_arguments(c, v):
    """`list` over several subscriptions."""
    # Fleet view over several subscriptions. az's global --subscription takes one value; `list` replaces
    # it with its own repeatable one (the way core's `az account` commands declare theirs), which with
    # --cluster-name (or alone) keeps the global meaning: the subscription to work in.
    c.ignore("_subscription")
    c.argument("subscriptions", options_list=["--subscription"], nargs="+", action="extend",
               type=v.subscription_value,
               help="Subscription id or name. Repeatable (space-separated values too): without "
                    "--cluster-name, every cluster of these subscriptions is searched, found with Azure "
                    "Resource Graph when there are several. With --cluster-name, the cluster's "
                    "subscription (one). Default: the current subscription.")
    c.argument("all_subscriptions", options_list=["--all-subscriptions"], action="store_true",
               help="Search every subscription this login can see (Disabled ones are named as not "
                    "scanned). Subscriptions the login cannot see cannot be searched.")


def _check_target_arguments(loader, v):
    """check --target-resource / --target-permission: may the identity read what the workload reads?"""
    from azure.cli.core.commands.parameters import get_enum_type
    from azext_identitybinding.constants import KEYVAULT_ACCESS
    with loader.argument_context("aks identity-binding check") as c:
        c.argument("target_resource", options_list=["--target-resource"], type=v.target_resource_id,
                   arg_group="Target resource",
                   help="Resource ID of what the workload reads, e.g. a Key Vault: checks that the identity's "
                        "object id may read it (a vault's Azure RBAC role assignments or access policies; for "
                        "other resources, that a role is assigned there). Needs --cluster-name.")
        c.argument("target_permission", options_list=["--target-permission"],
                   arg_type=get_enum_type(list(KEYVAULT_ACCESS)), arg_group="Target resource",
                   help="With a Key Vault as --target-resource: what the workload reads from it. Default: secrets.")


def _generate_manifests_arguments(loader, group_type, cluster_type, identity_type):
    from azext_identitybinding import _validators as v

    with loader.argument_context("aks identity-binding generate-manifests") as c:
        c.argument("client_id", options_list=["--client-id"], type=v.rbac_type("normalize_client_id"),
                   arg_group="Identity",
                   help="Client id of the managed identity (not its object id). Offline, with --tenant-id. With "
                        "another identity source it is checked against the identity read from Azure.")
        c.argument("tenant_id", options_list=["--tenant-id"], type=v.rbac_type("normalize_tenant_id"),
                   arg_group="Identity",
                   help="Tenant id of the identity, for the service account annotation and the SecretProviderClass. "
                        "Required with --client-id; read from Azure with the other identity sources.")
        _identity_source_arguments(c, group_type, cluster_type, identity_type)
        c.argument("name", options_list=["--name", "-n"], type=v.binding_name, arg_group="Identity",
                   help="Name of the identity binding to read the identity from (with -g and --cluster-name).")
        c.argument("service_accounts", options_list=["--service-account"], nargs="+", action="extend",
                   type=v.rbac_type("parse_service_account"), arg_group="Subjects",
                   help="Service account the workload runs as, NAMESPACE/NAME: granted the identity and emitted "
                        "annotated with it. Repeatable.")
        c.argument("namespaces", options_list=["--namespace"], nargs="+", action="extend",
                   type=v.rbac_type("validate_namespace"), arg_group="Subjects",
                   help="Also grant every service account of this namespace (broader). Repeatable.")
        c.argument("role_name", options_list=["--role-name"], type=v.role_name,
                   help="Name of the ClusterRole and ClusterRoleBinding. Default: use-mi-CLIENT_ID.")
        c.argument("workload", options_list=["--workload"], type=v.workload,
                   help="The workload that runs as the (one) --service-account, as KIND/NAME (e.g. deployment/web): "
                        "the kubectl patch printed on stderr names it. Default: the placeholder WORKLOAD.")
        c.argument("keyvault_name", options_list=["--keyvault-name"], type=v.keyvault_name, arg_group="Key Vault",
                   help="Name of the Azure Key Vault to mount objects from with the Secrets Store CSI driver: "
                        "emits a SecretProviderClass in each namespace of the subjects.")
        for dest, flag, what in (("secrets", "--secret", "secret"), ("keys", "--key", "key"),
                                 ("certificates", "--certificate", "certificate")):
            c.argument(dest, options_list=[flag], nargs="+", action="extend", type=v.keyvault_object(flag),
                       arg_group="Key Vault",
                       help=f"A {what} of the vault to mount, as NAME[/VERSION][=FILE]: VERSION is 32 hexadecimal "
                            "digits (default: the latest), FILE the file name in the mount (default: NAME). "
                            "Repeatable.")
        c.argument("spc_name", options_list=["--spc-name"], type=v.spc_name, arg_group="Key Vault",
                   help="Name of the SecretProviderClass (a DNS-1123 subdomain), which the pod's csi volume names "
                        "in volumeAttributes.secretProviderClass. Default: kv-VAULT-CLIENT_ID (lowercase).")
    _placement_arguments(loader, "generate-manifests")


def _generate_rbac_arguments(loader, group_type, cluster_type, identity_type):
    from azext_identitybinding import _validators as v
    with loader.argument_context("aks identity-binding generate-rbac") as c:
        c.argument("client_id", options_list=["--client-id"], type=v.rbac_type("normalize_client_id"),
                   arg_group="Identity",
                   help="Client id of the managed identity (not its object id). Works offline. With "
                        "another identity source it is checked against the identity read from Azure.")
        _identity_source_arguments(c, group_type, cluster_type, identity_type)
        # -n/--name names the binding, as in every other az command; --binding-name is its old spelling,
        # kept for one release (hidden; using it prints az's deprecation warning).
        c.argument("name", type=v.binding_name, arg_group="Identity",
                   options_list=["--name", "-n",
                                 c.deprecate(target="--binding-name", redirect="--name", hide=True)],
                   help="Name of the identity binding to read the identity from (with -g and --cluster-name).")
        c.argument("service_accounts", options_list=["--service-account"], nargs="+", action="extend",
                   type=v.rbac_type("parse_service_account"), arg_group="Subjects",
                   help="Service account allowed to use the identity, as NAMESPACE/NAME. Repeatable; "
                        "space-separated values are accepted too.")
        c.argument("namespaces", options_list=["--namespace"], nargs="+", action="extend",
                   type=v.rbac_type("validate_namespace"), arg_group="Subjects",
                   help="Namespace whose every service account may use the identity (broader: prefer "
                        "--service-account). Repeatable.")
        c.argument("role_name", options_list=["--role-name"], type=v.role_name,
                   help="Name of the generated ClusterRole and ClusterRoleBinding (a DNS-1123 subdomain). "
                        "Default: use-mi-CLIENT_ID.")
        c.argument("include_service_accounts", options_list=["--include-sa", "--include-service-accounts"],
                   action="store_true",
                   help="Also emit each --service-account as a ServiceAccount annotated with the "
                        "identity's client id and tenant id.")
        c.argument("tenant_id", options_list=["--tenant-id"], type=v.rbac_type("normalize_tenant_id"),
                   help="Tenant id for the ServiceAccount annotation; read from Azure when the identity "
                        "comes from Azure, required with --include-sa and --client-id.")
    _placement_arguments(loader, "generate-rbac")


def _placement_arguments(loader, command):
    """generate-rbac and generate-manifests: a ClusterResourcePlacement for an AKS Fleet Manager hub."""
    from azext_identitybinding import _validators as v
    with loader.argument_context(f"aks identity-binding {command}") as c:
        c.argument("fleet_placement", options_list=["--fleet-placement"], type=v.placement_name,
                   arg_group="Fleet Manager",
                   help="Also emit an AKS Fleet Manager ClusterResourcePlacement of this name (a DNS-1123 label), to "
                        "apply with the List on the fleet's hub cluster: it places the ClusterRole, the "
                        "ClusterRoleBinding and each namespace of the generated service accounts and "
                        "SecretProviderClasses (whole) on the fleet's members.")
        c.argument("member_selector", options_list=["--member-selector"], nargs="+", action="extend",
                   type=v.member_selector, arg_group="Fleet Manager",
                   help="With --fleet-placement: only members with these labels, KEY=VALUE (all must match; "
                        "comma-separated or repeated), the pairs given to `az fleet identitybindingprofile create "
                        "--member-selector`, so that the RBAC lands where the profile creates the bindings. "
                        "Default: every member.")
        c.argument("placement_rbac_only", options_list=["--placement-rbac-only"], action="store_true",
                   arg_group="Fleet Manager",
                   help="With --fleet-placement: place only the ClusterRole and ClusterRoleBinding, not the "
                        "namespaces of the service accounts (and SecretProviderClasses), which then reach the "
                        "members some other way.")


def _identity_source_arguments(c, group_type, cluster_type, identity_type):
    """generate-rbac and generate-manifests: where the identity is read from in Azure (an identity or a
    binding); --client-id, the offline source, is described per command."""
    c.argument("managed_identity_resource_id", arg_type=identity_type, arg_group="Identity",
               help="Resource ID of the user-assigned identity; its client and tenant id are read from Azure.")
    c.argument("resource_group_name", arg_type=group_type, arg_group="Identity", required=False,
               help="Resource group of the cluster, to read the identity from a binding.")
    c.argument("cluster_name", arg_type=cluster_type, arg_group="Identity",
               help="Cluster of the binding to read the identity from.")


def _migrate_arguments(loader, group_type, cluster_type, identity_type):
    """`migrate audit / plan / apply / retire`: the scope as `list` takes it, and each command's own."""
    from azext_identitybinding import _validators as v
    with loader.argument_context("aks identity-binding migrate") as c:
        c.argument("resource_group_name", arg_type=group_type, required=False,
                   help="Only the clusters (audit: the identities) of this resource group.")
        c.ignore("_subscription")  # replaced by a repeatable --subscription, as in `list`
        c.argument("subscriptions", options_list=["--subscription"], nargs="+", action="extend",
                   type=v.subscription_value,
                   help="Subscription id or name to look in. Repeatable (space-separated values too); several are "
                        "searched with Azure Resource Graph. Default: the current subscription.")
        c.argument("all_subscriptions", options_list=["--all-subscriptions"], action="store_true",
                   help="Look in every subscription this login can see (Disabled ones are named as not scanned). "
                        "Subscriptions it cannot see cannot be searched.")
        c.argument("managed_identity_resource_id", arg_type=identity_type,
                   help="Resource ID of the user-assigned identity whose federated credentials move to bindings.")
    with loader.argument_context("aks identity-binding migrate audit") as c:
        c.argument("count_bindings", options_list=["--count-bindings"], action="store_true",
                   help="Also read the bindings of every cluster in scope (one more read per cluster) and count "
                        "each identity's bindings. Without it, bindings is null; bindingCredential says whether "
                        "the identity has the credential that bindings use.")
    with loader.argument_context("aks identity-binding migrate plan") as c:
        c.argument("manifests_dir", options_list=["--manifests-dir"], type=v.output_dir,
                   help="Write each cluster's RBAC (what generate-rbac emits for its service accounts) and the "
                        "workload patches to one file per cluster in this directory (created if missing).")
        c.argument("overwrite", options_list=["--overwrite"], action="store_true",
                   help="Replace files in --manifests-dir that exist with other content (otherwise nothing is "
                        "written and the command fails).")
    with loader.argument_context("aks identity-binding migrate apply") as c:
        c.argument("no_wait", options_list=["--no-wait"],
                   help="Send each binding's creation and return without a result; stderr names each binding sent "
                        "and the `wait --created` command that waits for it.")
    with loader.argument_context("aks identity-binding migrate retire") as c:
        c.argument("cluster_name", arg_type=cluster_type, required=False,
                   help="Retire only the credentials of this cluster (needed with --kubeconfig/--context).")
        c.argument("credentials", options_list=["--credential"], nargs="+", action="extend", type=v.credential_name,
                   help="Name of a federated credential to delete without pod evidence (its app owner confirmed "
                        "the move). It still needs its cluster's binding to exist and be Succeeded. Repeatable.")
        c.argument("kubeconfig", options_list=["--kubeconfig"], type=v.kubeconfig_path, arg_group="Cluster access",
                   help="Kubeconfig to read the pods of --cluster-name with. Default: $KUBECONFIG, else "
                        "~/.kube/config.")
        c.argument("context", options_list=["--context"], type=v.kube_context, arg_group="Cluster access",
                   help="Kubeconfig context of --cluster-name. Default: the current context.")
        c.argument("backup_dir", options_list=["--backup-dir"], type=v.output_dir,
                   help="Directory for the backups (one JSON file per credential, with the command that restores "
                        "it). Default: a new dated folder in the current directory.")
        c.argument("yes", options_list=["--yes", "-y"], action="store_true", help="Do not ask for confirmation.")
