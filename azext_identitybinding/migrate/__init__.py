"""`az aks identity-binding migrate`: moving an identity's workload identity credentials to bindings.

  classify.py  pure: which federated credential (FIC) is an AKS workload of which visible cluster,
               which never worked, which are left alone, and which are not usable at all
  plan.py      pure: the plan of one identity (the binding per cluster, its service accounts, the FICs
               it replaces, readiness), the audit row of an identity, the manifests and the retire rules
  reads.py     the reads, through arm/ and fleet.py (Resource Graph discovery with per-subscription
               fallback, paced reads, unreadable parts named)
  run.py       what each command does with them: apply's writes, retire's backups and deletes, the
               manifest and backup files
"""
