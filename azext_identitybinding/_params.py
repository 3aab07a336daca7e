"""Arguments: the same option names and short flags as core azure-cli's `aks identity-binding`."""


def load_arguments(loader, _):
    from azext_identitybinding import _validators as v
    from azext_identitybinding import rbac

    with loader.argument_context("aks identity-binding") as c:
        c.argument("resource_group_name", options_list=["--resource-group", "-g"], type=v.resource_group_name,
                   help="Name of the resource group of the cluster. You can configure the default group "
                        "using `az configure --defaults group=<name>`.")
        c.argument("cluster_name", options_list=["--cluster-name"], type=v.cluster_name,
                   help="Name of the managed Kubernetes (AKS) cluster.")
        c.argument("name", options_list=["--name", "-n"], type=v.binding_name, completer=None,
                   help="Name of the identity binding (1-63 characters). The service decides which "
                        "characters it accepts; lowercase letters and digits always work.")

    with loader.argument_context("aks identity-binding create") as c:
        c.argument("managed_identity_resource_id", options_list=["--managed-identity-resource-id"],
                   type=v.identity_resource_id,
                   help="Resource ID of the user-assigned managed identity to bind, as printed by "
                        "`az identity show -g <group> -n <name> --query id -o tsv`. It cannot be changed later.")

    with loader.argument_context("aks identity-binding generate-rbac") as c:
        c.argument("client_id", options_list=["--client-id"], type=v.rbac_type(rbac.normalize_client_id),
                   arg_group="Identity",
                   help="Client id of the managed identity (not its object id). Works offline. With "
                        "another identity source it is checked against the identity read from Azure.")
        c.argument("managed_identity_resource_id", options_list=["--managed-identity-resource-id"],
                   type=v.identity_resource_id, arg_group="Identity",
                   help="Resource ID of the user-assigned identity; its client and tenant id are read from Azure.")
        c.argument("resource_group_name", options_list=["--resource-group", "-g"], type=v.resource_group_name,
                   arg_group="Identity", required=False,
                   help="Resource group of the cluster, to read the identity from a binding.")
        c.argument("cluster_name", options_list=["--cluster-name"], type=v.cluster_name, arg_group="Identity",
                   help="Cluster of the binding to read the identity from.")
        c.argument("binding_name", options_list=["--binding-name", "-n"], type=v.binding_name,
                   arg_group="Identity", help="Name of the identity binding to read the identity from.")
        c.argument("service_accounts", options_list=["--service-account"], nargs="+", action="extend",
                   type=v.rbac_type(rbac.parse_service_account), arg_group="Subjects",
                   help="Service account allowed to use the identity, as NAMESPACE/NAME. Repeatable; "
                        "space-separated values are accepted too.")
        c.argument("namespaces", options_list=["--namespace"], nargs="+", action="extend",
                   type=v.rbac_type(rbac.validate_namespace), arg_group="Subjects",
                   help="Namespace whose every service account may use the identity (broader: prefer "
                        "--service-account). Repeatable.")
        c.argument("name", options_list=["--name"], type=v.rbac_type(rbac.validate_object_name),
                   help="Name of the ClusterRole and ClusterRoleBinding. Default: use-mi-<client id>.")
        c.argument("include_service_accounts", options_list=["--include-service-accounts"],
                   action="store_true",
                   help="Also emit each --service-account as a ServiceAccount annotated with the "
                        "identity's client id and tenant id.")
        c.argument("tenant_id", options_list=["--tenant-id"], type=v.rbac_type(rbac.normalize_tenant_id),
                   help="Tenant id for the ServiceAccount annotation; read from Azure when the identity "
                        "comes from Azure, required with --include-service-accounts and --client-id.")
