"""generate-manifests: everything a pod needs to read Azure Key Vault through an identity binding.

Pure and deterministic: standard library only, no Azure calls, no clock. The result is one `v1` List:
the RBAC of rbac.generate (ClusterRole, ClusterRoleBinding, the annotated ServiceAccounts) and, for a
vault, one Secrets Store CSI `SecretProviderClass` per namespace of the subjects, in the Azure
provider's identity-binding mode (`useAzureTokenProxy: "true"`).

Why one SecretProviderClass per namespace: a pod can mount only a SecretProviderClass of its own
namespace, and the object holds no secret and grants nothing (who may read is decided by the RBAC
grant and by the vault's role assignments), so the same object in each namespace is safe, and one
command serves service accounts in several namespaces with one RBAC grant.
"""
import json
import re

from azext_identitybinding import rbac
from azext_identitybinding.check.workload import template_patch
from azext_identitybinding.constants import (MANAGED_BY, MANAGED_BY_LABEL, SPC_API_VERSION, SPC_PROVIDER,
                                             TOKEN_PROXY_PARAMETER, USE_BINDING_ANNOTATION, USE_LABEL)
from azext_identitybinding.ids import show

# Azure's documented name rules. A vault: 3-24 letters, digits and '-', starting with a letter, ending
# with a letter or digit, no '--'. A secret, key or certificate: 1-127 letters, digits and '-'.
_VAULT_CHARS = re.compile(r"[-A-Za-z0-9]")
_OBJECT_RE = re.compile(r"[-A-Za-z0-9]{1,127}")
# Key Vault names each version with 32 hexadecimal digits.
_VERSION_RE = re.compile(r"[0-9a-fA-F]{32}")
# The file the object is written to in the mount: the rule of a Kubernetes Secret key (so that it can
# also be synced into a Secret), at most 253 of letters, digits, '-', '_' and '.'. The driver's atomic
# writer keeps names starting with '..' for itself, and '.' / '..' are not file names.
_ALIAS_RE = re.compile(r"[-._A-Za-z0-9]{1,253}")

# flag -> objectType of the provider
OBJECT_TYPES = {"--secret": "secret", "--key": "key", "--certificate": "cert"}
_FLAGS = {kind: flag for flag, kind in OBJECT_TYPES.items()}
OBJECT_SYNTAX = "NAME[/VERSION][=FILE]"
_OBJECT_EXPECTED = (f"expected {OBJECT_SYNTAX}: a Key Vault object name (1-127 letters, digits and '-'), "
                    "optionally '/' and its version (32 hexadecimal digits; default: the latest) and '=' and "
                    "the file name in the mount (default: the object name)")


class SecretStoreInputError(rbac.RbacInputError):
    """Bad input for the SecretProviderClass; `.argument` is the flag, str() the whole message."""


def _fail(argument, value, detail):
    raise SecretStoreInputError(argument, value, f"{argument} {show(value)}: {detail}.")


def validate_vault_name(value, argument="--keyvault-name"):
    """The vault name (whitespace-stripped) if it follows Azure's rule."""
    if not isinstance(value, str):
        _fail(argument, value, "expected a Key Vault name, as text")
    name = value.strip()
    rule = "a Key Vault name has 3-24 letters, digits and '-', starts with a letter, ends with a letter or digit"
    bad = next((c for c in name if not _VAULT_CHARS.fullmatch(c)), None)
    if bad is not None:
        _fail(argument, value, f"contains {bad!r}; {rule}")
    if not 3 <= len(name) <= 24:
        _fail(argument, value, f"is {len(name)} characters long; {rule}")
    if not name[0].isalpha() or name[-1] == "-":
        _fail(argument, value, rule)
    if "--" in name:
        _fail(argument, value, f"contains '--'; {rule}, without two '-' in a row")
    return name


def parse_object(value, argument="--secret"):
    """Split NAME[/VERSION][=FILE] into (name, version, file), each checked ('' when not given)."""
    if not isinstance(value, str):
        _fail(argument, value, _OBJECT_EXPECTED)
    text = value.strip()
    if text.count("=") > 1 or text.count("/") > 1:
        _fail(argument, value, f"at most one '/' and one '='; {_OBJECT_EXPECTED}")
    head, has_alias, alias = text.partition("=")
    name, has_version, version = head.partition("/")
    if not _OBJECT_RE.fullmatch(name):
        bad = next((c for c in name if not _OBJECT_RE.fullmatch(c)), None)
        why = (f"the name {show(name)} contains {bad!r}" if bad is not None
               else f"the name is {len(name)} characters long" if name else "the name is empty")
        _fail(argument, value, f"{why}; {_OBJECT_EXPECTED}")
    if has_version and not _VERSION_RE.fullmatch(version):
        _fail(argument, value, f"the version {show(version)} is not 32 hexadecimal digits; {_OBJECT_EXPECTED}")
    if has_alias and (not _ALIAS_RE.fullmatch(alias) or alias in (".", "..") or alias.startswith("..")):
        _fail(argument, value, f"the file name {show(alias)} is not valid: use 1-253 letters, digits, '-', '_' and "
                               "'.', not '.' or '..' and not starting with '..'")
    return name, version, alias


# kubectl's names of the kinds whose pod template `kubectl patch` can change -> the kind
_WORKLOAD_KINDS = {alias: kind for kind, aliases in (
    ("Deployment", ("deployment", "deployments", "deploy")), ("StatefulSet", ("statefulset", "statefulsets", "sts")),
    ("DaemonSet", ("daemonset", "daemonsets", "ds")), ("ReplicaSet", ("replicaset", "replicasets", "rs")),
    ("CronJob", ("cronjob", "cronjobs", "cj"))) for alias in aliases}


def parse_workload(value, argument="--workload"):
    """KIND/NAME (e.g. deployment/web, as kubectl names it) -> (Kind, name), the name a DNS-1123 subdomain."""
    expected = "expected KIND/NAME, e.g. deployment/web (a Deployment, StatefulSet, DaemonSet, ReplicaSet or CronJob)"
    if not isinstance(value, str) or value.strip().count("/") != 1:
        _fail(argument, value, expected)
    kind, name = value.strip().split("/")
    if kind.lower() in ("job", "jobs", "pod", "pods", "po"):
        _fail(argument, value, "the pod template of a Job or a Pod cannot be changed, so no patch can set it: set "
                               "the label, the annotation and serviceAccountName in its manifest and re-create it")
    if kind.lower() not in _WORKLOAD_KINDS:
        _fail(argument, value, f"the kind {show(kind)} is not one whose pod template can be patched; {expected}")
    return _WORKLOAD_KINDS[kind.lower()], rbac.validate_object_name(name, argument)


def default_spc_name(keyvault_name, client_id):
    """Name of the SecretProviderClass when --spc-name is not given: kv-VAULT-CLIENT_ID (lowercase)."""
    return f"kv-{keyvault_name.lower()}-{client_id}"


def object_entries(objects):
    """(objectType, name, version, file) of every object, de-duplicated and sorted; a file written twice is
    refused. `objects` maps each flag of OBJECT_TYPES to its values."""
    entries = set()
    for flag, values in objects.items():
        for value in rbac.as_list(values, flag):
            entries.add((OBJECT_TYPES[flag], *parse_object(value, flag)))
    files = {}
    for entry in sorted(entries):
        kind, name, _, alias = entry
        file_name = alias or name
        if file_name in files:
            other = files[file_name]
            _fail(_FLAGS[kind], name,
                  f"is written to the file {file_name!r} of the mount, and so is {other[0]} {other[1]!r}"
                  f"{' version ' + other[2] if other[2] else ''}; give one of them another file name with "
                  f"={file_name}-2 (syntax {OBJECT_SYNTAX})")
        files[file_name] = entry
    return sorted(entries)


def objects_parameter(entries):
    """The provider's `objects` parameter: YAML holding `array:` of YAML documents, one per object.

    Every value is written as a JSON string (valid YAML), so a name such as 'true', '1e3' or 'null'
    stays a string; the names are checked, so no value can hold a quote, a newline or a colon."""
    lines = ["array:"]
    for kind, name, version, alias in entries:
        lines.append("  - |")
        fields = [("objectName", name), ("objectType", kind), ("objectVersion", version)]
        if alias:
            fields.append(("objectAlias", alias))
        lines += [f"    {key}: {json.dumps(val)}" for key, val in fields]
    return "\n".join(lines) + "\n"


def secret_provider_class(name, namespace, *, client_id, tenant_id, keyvault_name, entries):
    return {
        "apiVersion": SPC_API_VERSION,
        "kind": "SecretProviderClass",
        "metadata": {"name": name, "namespace": namespace, "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
        "spec": {
            "provider": SPC_PROVIDER,
            # all strings: the CRD types parameters as a map of strings
            "parameters": {
                TOKEN_PROXY_PARAMETER: "true",
                "clientID": client_id,
                "tenantID": tenant_id,
                "keyvaultName": keyvault_name,
                "objects": objects_parameter(entries),
            },
        },
    }


def generate(client_id, service_accounts, namespaces=(), *, tenant_id, role_name=None, keyvault_name=None,
             secrets=(), keys=(), certificates=(), spc_name=None):
    """The List of generate-manifests: rbac.generate's ClusterRole, ClusterRoleBinding and annotated
    ServiceAccounts (exactly as generate-rbac --include-sa makes them), then, with `keyvault_name`, one
    SecretProviderClass per namespace of the subjects, by namespace. Bad input raises
    SecretStoreInputError or rbac.RbacInputError; same input in any order gives the same result."""
    accounts = rbac.as_list(service_accounts, "--service-account")
    if not accounts:
        raise SecretStoreInputError("--service-account", None,
                                    "give at least one --service-account NAMESPACE/NAME: the service account the "
                                    "workload runs as, which is annotated with the identity.")
    if tenant_id is None:
        raise SecretStoreInputError("--tenant-id", None,
                                    "--tenant-id is required with --client-id: it is written to the service "
                                    "account annotation and the SecretProviderClass (the tenantId printed by "
                                    "'az identity show').")
    result = rbac.generate(client_id, accounts, namespaces, name=role_name, include_service_accounts=True,
                           tenant_id=tenant_id)
    objects = {"--secret": secrets, "--key": keys, "--certificate": certificates}
    entries = object_entries(objects)
    if keyvault_name is None:
        given = [flag for flag, values in objects.items() if rbac.as_list(values, flag)]
        if given or spc_name is not None:
            raise SecretStoreInputError("--keyvault-name", None,
                                        f"{(given or ['--spc-name'])[0]} needs --keyvault-name NAME: the vault "
                                        "to read from.")
        return result
    vault = validate_vault_name(keyvault_name)
    if not entries:
        raise SecretStoreInputError("--keyvault-name", keyvault_name,
                                    f"--keyvault-name {show(keyvault_name)} needs at least one object to mount: "
                                    f"--secret, --key or --certificate {OBJECT_SYNTAX}.")
    client_id = rbac.normalize_client_id(client_id)
    tenant_id = rbac.normalize_tenant_id(tenant_id)
    name = default_spc_name(vault, client_id) if spc_name is None else rbac.validate_object_name(spc_name,
                                                                                                 "--spc-name")
    spaces = sorted({rbac.parse_service_account(sa)[0] for sa in accounts}
                    | {rbac.validate_namespace(ns) for ns in rbac.as_list(namespaces, "--namespace")})
    result["items"] += [secret_provider_class(name, ns, client_id=client_id, tenant_id=tenant_id, keyvault_name=vault,
                                              entries=entries) for ns in spaces]
    return result


def workload_patches(service_accounts, workload=None):
    """The `kubectl patch` that gives a workload's pod template the label, the annotation and the service
    account, one per service account (by namespace, name). `workload`: (Kind, name) from parse_workload,
    for exactly one service account; without it the target is the placeholder WORKLOAD."""
    accounts = sorted({rbac.parse_service_account(sa) for sa in rbac.as_list(service_accounts, "--service-account")})
    kind, name = workload or (None, None)
    if workload and len(accounts) != 1:
        raise SecretStoreInputError("--workload", f"{kind}/{name}",
                                    "--workload names the workload of exactly one --service-account.")
    return [template_patch(ns, kind, name, labels={USE_LABEL: "true"}, annotations={USE_BINDING_ANNOTATION: "true"},
                           service_account=sa) for ns, sa in accounts]
