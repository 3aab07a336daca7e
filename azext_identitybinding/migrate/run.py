"""What the migrate commands do with a Reading: apply's writes, retire's backups and deletes, and the
files they write (the manifests of plan, the backups of retire), never half-written.
"""
import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed

from knack.log import get_logger

from azext_identitybinding import commandline, files
from azext_identitybinding.migrate import plan

logger = get_logger(__name__)

WRITE_WORKERS = 8           # concurrent binding PUTs: each is a write on its cluster, far under ARM's write budget
MAX_EXISTING_FILE = 4 * 1024 * 1024  # an existing manifest or backup is compared, at most this much is read


# -- files -------------------------------------------------------------------------------------------

def _existing(path):
    """The text of a file we are about to write, None when there is none; an error when it is not ours
    to replace (a link, a directory, a device)."""
    from azure.cli.core.azclierror import FileOperationError
    if not os.path.lexists(path):
        return None
    if os.path.islink(path) or not os.path.isfile(path):
        raise FileOperationError(f"{path!r} exists and is not a regular file (a link, a directory or a device); "
                                 "nothing was written. Move it away, or choose another directory.")
    try:
        return files.read_text(path, "the existing file", MAX_EXISTING_FILE)
    except files.InputFileError:
        return ""  # unreadable or huge: it differs


def write_files(directory, contents, overwrite):
    """Write {file name: text} into `directory` (created if missing): all or nothing. A file that exists
    with other content is replaced only with `overwrite`. Returns {file name: "written" | "unchanged"}."""
    from azure.cli.core.azclierror import FileOperationError
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as ex:
        raise FileOperationError(f"Cannot create the directory {directory!r}: {ex.strerror or ex}. Nothing was "
                                 "written.") from None
    outcome, pairs, conflicts = {}, [], []
    for name, text in contents.items():
        path = os.path.join(directory, name)
        current = _existing(path)
        if current == text:
            outcome[name] = "unchanged"
            continue
        if current is not None and not overwrite:
            conflicts.append(name)
        pairs.append((path, text))
        outcome[name] = "written"
    if conflicts:
        raise FileOperationError(f"{len(conflicts)} file(s) in {directory!r} exist with other content ("
                                 f"{', '.join(conflicts[:5])}); nothing was written. Add --overwrite to replace "
                                 "them, or choose an empty directory.")
    try:
        files.write_all(pairs)
    except OSError as ex:
        raise FileOperationError(f"Cannot write to {directory!r}: {ex.strerror or ex}. Nothing was written.") from None
    return outcome


def manifest_text(cluster_plan, client_id, identity_id):
    """The file of one cluster: how to use it (comments), then the RBAC List exactly as `generate-rbac
    -o yaml` prints it for the same service accounts."""
    import yaml
    document, patches = plan.manifest(cluster_plan, client_id)
    head = [f"# Identity binding '{cluster_plan['binding']['name']}' on cluster {cluster_plan['id']}",
            "# 1. Apply this RBAC with the cluster's context: kubectl apply -f THIS_FILE",
            "# 2. Move each workload once its app uses WorkloadIdentityCredential with the token proxy (see",
            "#    docs/migration.md); replace WORKLOAD with its KIND/NAME, e.g. deployment/web:"]
    head += [f"#    {line}" for line in patches]
    head.append(f"# 3. When its pods run in identity-binding mode: {commandline.migrate('retire', identity_id)}")
    return "\n".join(head) + "\n" + yaml.safe_dump(document, default_flow_style=False, allow_unicode=True)


def write_manifests(the_plan, client_id, directory, overwrite):
    contents = {plan.manifest_file_name(c["id"]): manifest_text(c, client_id, the_plan["identity"])
                for c in the_plan["clusters"]}
    outcome = write_files(directory, contents, overwrite)
    return [{"cluster": c["id"], "file": os.path.join(directory, plan.manifest_file_name(c["id"])),
             "result": outcome[plan.manifest_file_name(c["id"])]} for c in the_plan["clusters"]]


# -- apply -------------------------------------------------------------------------------------------

def apply(client, the_plan, identity_id, no_wait=False):
    """Create the missing bindings of the plan on ready clusters, concurrently; one result per cluster:
    created / accepted (--no-wait) / exists / not-ready / failed."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.arm import BindingRef
    from azext_identitybinding.arm.client import FLEET_WORKERS
    results, todo = [], []
    for c in the_plan["clusters"]:
        row = {"cluster": c["id"], "binding": c["binding"]["name"]}
        if c["binding"]["exists"]:
            results.append({**row, "result": "exists",
                            "detail": f"provisioningState {c['binding']['provisioningState']}"})
        elif not c["ready"]:
            results.append({**row, "result": "not-ready", "detail": "; ".join(c["problems"])})
        else:
            todo.append((c, BindingRef(c["subscription"], c["resourceGroup"], c["name"], c["binding"]["name"])))
    body = {"properties": {"managedIdentity": {"resourceId": identity_id}}}

    def create(ref):
        return client.put_binding(ref, body, wait=not no_wait)

    with ThreadPoolExecutor(max_workers=max(1, min(FLEET_WORKERS, WRITE_WORKERS, len(todo)))) as pool:
        futures = {pool.submit(create, ref): c for c, ref in todo}
        for future in as_completed(futures):
            c = futures[future]
            row = {"cluster": c["id"], "binding": c["binding"]["name"]}
            try:
                future.result()
            except (AzCLIError, AzureError) as ex:
                results.append({**row, "result": "failed", "detail": str(ex)})
            else:
                results.append({**row, "result": "accepted" if no_wait else "created", "detail": ""})
    results.sort(key=lambda r: r["cluster"].lower())
    return results


def next_steps(identity_id, directory=None):
    plan_line = commandline.migrate("plan", identity_id, manifests_dir=commandline.Placeholder("DIR"))
    where = f" (written to {directory})" if directory else f" (write them with `{plan_line}`)"
    return ("Next steps: 1. apply each cluster's RBAC manifest with kubectl" + where + ". 2. Move each workload: "
            "its app must first use WorkloadIdentityCredential with the Azure token proxy (a minimum SDK version; "
            "DefaultAzureCredential does not support it), then its pod template gets the annotation "
            "azure.workload.identity/use-identity-binding: \"true\" (docs/migration.md). 3. When its pods run in "
            "identity-binding mode, retire the old credentials: "
            f"`{commandline.migrate('retire', identity_id)}`.")


# -- retire ------------------------------------------------------------------------------------------

def evidence(the_plan, cluster_keys, kubeconfig=None, context=None):
    """{cluster key: {"NS/SA": (ok, why)}} from the pods of each service account on the one cluster the
    kubeconfig context reaches (retire allows --kubeconfig/--context with --cluster-name only)."""
    from azext_identitybinding import kube
    found = {}
    selected = [c for c in the_plan["clusters"] if c["id"].lower() in cluster_keys]
    if not selected:
        return found
    try:
        cluster = kube.Cluster(kubeconfig, context)
    except kube.KubeError as ex:
        return {c["id"].lower(): {sa: (False, f"the cluster could not be read: {ex}") for sa in c["serviceAccounts"]}
                for c in selected}
    for c in selected:
        seen = found.setdefault(c["id"].lower(), {})
        for account in c["serviceAccounts"]:
            namespace, name = account.split("/", 1)
            try:
                seen[account] = plan.pod_evidence(cluster.pods(namespace, f"spec.serviceAccountName={name}"))
            except kube.KubeError as ex:
                seen[account] = (False, f"its pods could not be read: {ex}")
    return found


def default_backup_dir():
    """A new folder for this run's backups, in the current directory, named by the time (UTC)."""
    import time
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    base = os.path.abspath(f"identity-binding-backup-{stamp}")
    path, n = base, 1
    while os.path.lexists(path):
        n += 1
        path = f"{base}-{n}"
    return path


def backup(identity_id, credential):
    """The backup document of a FIC: what it was and the command that creates it again."""
    from azext_identitybinding import ids
    rid = ids.parse_identity_id(identity_id)
    return {"identity": identity_id, "name": credential.name, "issuer": credential.issuer,
            "subject": credential.subject, "audiences": list(credential.audiences),
            "restore": commandline.federated_credential_create(rid, credential.name, credential.issuer,
                                                               credential.subject, credential.audiences)}


def retire(client, identity_id, chosen, directory):
    """Delete the chosen FICs one at a time (Entra rejects concurrent FIC writes on one identity): each
    is read again and must be unchanged, and is written to `directory` before its DELETE.
    Returns (deleted, refused) lists of {"credential", ...}."""
    from azure.cli.core.azclierror import AzCLIError
    from azure.core.exceptions import AzureError
    from azext_identitybinding.migrate import classify
    deleted, refused = [], []
    for entry in chosen:
        name, was = entry.credential.name, entry.credential
        try:
            now = client.get_fic(identity_id, name)
        except (AzCLIError, AzureError) as ex:
            refused.append({"credential": name, "reason": f"it could not be read again: {ex}"})
            continue
        current = classify.credential_of(now)[0] if now is not None else None
        if current is None or (current.issuer, current.subject, current.audiences) != \
                (was.issuer, was.subject, was.audiences):
            what = "is gone" if now is None else "changed since it was read (issuer, subject or audiences)"
            refused.append({"credential": name, "reason": f"it {what}; it was not deleted. Run plan again."})
            continue
        text = json.dumps(backup(identity_id, was), indent=2, sort_keys=True) + "\n"
        try:
            write_files(directory, {f"{name}.json": text}, overwrite=False)
        except AzCLIError as ex:
            refused.append({"credential": name, "reason": f"its backup could not be written, so it was not "
                                                          f"deleted: {ex}"})
            continue
        try:
            client.delete_fic(identity_id, name)
        except (AzCLIError, AzureError) as ex:
            refused.append({"credential": name, "reason": f"the DELETE failed: {ex}"})
            continue
        deleted.append({"credential": name, "cluster": entry.cluster.id, "serviceAccount": entry.service_account,
                        "backup": os.path.join(directory, f"{name}.json")})
    return deleted, refused
