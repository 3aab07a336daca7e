"""`az aks identity-binding check`: run every rule over the gathered facts, in a stable order.

Pure: azure_rules.py and cluster_rules.py hold the rules; facts.py the facts they read. Items are
{check, status, detail, fix}, status one of pass | warn | fail | skip. A rule whose facts could not
be had says so as a skip, never as a failure; every fail carries the command that fixes it.
"""
from azext_identitybinding.check import azure_rules, cluster_rules
from azext_identitybinding.check.facts import item
from azext_identitybinding.check.cluster_rules import CLUSTER_CHECKS


def evaluate(facts):
    """Every check item: Azure, then the cluster, then the manifests."""
    items = [rule(facts) for rule in azure_rules.RULES]
    items.append(cluster_rules.check_kubeconfig(facts))
    if facts["kube"].get("skip"):
        items += [item(name, "skip", f"no cluster access: {facts['kube']['skip']}") for name in CLUSTER_CHECKS]
    else:
        for rule in cluster_rules.RULES:
            result = rule(facts)
            items += result if isinstance(result, list) else [result]
    items += cluster_rules.check_pod_files(facts)
    return items


def lint(pod_files, service_account=None, client_id=None):
    """The offline manifest lint: only the pod-file checks, from the files alone (no facts, no network).
    Manifests without a namespace are taken to be in the service account's, else in 'default'."""
    namespace = service_account.split("/")[0] if service_account else "default"
    return cluster_rules.pod_file_items(pod_files, namespace, service_account, client_id)


def failed(items):
    return [i["check"] for i in items if i["status"] == "fail"]
