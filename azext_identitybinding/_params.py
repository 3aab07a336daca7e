"""Arguments: the same option names and short flags as core azure-cli's `aks identity-binding`."""


def load_arguments(loader, _):
    from azext_identitybinding import _validators as v

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
