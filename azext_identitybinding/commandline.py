"""The `az` command lines this extension prints for a user to run (fixes, hints, next steps).

Spelled once, here, so a renamed option changes every message. Pure: strings only. Values are
shell-quoted, so a printed command pastes as it is even when a value holds a space or a quote;
a `Placeholder` (what the user must fill in) is printed bare.
"""
import shlex

GROUP = "az aks identity-binding"


class Placeholder(str):
    """A value the user must supply (e.g. BINDING_NAME): never quoted."""


BINDING_NAME = Placeholder("BINDING_NAME")
IDENTITY_ID = Placeholder("IDENTITY_ID")
FILE = Placeholder("FILE")


def _value(value):
    return str(value) if isinstance(value, Placeholder) else shlex.quote(str(value))


def az(*words, **options):
    """`az WORDS --option value ...` in the order given. An option's name is its keyword with `_` as `-`
    (a one-letter keyword is a short flag); True prints the bare flag; None and False leave it out."""
    parts = ["az", *words]
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = f"-{key}" if len(key) == 1 else f"--{key.replace('_', '-')}"
        parts.append(flag if value is True else f"{flag} {_value(value)}")
    return " ".join(parts)


def binding(verb, resource_group, cluster, name=None, **options):
    """`az aks identity-binding VERB -g RG --cluster-name CLUSTER [-n NAME] ...`."""
    return az("aks", "identity-binding", verb, g=resource_group, cluster_name=cluster, n=name, **options)


def show(resource_group, cluster, name):
    return binding("show", resource_group, cluster, name)


def list_bindings(resource_group, cluster):
    return binding("list", resource_group, cluster)


def create(resource_group, cluster, name, identity_id, **options):
    return binding("create", resource_group, cluster, name or BINDING_NAME,
                   managed_identity_resource_id=identity_id or IDENTITY_ID, **options)


def delete(resource_group, cluster, name, **options):
    return binding("delete", resource_group, cluster, name or BINDING_NAME, yes=True, **options)


def update(resource_group, cluster, name, **options):
    return binding("update", resource_group, cluster, name, **options)


def cleanup_fic(identity_id):
    return az("aks", "identity-binding", "cleanup-fic", managed_identity_resource_id=identity_id or IDENTITY_ID)


def federated_credential_create(identity, name, issuer, subject, audiences):
    """`az identity federated-credential create` that makes a federated credential again as it was.
    `identity`: the identity's ids.ResourceId (its subscription, group and name)."""
    line = az("identity", "federated-credential", "create", subscription=identity.subscription,
              g=identity.resource_group, identity_name=identity.name, n=name, issuer=issuer, subject=subject)
    return f"{line} --audiences {' '.join(_value(a) for a in audiences)}" if audiences else line


def migrate(verb, identity_id, **options):
    """`az aks identity-binding migrate VERB --managed-identity-resource-id ID ...`."""
    return az("aks", "identity-binding", "migrate", verb, managed_identity_resource_id=identity_id or IDENTITY_ID,
              **options)


def generate_rbac(**source):
    """`generate-rbac` from a source (`g`, `cluster_name`, `n`, or `managed_identity_resource_id`, or
    `client_id`) plus its other options, in the order given."""
    return az("aks", "identity-binding", "generate-rbac", **source)


def fleet_profile_show(profile):
    """`az fleet identitybindingprofile show` for an ids.FleetProfile (the fleet extension's spelling)."""
    return az("fleet", "identitybindingprofile", "show", subscription=profile.subscription,
              g=profile.resource_group, f=profile.fleet, n=profile.profile)


def fleet_profile_apply(profile):
    return az("fleet", "identitybindingprofile", "apply", subscription=profile.subscription,
              g=profile.resource_group, f=profile.fleet, n=profile.profile)


# -- `check --target-resource`: granting the identity access to the resource it reads -------------

ROLE_NAME = Placeholder("ROLE_NAME")


def role_assignment_create(object_id, role, scope):
    """Assign a role to a managed identity by its object id (no Graph lookup, so it works at once)."""
    return az("role", "assignment", "create", assignee_object_id=object_id,
              assignee_principal_type="ServicePrincipal", role=role, scope=scope)


def keyvault_set_policy(vault, resource_group, object_id, option, permissions):
    """`az keyvault set-policy`: `option` (e.g. secret_permissions) is set to exactly `permissions`."""
    line = az("keyvault", "set-policy", n=vault, g=resource_group, object_id=object_id)
    return f"{line} --{option.replace('_', '-')} {' '.join(_value(p) for p in permissions)}"


def keyvault_list(resource_group):
    return az("keyvault", "list", g=resource_group, o="table")


def resource_list(resource_group):
    return az("resource", "list", g=resource_group, o="table")
