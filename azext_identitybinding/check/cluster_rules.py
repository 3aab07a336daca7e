"""The cluster side of `check`: service account, RBAC, webhook, root CA, pods and manifests.

Pure: each rule takes the Facts (Kubernetes objects in the API's JSON shape) and returns a list of
check items: one, or for pods and manifests one per workload; every fail carries the kubectl or az
command that fixes it.
"""
import re

from azext_identitybinding.check import fixes, rbac_audit, workload
from azext_identitybinding.check.facts import item, why_not
from azext_identitybinding.check.rules import rule
from azext_identitybinding.constants import (API_GROUP, CLIENT_ID_ANNOTATION, MIN_WEBHOOK, ROOT_CA,
                                             TENANT_ID_ANNOTATION, VERB, WEBHOOK_CONFIG, WEBHOOK_NAMESPACE,
                                             WEBHOOK_SELECTOR)

_VERSION_RE = re.compile(r":v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(@|$)")


@rule("kubeconfig", side="access")
def check_kubeconfig(facts):
    kube = facts.kube
    if kube.skip:
        return [item("kubeconfig", "skip", kube.skip, kube.fix)]
    return [item("kubeconfig", "pass", f"context '{kube.context}' reaches {kube.server}")]


@rule("service-account", side="cluster")
def check_service_account(facts):
    t, got = facts.target, facts.sa
    if got.missing:
        return [item("service-account", "fail", f"service account {t.service_account} does not exist",
                     fixes.generate_rbac(facts, include_sa=True))]
    if not got.ok:
        return [item("service-account", "skip", why_not(got, f"service account {t.service_account}"))]
    return [item("service-account", "pass", f"service account {t.service_account} exists")]


def _annotations(facts):
    return ((facts.sa.value or {}).get("metadata") or {}).get("annotations") or {}


def _cannot_compare(facts, check, known, what):
    """The skip item of an annotation check that lacks the service account or the identity's id, else None."""
    if not facts.sa.ok:
        return item(check, "skip", "needs the service account")
    return None if known else item(check, "skip", f"the identity's {what} is not known")


@rule("sa-client-id", side="cluster")
def check_sa_client_id(facts):
    t, ident = facts.target, facts.ident
    skipped = _cannot_compare(facts, "sa-client-id", ident.client_id, "client id")
    if skipped:
        return [skipped]
    value = _annotations(facts).get(CLIENT_ID_ANNOTATION)
    fix = fixes.annotate(t, CLIENT_ID_ANNOTATION, ident.client_id)
    if not value:
        return [item("sa-client-id", "fail", f"annotation {CLIENT_ID_ANNOTATION} is missing: pods get no "
                                             "AZURE_CLIENT_ID", fix)]
    if value.strip().lower() != ident.client_id:
        what = " (that is the identity's object id)" if value.strip().lower() == ident.object_id else ""
        return [item("sa-client-id", "fail", f"annotation {CLIENT_ID_ANNOTATION} is {value}{what}, not the identity's "
                                             f"client id {ident.client_id}", fix)]
    if value != ident.client_id:
        return [item("sa-client-id", "warn", f"annotation {CLIENT_ID_ANNOTATION} is {value!r}: same id, but pods send "
                                             "it as written and RBAC compares exactly; write it lowercase", fix)]
    return [item("sa-client-id", "pass", f"annotation {CLIENT_ID_ANNOTATION} is {ident.client_id}")]


@rule("sa-tenant-id", side="cluster")
def check_sa_tenant_id(facts):
    t, ident = facts.target, facts.ident
    skipped = _cannot_compare(facts, "sa-tenant-id", ident.tenant_id, "tenant id")
    if skipped:
        return [skipped]
    value = (_annotations(facts).get(TENANT_ID_ANNOTATION) or "").strip().lower()
    fix = fixes.annotate(t, TENANT_ID_ANNOTATION, ident.tenant_id)
    if value == ident.tenant_id:
        return [item("sa-tenant-id", "pass", f"annotation {TENANT_ID_ANNOTATION} is {ident.tenant_id}")]
    if value:
        return [item("sa-tenant-id", "fail", f"annotation {TENANT_ID_ANNOTATION} is {value}, but the identity is in "
                                             f"tenant {ident.tenant_id}", fix)]
    cluster_tenant = ((facts.cluster.value or {}).get("identity") or {}).get("tenantId", "").lower() \
        if facts.cluster.ok else ""
    if cluster_tenant and cluster_tenant != ident.tenant_id:
        return [item("sa-tenant-id", "fail", f"annotation {TENANT_ID_ANNOTATION} is missing, so pods use the cluster's "
                                             f"tenant {cluster_tenant}, but the identity is in {ident.tenant_id}", fix)]
    return [item("sa-tenant-id", "warn", f"annotation {TENANT_ID_ANNOTATION} is missing; pods fall back to the "
                                         "cluster's tenant (the same today); set it explicitly", fix)]


def _grant_text(grant):
    who = ", ".join(label for label, _ in grant["subjects"])
    return f"ClusterRoleBinding {grant['binding']} (ClusterRole {grant['role']}) to {who}"


@rule("rbac-grant", side="cluster")
def check_rbac_grant(facts):
    t, ident, got = facts.target, facts.ident, facts.sar
    if not ident.client_id:
        return [item("rbac-grant", "skip", "the identity's client id is not known")]
    if not got.ok:
        return [item("rbac-grant", "skip", why_not(got, "a SubjectAccessReview") +
                     " (needs create on subjectaccessreviews.authorization.k8s.io)")]
    status = got.value.get("status") or {}
    asked = f"{t.user} {VERB} {API_GROUP}/{ident.client_id} (cluster scope, by SubjectAccessReview)"
    if status.get("allowed"):
        return [item("rbac-grant", "pass", f"allowed: {asked}; {status.get('reason', '')}".rstrip("; "))]
    fix = fixes.generate_rbac(facts)
    managed = fixes.fleet_note(ident.fleet_profile) if ident.fleet_profile else ""
    namespaced = facts.sar_ns
    if namespaced is not None and namespaced.ok and (namespaced.value.get("status") or {}).get("allowed"):
        why = (namespaced.value.get("status") or {}).get("reason", "")
        return [item("rbac-grant", "fail", f"denied at cluster scope: {asked}; it is allowed only in namespace "
                                           f"{t.namespace} ({why}), through a RoleBinding, which the identity-binding "
                                           f"proxy does not honour{managed}", fix)]
    others = []
    if facts.crbs.ok and facts.crs.ok:
        grants = rbac_audit.grants(facts.crbs.value.get("items"), facts.crs.value.get("items"), ident.client_id)
        others = [_grant_text(g) for g in grants]
    hint = f"; the identity is granted only to: {'; '.join(others)}" if others else ""
    return [item("rbac-grant", "fail", f"denied: {asked}{hint}{managed}", fix)]


@rule("rbac-rules", side="cluster")
def check_rbac_rules(facts):
    ident = facts.ident
    if not ident.client_id:
        return [item("rbac-rules", "skip", "the identity's client id is not known")]
    if not facts.crs.ok:
        return [item("rbac-rules", "skip", why_not(facts.crs, "ClusterRoles"))]
    problems = rbac_audit.malformed(facts.crs.value.get("items"), ident.client_id, ident.object_id, ident.id,
                                    ident.name)
    if not problems:
        return [item("rbac-rules", "pass", "no ClusterRole rule mentions this identity in a form that grants nothing")]
    roles = sorted({name for name, _ in problems})
    denied = facts.sar.ok and not (facts.sar.value.get("status") or {}).get("allowed")
    detail = "; ".join(f"ClusterRole {name}: {problem}" for name, problem in problems)
    fix = f"kubectl delete clusterrole {' '.join(roles)} && {fixes.generate_rbac(facts)}"
    return [item("rbac-rules", "fail" if denied else "warn", detail, fix)]


@rule("rbac-exposure", side="cluster")
def check_rbac_exposure(facts):
    ident = facts.ident
    if not ident.client_id:
        return [item("rbac-exposure", "skip", "the identity's client id is not known")]
    for got, what in ((facts.crbs, "ClusterRoleBindings"), (facts.crs, "ClusterRoles")):
        if not got.ok:
            return [item("rbac-exposure", "skip", why_not(got, what))]
    found = rbac_audit.grants(facts.crbs.value.get("items"), facts.crs.value.get("items"), ident.client_id)
    if not found:
        return [item("rbac-exposure", "pass", "no service account can use this identity")]
    worst, notes, removals = "pass", [], []
    for grant in found:
        reaches = {reach for _, reach in grant["subjects"]}
        if "cluster" in reaches:
            worst = "fail"
            notes.append(f"{_grant_text(grant)}: every service account of the cluster can use the identity")
        elif grant["how"] == "wildcard":
            worst = "fail" if worst == "fail" else "warn"
            notes.append(f"{_grant_text(grant)}: grants every identity through '*'")
        elif "namespace" in reaches:
            worst = "fail" if worst == "fail" else "warn"
            notes.append(f"{_grant_text(grant)}: every service account of a namespace, including ones created later")
        else:
            notes.append(_grant_text(grant))
            continue
        removals.append(f"kubectl delete clusterrolebinding {grant['binding']}")
    fix = " && ".join(removals) + (f", then grant only what is needed: {fixes.generate_rbac(facts)}"
                                   if removals else "")
    return [item("rbac-exposure", worst, "can use this identity: " + "; ".join(notes), fix)]


def webhook_version(image):
    """(major, minor, patch, prerelease) from an image reference, or None."""
    match = _VERSION_RE.search(image or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), (match.group(4) or "")[1:]


@rule("webhook", side="cluster")
def check_webhook(facts):
    t, got = facts.target, facts.webhook
    if not got.ok:
        return [item("webhook", "skip", why_not(got, f"Deployments in {WEBHOOK_NAMESPACE}"))]
    reconcile = fixes.aks_update(t, "--enable-workload-identity")
    deployments = got.value.get("items") or []
    if not deployments:
        return [item("webhook", "fail", f"no workload identity webhook (label {WEBHOOK_SELECTOR}) in "
                                        f"{WEBHOOK_NAMESPACE}", reconcile)]
    return [_webhook_deployment(facts, deployments[0], reconcile)]


def _webhook_deployment(facts, dep, reconcile):
    """The webhook is installed: is it ready, recent enough and switched to identity bindings?"""
    t = facts.target
    name = (dep.get("metadata") or {}).get("name", "?")
    containers = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    image = next((c.get("image", "") for c in containers if "webhook" in c.get("image", "")), "") or \
        (containers[0].get("image", "") if containers else "")
    ready = (dep.get("status") or {}).get("readyReplicas") or 0
    if ready < 1:
        return item("webhook", "fail", f"deployment {WEBHOOK_NAMESPACE}/{name} has no ready replica: pods labelled for "
                                       "workload identity cannot be created (failurePolicy Fail)", reconcile)
    version = webhook_version(image)
    if version is None:
        return item("webhook", "warn", f"{name} runs {image}; its version cannot be read from the tag",
                    f"kubectl -n {WEBHOOK_NAMESPACE} get deployment {name} -o yaml")
    if version[:3] < MIN_WEBHOOK:
        return item("webhook", "fail", f"{name} runs {image}; identity bindings need v1.6.0-alpha.1 or later",
                    f"{reconcile}; {fixes.get_upgrades(t)}")
    args = " ".join(str(a) for c in containers for a in (c.get("args") or []) + (c.get("command") or []))
    config = (facts.webhook_config.value or {}).get("data") or {} if facts.webhook_config.ok else {}
    switched_on = (version[3] or re.search(r"--custom-token-endpoint-audience=\S", args)
                   or config.get("AZURE_KUBERNETES_TOKEN_PROXY") or config.get("AZURE_KUBERNETES_TOKEN_ENDPOINT"))
    if not switched_on:
        return item("webhook", "warn", f"{name} runs {image}, which supports identity bindings, but neither its "
                                       "--custom-token-endpoint-* flags nor AZURE_KUBERNETES_TOKEN_PROXY in "
                                       f"{WEBHOOK_CONFIG} show the feature switched on; the pods check tells",
                    f"kubectl -n {WEBHOOK_NAMESPACE} get configmap {WEBHOOK_CONFIG} -o yaml")
    return item("webhook", "pass", f"{name} runs {image} ({ready} ready)")


@rule("root-ca", side="cluster")
def check_root_ca(facts):
    t, got = facts.target, facts.root_ca
    fix = (f"kubectl -n {t.namespace} create configmap {ROOT_CA} --from-literal=ca.crt=\"$(kubectl -n default get "
           f"configmap {ROOT_CA} -o jsonpath='{{.data.ca\\.crt}}')\"")
    if got.missing:
        return [item("root-ca", "fail", f"ConfigMap {ROOT_CA} is missing in {t.namespace}: identity-binding pods stay "
                                        "in ContainerCreating (their CA volume is not optional)", fix)]
    if not got.ok:
        return [item("root-ca", "skip", why_not(got, f"ConfigMap {t.namespace}/{ROOT_CA}"))]
    if not ((got.value.get("data") or {}).get("ca.crt") or "").strip():
        return [item("root-ca", "fail", f"ConfigMap {t.namespace}/{ROOT_CA} has no ca.crt",
                     f"kubectl -n {t.namespace} delete configmap {ROOT_CA} && {fix}")]
    return [item("root-ca", "pass", f"ConfigMap {t.namespace}/{ROOT_CA} holds the cluster CA")]


def _merge(check, findings, passed):
    """One item from a list of (status, detail, fix) findings: the worst status, all details and fixes."""
    if not findings:
        return item(check, "pass", passed)
    order = {"fail": 0, "warn": 1}
    findings = sorted(findings, key=lambda f: order[f[0]])
    commands = list(dict.fromkeys(f[2] for f in findings if f[2]))
    return item(check, findings[0][0], "; ".join(f[1] for f in findings), " ; ".join(commands))


@rule("pods", side="cluster")
def check_pods(facts):
    t, got, ident = facts.target, facts.pods, facts.ident
    if not got.ok:
        return [item("pods", "skip", why_not(got, f"pods of {t.service_account}"))]
    pods = got.value.get("items") or []
    if not pods:
        return [item("pods", "skip", f"no pod runs as {t.service_account} yet; use --pod-file to check a manifest")]
    groups = {}
    for pod in pods:
        w = workload.live_pod_workload(pod)
        groups.setdefault((w.kind, w.name), []).append((w, pod))
    items = []
    for (kind, name), members in sorted(groups.items()):
        findings = []
        for w, _ in members:
            for finding in (workload.label_findings(w) + workload.mutation_findings(w)
                            + workload.env_findings(w, ident.client_id, live=True)):
                if finding not in findings:
                    findings.append(finding)
        items.append(_merge(f"pods {kind.lower()}/{name}", findings,
                            f"{len(members)} pod(s) mutated for the identity-binding proxy"))
    return items


@rule("pod-file", side="files")
def check_pod_files(facts):
    t = facts.target
    return pod_file_items(t.pod_files, t.namespace, t.service_account, facts.ident.client_id)


def pod_file_items(pod_files, namespace, service_account=None, client_id=None):
    """One item per workload of [(path, documents)]; manifests without a namespace default to
    `namespace`. Also the offline lint (`check --pod-file` alone): it needs no facts."""
    found = [(path, w) for path, documents in pod_files for w in workload.workloads(documents, namespace)]
    names = _unique_names(found)
    items = []
    for (path, w), name in zip(found, names):
        findings = [(status, detail, f"{fix} (and make the same change in {path})" if fix.startswith("kubectl")
                     else fix) for status, detail, fix in workload.template_findings(w, service_account, client_id)]
        right = f"label, annotation and service account {service_account}" if service_account \
            else "label and annotation"
        items.append(_merge(name, findings, f"{path}: {right} are right"))
    return items


def _unique_names(found):
    """Check names for [(path, workload)]: the workload, and where it is when that name is not unique."""
    from collections import Counter
    by_ref = Counter(w.ref for _, w in found)
    by_file = Counter((w.ref, path) for path, w in found)
    names = []
    for path, w in found:
        if by_ref[w.ref] == 1:
            names.append(f"pod-file {w.ref}")
        elif by_file[w.ref, path] == 1:
            names.append(f"pod-file {w.ref} in {path}")
        else:
            names.append(f"pod-file {w.ref} in namespace {w.namespace} of {path}")
    return names
