"""The command surface: `az aks identity-binding ...`.

create/show/list/delete re-register the core azure-cli (>= 2.89) commands with the same
arguments on purpose: this extension is a drop-in replacement (see README).
"""


def _table(name):
    """The `-o table` transformer `name` of _format.py, imported when a table is printed: every az start
    that loads this command table (any `az aks ...` help, even) would pay for it otherwise."""
    def transform(result):
        from azext_identitybinding import _format
        return getattr(_format, name)(result)
    transform.__name__ = name
    return transform


def load_command_table(loader, _):
    binding_table, check_table, rbac_table = _table("binding_table"), _table("check_table"), _table("rbac_table")
    apply_table, audit_table, plan_table, retire_table = (_table("apply_table"), _table("audit_table"),
                                                          _table("plan_table"), _table("retire_table"))
    from azext_identitybinding import _validators as v
    from azext_identitybinding.custom import confirm_cleanup, confirm_delete, wait_timed_out

    with loader.command_group("aks identity-binding") as g:
        g.custom_command("create", "create_identity_binding", supports_no_wait=True,
                         table_transformer=binding_table)
        g.custom_show_command("show", "show_identity_binding", table_transformer=binding_table)
        # az's own wait loop (--created/--updated/--deleted/--exists/--custom, --interval, --timeout)
        # around the same read as show; the getter decides which 404 counts as "not there".
        g.custom_wait_command("wait", "wait_identity_binding", validator=v.validate_wait, transform=wait_timed_out)
        g.custom_command("list", "list_identity_bindings", table_transformer=binding_table,
                         validator=v.validate_list)
        g.custom_command("delete", "delete_identity_binding", supports_no_wait=True,
                         confirmation=confirm_delete, validator=v.validate_delete)
        g.custom_command("update", "update_identity_binding", supports_no_wait=True,
                         table_transformer=binding_table, validator=v.validate_update)
        g.custom_command("cleanup-fic", "cleanup_federated_credential", confirmation=confirm_cleanup)
        g.custom_command("generate-rbac", "generate_rbac", validator=v.validate_generate_rbac,
                         table_transformer=rbac_table)
        g.custom_command("generate-manifests", "generate_manifests", validator=v.validate_generate_manifests,
                         table_transformer=rbac_table)
        g.custom_command("check", "check_identity_binding", table_transformer=check_table,
                         validator=v.validate_check)

    with loader.command_group("aks identity-binding migrate") as g:
        g.custom_command("audit", "migrate_audit", table_transformer=audit_table, validator=v.validate_scope)
        g.custom_command("plan", "migrate_plan", table_transformer=plan_table, validator=v.validate_scope)
        # --no-wait: each binding is awaited with the parent group's `wait --created`
        g.custom_command("apply", "migrate_apply", supports_no_wait=True, table_transformer=apply_table,
                         validator=v.validate_scope)
        g.custom_command("retire", "migrate_retire", table_transformer=retire_table, validator=v.validate_retire)
