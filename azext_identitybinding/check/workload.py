"""What a pod (or a workload's pod template) needs to get tokens through an identity binding.

Pure: standard library only. Works on objects in the JSON shape of the Kubernetes API, from a
manifest file (`--pod-file`) or as the API server returned them (live pods). Each finding is
(status, detail, fix); __init__.py turns them into check items.
"""
import json
import re

from azext_identitybinding.constants import (EXPIRATION_ANNOTATION, EXPIRATION_RANGE, OLD_TOKEN_ENDPOINT_ENV,
                                             OLD_TOKEN_PATH, TOKEN_PROXY_ENV, USE_BINDING_ANNOTATION, USE_LABEL)
from azext_identitybinding.ids import service_account_parts

# kind -> path from the object to its pod template; a Pod is its own template.
TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"), "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"), "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"), "Pod": (),
}
_ROLLABLE = {"Deployment", "StatefulSet", "DaemonSet"}


class Workload:
    """A pod template and the object that holds it."""

    def __init__(self, kind, name, namespace, obj_meta, template):
        self.kind, self.name, self.namespace = kind, name, namespace
        self.obj_meta = obj_meta or {}
        self.template = template or {}

    @property
    def meta(self):
        """The pod template's metadata."""
        return self.template.get("metadata") or {}

    @property
    def spec(self):
        """The pod template's spec."""
        return self.template.get("spec") or {}

    @property
    def ref(self):
        return f"{self.kind.lower()}/{self.name}"


def workloads(documents, default_namespace):
    """The workloads with a pod template among manifest documents (Lists are opened)."""
    found = []
    for doc in documents:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "List" or (doc.get("kind") or "").endswith("List"):
            found += workloads(doc.get("items") or [], default_namespace)
            continue
        path = TEMPLATE_PATHS.get(doc.get("kind"))
        if path is None:
            continue
        template = doc
        for key in path:
            template = (template or {}).get(key) or {}
        meta = doc.get("metadata") or {}
        found.append(Workload(doc["kind"], meta.get("name", "?"), meta.get("namespace") or default_namespace,
                              meta if path else {}, template))
    return found


def _containers(spec):
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def _env(container):
    return {e.get("name"): e.get("value") for e in container.get("env") or [] if isinstance(e, dict)}


def template_patch(namespace, kind, name, *, labels=None, annotations=None, service_account=None):
    """The one `kubectl patch --type merge` that sets labels and annotations on a workload's pod template
    and its serviceAccountName. `kind` None: the target is the placeholder WORKLOAD (KIND/NAME, e.g.
    deployment/web) of a workload whose template is at spec.template. Names must be checked (DNS-1123)."""
    template = {}
    metadata = {k: dict(sorted(v.items())) for k, v in (("annotations", annotations), ("labels", labels)) if v}
    if metadata:
        template["metadata"] = metadata
    if service_account:
        template["spec"] = {"serviceAccountName": service_account}
    body = template
    for key in reversed(TEMPLATE_PATHS[kind or "Deployment"]):
        body = {key: body}
    target = f"{kind.lower()} {name}" if kind else "WORKLOAD"
    return f"kubectl -n {namespace} patch {target} --type merge -p '{json.dumps(body, separators=(',', ':'))}'"


def _patch(w, where, key, value):
    """A kubectl command that sets a label/annotation on the pod template (or says to recreate a pod)."""
    if w.kind == "Pod":
        return (f"add {where} {key}: \"{value}\" to the Pod's metadata in its manifest, then recreate it: "
                f"kubectl -n {w.namespace} delete pod {w.name} && kubectl apply -f <manifest>")
    if w.kind == "Job":  # a Job's template cannot change: re-create it
        return (f"set spec.template.metadata.{where} {key}: \"{value}\" in the Job's manifest, then "
                f"kubectl -n {w.namespace} delete job {w.name} && kubectl apply -f <manifest>")
    return template_patch(w.namespace, w.kind, w.name, **{where: {key: value}})


def restart(w):
    """The command that re-creates the pods of a workload, so the webhook mutates them again."""
    if w.kind in _ROLLABLE:
        return f"kubectl -n {w.namespace} rollout restart {w.ref}"
    if w.kind == "Pod":
        return f"kubectl -n {w.namespace} delete pod {w.name}, then create it again from its manifest"
    return f"kubectl -n {w.namespace} delete pods -l <the {w.kind}'s selector> (its controller re-creates them)"


def label_findings(w):
    """The label and the annotation, on the pod template itself (docs/failure-modes.md)."""
    findings = []
    labels, annotations = w.meta.get("labels") or {}, w.meta.get("annotations") or {}
    label = labels.get(USE_LABEL)
    if label != "true":
        if label is not None:
            why = f"has label {USE_LABEL}: {label!r}; the webhook selects exactly \"true\""
        elif (w.obj_meta.get("labels") or {}).get(USE_LABEL) is not None:
            why = f"has label {USE_LABEL} on the {w.kind}'s own metadata only, not on its pod template"
        else:
            why = f"lacks the label {USE_LABEL}: \"true\""
        findings.append(("fail", f"{why}, so the webhook never mutates its pods",
                         _patch(w, "labels", USE_LABEL, "true")))
    value = annotations.get(USE_BINDING_ANNOTATION)
    if str(value).lower() != "true":
        near = sorted(k for k in annotations if "identity-binding" in k and k != USE_BINDING_ANNOTATION)
        if value is not None:
            why = f"has annotation {USE_BINDING_ANNOTATION}: {value!r} (not \"true\")"
        elif near:
            why = f"has annotation {near[0]!r}, not {USE_BINDING_ANNOTATION}"
        elif (w.obj_meta.get("annotations") or {}).get(USE_BINDING_ANNOTATION) is not None:
            why = (f"has annotation {USE_BINDING_ANNOTATION} on the {w.kind}'s own metadata only, not on its pod "
                   "template")
        else:
            why = f"lacks the annotation {USE_BINDING_ANNOTATION}: \"true\""
        findings.append(("fail", f"{why}, so pods get plain workload identity (audience api://AzureADTokenExchange) "
                                 "instead of the identity-binding proxy",
                         _patch(w, "annotations", USE_BINDING_ANNOTATION, "true")))
    return findings


def template_findings(w, service_account=None, client_id=None):
    """Static checks of a manifest's pod template (see docs/failure-modes.md). Without a
    service account (NAMESPACE/NAME) or a client id, what needs them is not checked."""
    findings = label_findings(w)
    effective = w.spec.get("serviceAccountName") or w.spec.get("serviceAccount") or "default"
    namespace, name = service_account_parts(service_account) if service_account else (w.namespace, effective)
    if effective != name or w.namespace != namespace:
        unset = "" if w.spec.get("serviceAccountName") else " (serviceAccountName is unset, so 'default')"
        fix = (template_patch(w.namespace, w.kind, w.name, service_account=name)
               if w.kind in _ROLLABLE else f"set serviceAccountName: {name} in the pod spec of the manifest")
        if w.namespace != namespace:
            fix = f"deploy it to namespace {namespace}, or check --service-account {w.namespace}/{effective}"
        findings.append(("fail", f"runs as service account {w.namespace}/{effective}{unset}, not {service_account}",
                         fix))
    expiration = (w.meta.get("annotations") or {}).get(EXPIRATION_ANNOTATION)
    if expiration is not None:
        low, high = EXPIRATION_RANGE
        if not re.fullmatch(r"[0-9]{1,9}", str(expiration)) or not low <= int(expiration) <= high:
            findings.append(("fail", f"annotation {EXPIRATION_ANNOTATION}: {expiration!r} is outside {low}-{high} "
                                     "seconds: the webhook refuses to create the pod",
                             _patch(w, "annotations", EXPIRATION_ANNOTATION, str(low))))
    findings += env_findings(w, client_id, live=False)
    return findings


def env_findings(w, client_id, live):
    """Environment that defeats the binding: a foreign AZURE_CLIENT_ID, old names and paths, two CAs."""
    findings = []
    for container in _containers(w.spec):
        env, cname = _env(container), container.get("name", "?")
        declared = env.get("AZURE_CLIENT_ID")
        if declared and client_id and declared.strip().lower() != client_id.lower():
            findings.append(("fail", f"container {cname} sets AZURE_CLIENT_ID={declared}, not the identity's client "
                                     f"id {client_id}; the webhook never overrides it",
                             f"kubectl -n {w.namespace} set env {w.ref} -c {cname} AZURE_CLIENT_ID-"
                             if w.kind in _ROLLABLE else f"remove AZURE_CLIENT_ID from container {cname}"))
        if live and OLD_TOKEN_ENDPOINT_ENV in env and TOKEN_PROXY_ENV not in env:
            findings.append(("fail", f"container {cname} has {OLD_TOKEN_ENDPOINT_ENV} (an early preview webhook) but "
                                     f"no {TOKEN_PROXY_ENV}, the only name the SDKs read",
                             restart(w)))
        if live and env.get("AZURE_KUBERNETES_CA_FILE") and env.get("AZURE_KUBERNETES_CA_DATA"):
            findings.append(("fail", f"container {cname} has both AZURE_KUBERNETES_CA_FILE and "
                                     "AZURE_KUBERNETES_CA_DATA; the SDKs refuse that combination",
                             "kubectl -n kube-system edit configmap azure-wi-webhook-config (remove "
                             f"AZURE_KUBERNETES_CA_DATA), then {restart(w)}"))
        argv = (container.get("command") or []) + (container.get("args") or [])
        text = " ".join([str(v) for v in env.values()] + [str(a) for a in argv])
        if OLD_TOKEN_PATH in text:
            findings.append(("warn", f"container {cname} hard-codes {OLD_TOKEN_PATH}, the token path of webhook "
                                     "v1.5 and older; v1.6 mounts it elsewhere",
                             "read the path from $AZURE_FEDERATED_TOKEN_FILE instead of hard-coding it"))
    return findings


def live_pod_workload(pod):
    """The workload that owns a live pod (a Deployment through its ReplicaSet), as a Workload of that pod."""
    meta = pod.get("metadata") or {}
    owner = next(iter(meta.get("ownerReferences") or []), None)
    kind, name = "Pod", meta.get("name", "?")
    if owner:
        kind, name = owner.get("kind", "Pod"), owner.get("name", name)
        pod_hash = (meta.get("labels") or {}).get("pod-template-hash")
        if kind == "ReplicaSet" and pod_hash and name.endswith("-" + pod_hash):
            kind, name = "Deployment", name[:-len(pod_hash) - 1]
    return Workload(kind, name, meta.get("namespace", ""), {}, pod)


def mutation_findings(w):
    """Was this pod mutated in identity-binding mode (webhook too old, pod older than its label, old env)?"""
    if label_findings(w):
        return []  # not asked for: the label findings say why
    names = set()
    for container in _containers(w.spec):
        names.update(_env(container))
    if TOKEN_PROXY_ENV in names:
        return []
    if OLD_TOKEN_ENDPOINT_ENV in names:
        return []  # env_findings reports it
    if "AZURE_FEDERATED_TOKEN_FILE" in names:
        return [("fail", f"a pod was mutated without identity-binding mode (no {TOKEN_PROXY_ENV}; token "
                         f"audience {_audience(w.spec) or 'api://AzureADTokenExchange'}): the webhook did not "
                         "honour the annotation (see the webhook check) or the pod predates it",
                 restart(w))]
    return [("fail", "a pod was not mutated at all (no AZURE_* environment): it was created before the "
                     "label and annotation were set, or before the webhook was ready", restart(w))]


def _audience(spec):
    for volume in spec.get("volumes") or []:
        for source in (volume.get("projected") or {}).get("sources") or []:
            token = source.get("serviceAccountToken") or {}
            if "azure-identity-token" in (token.get("path") or ""):
                return token.get("audience")
    return None
