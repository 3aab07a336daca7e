"""`az aks identity-binding check`: run every rule over the gathered facts, in a stable order.

Pure: azure_rules.py, target_rules.py (--target-resource) and cluster_rules.py hold the rules,
registered in rules.py; facts.py the facts they read; gather.py (the only module here that reads
anything) fills them. Items are {check, status, detail, fix}, status one of pass | warn | fail |
skip. A rule whose facts could not be had says so as a skip, never as a failure; every fail carries
the command that fixes it.
"""
from azext_identitybinding.check import azure_rules, cluster_rules, rules, target_rules
from azext_identitybinding.check.facts import item
from azext_identitybinding.ids import service_account_parts

# Importing the rule modules registers their rules; rules.ordered() puts them in order.
RULE_MODULES = (azure_rules, target_rules, cluster_rules)


def evaluate(facts):
    """Every check item: Azure, then the cluster, then the manifests."""
    items = []
    for r in rules.ordered():
        if r.side == "cluster" and facts.kube.skip:
            items.append(item(r.name, "skip", f"no cluster access: {facts.kube.skip}"))
        else:
            items += r.run(facts)
    return items


def lint(pod_files, service_account=None, client_id=None):
    """The offline manifest lint: only the pod-file checks, from the files alone (no facts, no network).
    Manifests without a namespace are taken to be in the service account's, else in 'default'."""
    namespace = service_account_parts(service_account)[0] if service_account else "default"
    return cluster_rules.pod_file_items(pod_files, namespace, service_account, client_id)


def failed(items):
    return [i["check"] for i in items if i["status"] == "fail"]
