"""`az aks identity-binding migrate` end to end: the installed extension, run as a real `az` process,
against the stand-in's world of the issue (tests/standin/scenarios.py): one identity with 18 of its
20 federated identity credentials over 4 clusters in 2 subscriptions, one binding already made, a
trailing-slash and a case-changed issuer, a deleted cluster's issuer, GitHub and EKS credentials and
`aks-identity-binding`; plus identities in a third subscription for `audit`.

What a correct command must say is worked out by scenarios.py from the seed, not from any output; the
tests check the exit code, the JSON, the requests the stand-in saw (methods, paths, bodies) and the
world after. The scenarios need the migrate commands: without the `migrate` group in the installed
extension (`az aks identity-binding migrate -h` fails) every test here is skipped, saying so.
"""
import json
import re
import shlex

import pytest

from standin import AKS_FIC_NAME, SUBSCRIPTION, StandIn
from standin import scenarios
from standin.azcli import AZ, AzState, build_wheel
from standin.world import subscription_id

pytestmark = pytest.mark.subprocess

SUBSCRIPTIONS = 3
SUBS = [subscription_id(k) for k in range(SUBSCRIPTIONS)]
AZ_TIMEOUT = 180
BINDING_NAME = re.compile(r"^[a-z][a-z0-9]{0,63}$")


@pytest.fixture(scope="module")
def arm(tmp_path_factory):
    with StandIn(lifetime=1200, state_dir=tmp_path_factory.mktemp("standin"), lro_retry_after=0) as standin:
        standin.cloud.ensure_subscriptions(SUBSCRIPTIONS)
        yield standin


@pytest.fixture(scope="module")
def az_state(arm, tmp_path_factory):
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    work = tmp_path_factory.mktemp("migrate")
    state = AzState(work / "az", arm, build_wheel(work / "wheel")).setup()
    probe = state.az("aks", "identity-binding", "migrate", "-h", timeout=AZ_TIMEOUT)
    assert probe.returncode == 0, f"the installed extension has no `migrate` group: {probe!r}"
    return state


def world(arm, not_ready=None, **settings):
    """The issue's world, afresh: (Migration, {identity id: AuditRow}). The default seed's rg1/cluster1 goes,
    identity-rg's identities (no credentials) stay."""
    arm.reset(seed=True)
    arm.world.clusters.pop(("rg1", "cluster1"))
    arm.world.bindings.pop(("rg1", "cluster1"))
    arm.configure(**settings)
    arm.cloud.ensure_subscriptions(SUBSCRIPTIONS)
    return scenarios.seed_audit(arm.cloud, not_ready=not_ready)


def run(az_state, *args, tag):
    return az_state.az("aks", "identity-binding", "migrate", *args, env={"AZURE_HTTP_USER_AGENT": tag},
                       timeout=AZ_TIMEOUT)


def seen(arm, tag):
    pattern = re.compile(rf"(^|\s){re.escape(tag)}(\s|$)")
    return [r for r in arm.requests() if pattern.search(r["user_agent"])]


def clean(result):
    report = f"{result!r}"
    assert "Traceback" not in result.stderr + result.stdout, report
    assert "failed with an unexpected error" not in result.words, report
    return report


def fics_now(arm, identity=(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME)):
    return {f["name"]: f for f in arm.world.fics[identity].values()}


def bindings_of(arm, migration):
    """{cluster name: {binding name: provisioningState}} of the plan's clusters, now."""
    out = {}
    for c in migration.clusters:
        world_ = arm.cloud.world(c.subscription)
        arm.binding(c.resource_group, c.name, "x", subscription=c.subscription)   # finish due operations
        out[c.name] = {b["name"]: b["properties"]["provisioningState"]
                       for b in world_.bindings[(c.resource_group.lower(), c.name.lower())].values()}
    return out


def changes(requests):
    return [(r["method"], r["route"], r["path"]) for r in requests if r["method"] in ("PUT", "DELETE", "PATCH")]


# -- plan ------------------------------------------------------------------------------------------

def test_plan_numbers_are_exact(arm, az_state):
    migration, _ = world(arm, fic_page_size=5)   # the 18 credentials come in 4 pages
    result = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag="ibmigrate/plan")
    report = clean(result)
    assert result.returncode == 0, report
    plan = result.json()
    assert plan["identity"].lower() == migration.identity.lower(), report
    assert plan["credentials"] == {"used": 18, "limit": 20, "afterMigration": migration.after,
                                   "afterIfAllReady": migration.after} == \
        {"used": 18, "limit": 20, "afterMigration": 6, "afterIfAllReady": 6}, report
    assert sorted(c["id"].lower() for c in plan["clusters"]) == sorted(c.id.lower() for c in migration.clusters)
    for expected in migration.clusters:
        got = next(c for c in plan["clusters"] if c["id"].lower() == expected.id.lower())
        assert got["serviceAccounts"] == expected.service_accounts, got
        assert got["replaces"] == expected.replaces, got
        assert got["ready"] is True and got["problems"] == [], got
        assert got["binding"]["exists"] is (expected.binding is not None), got
        if expected.binding:
            assert got["binding"]["name"] == expected.binding, got
        else:
            assert BINDING_NAME.match(got["binding"]["name"]), got
    names = {c["binding"]["name"] for c in plan["clusters"] if not c["binding"]["exists"]}
    assert len(names) == 1, "one deterministic name for the identity's new bindings"
    left = {item["name"]: item for item in plan["leftAlone"]}
    assert set(migration.other) | set(migration.deleted) | {AKS_FIC_NAME} <= set(left), report
    deleted_reason = left[migration.deleted[0]]["reason"].lower()   # both causes are possible: say so
    assert "deleted" in deleted_reason and "see" in deleted_reason, deleted_reason
    assert {f["credential"] for f in plan["findings"]} == set(migration.never_worked), plan["findings"]
    replaced = {n for c in plan["clusters"] for n in c["replaces"]}
    assert not replaced & (set(migration.never_worked) | set(left)), "a left-alone FIC in a binding's replaces"

    sent = seen(arm, "ibmigrate/plan")
    assert changes(sent) == [], "plan is read-only"
    fic_pages = [r for r in sent if r["route"] == "fics"]
    assert [r["status"] for r in fic_pages] == [200] * 4, "every page of the credential list, once"
    assert all(r["query"].get("$skipToken") for r in fic_pages[1:]), fic_pages
    # only the clusters with workload credentials of this identity have their bindings read
    read = {r["path"].lower().rsplit("/identitybindings", 1)[0] for r in sent if r["route"] == "bindings"}
    assert read <= {c.id.lower() for c in migration.clusters}, read
    assert [r["route"] for r in sent if r["method"] == "POST"] == ["arg"], "one Resource Graph query"


def test_plan_table_says_now_and_after(arm, az_state):
    migration, _ = world(arm)
    result = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "table", tag="ibmigrate/plan-text")
    report = clean(result)
    assert result.returncode == 0, report
    text = " ".join((result.stdout + result.stderr).split())
    assert re.search(r"18/20 (->|→) 6/20", text), report


# -- apply -----------------------------------------------------------------------------------------

def _puts(sent):
    return [r for r in sent if r["method"] == "PUT"]


def test_apply_creates_the_missing_bindings_and_then_nothing(arm, az_state):
    migration, _ = world(arm)
    before = bindings_of(arm, migration)
    result = run(az_state, "apply", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag="ibmigrate/apply1")
    report = clean(result)
    assert result.returncode == 0, report
    puts = _puts(seen(arm, "ibmigrate/apply1"))
    missing = [c for c in migration.clusters if c.binding is None]
    assert sorted(r["path"].lower().rsplit("/identitybindings/", 1)[0] for r in puts) == \
        sorted(c.id.lower() for c in missing), report
    assert all(r["route"] == "binding" for r in puts)
    for r in puts:   # the body: this identity, nothing else
        assert r["body"] == {"properties": {"managedIdentity": {"resourceId": migration.identity}}}, r["body"]
    after = bindings_of(arm, migration)
    for c in migration.clusters:
        if c.binding:
            assert after[c.name] == before[c.name], "an existing binding was changed"
        else:
            new = set(after[c.name]) - set(before[c.name])
            assert len(new) == 1 and BINDING_NAME.match(new.pop()), after[c.name]
            assert set(after[c.name].values()) == {"Succeeded"}
    assert not [r for r in seen(arm, "ibmigrate/apply1") if r["method"] == "DELETE"]
    assert len(fics_now(arm)) == 18, "apply changed the identity's credentials"

    again = run(az_state, "apply", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                "-o", "json", tag="ibmigrate/apply2")
    report = clean(again)
    assert again.returncode == 0, report
    assert changes(seen(arm, "ibmigrate/apply2")) == [], "a second apply must create nothing"
    assert bindings_of(arm, migration) == after
    assert "retire" in again.words or "retire" in again.stdout, "apply prints the next steps"


def test_apply_skips_a_cluster_that_is_not_ready_and_says_why(arm, az_state):
    migration, _ = world(arm, not_ready="aks-tools")
    result = run(az_state, "apply", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag="ibmigrate/notready")
    report = clean(result)
    assert result.returncode == 1, report
    puts = _puts(seen(arm, "ibmigrate/notready"))
    assert "aks-tools" not in " ".join(r["path"].lower() for r in puts), report
    assert len(puts) == 2, report                      # aks-prod-east and aks-prod-west
    assert "aks-tools" in result.stdout + result.words and "vnet" in (result.stdout + result.words).lower(), report
    assert bindings_of(arm, migration)["aks-tools"] == {}

    # and the plan's total says what apply reaches: the credentials of the cluster that is not ready stay
    plan = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
               "-o", "json", tag="ibmigrate/notready-plan")
    report = clean(plan)
    credentials, clusters = plan.json()["credentials"], plan.json()["clusters"]
    stuck = [c for c in clusters if not c["ready"]]
    assert [c["name"] for c in stuck] == ["aks-tools"], report
    assert credentials["afterIfAllReady"] == migration.after, report
    assert credentials["afterMigration"] == migration.after + len(stuck[0]["replaces"]), report


# -- retire ----------------------------------------------------------------------------------------

def _applied(arm, az_state, tag):
    migration, rows = world(arm)
    result = run(az_state, "apply", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag=tag)
    assert result.returncode == 0, f"{result!r}"
    return migration, rows


def _backups(directory):
    found = {}
    for path in sorted(directory.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["name"]] = (path, data)
    return found


def test_retire_deletes_exactly_the_named_credentials_and_backs_them_up(arm, az_state, tmp_path):
    migration, _ = _applied(arm, az_state, "ibmigrate/retire-apply")
    stage, east = migration.cluster("aks-stage"), migration.cluster("aks-prod-east")
    chosen = [stage.replaces[0], east.replaces[-1]]
    never = ["github-deploy", AKS_FIC_NAME, migration.never_worked[0], migration.deleted[0]]
    original = fics_now(arm)
    backup_dir = tmp_path / "backups"
    args = ["retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions", "--yes",
            "--backup-dir", str(backup_dir), "-o", "json"]
    for name in chosen + never:
        args += ["--credential", name]
    result = run(az_state, *args, tag="ibmigrate/retire")
    report = clean(result)
    deletes = [r for r in seen(arm, "ibmigrate/retire") if r["method"] == "DELETE"]
    assert sorted(r["path"].rsplit("/", 1)[1] for r in deletes) == sorted(chosen), report
    assert all(r["route"] == "fic" and r["status"] == 200 for r in deletes), report
    now = fics_now(arm)
    assert set(original) - set(now) == set(chosen), report
    assert all(now[n] == original[n] for n in now), "a kept credential was changed"
    words = result.stdout + result.words
    assert all(n in words for n in never), "each refused --credential is named"

    backups = _backups(backup_dir)
    assert sorted(backups) == sorted(chosen), report
    for name in chosen:
        _, data = backups[name]
        props = original[name]["properties"]
        assert (data["issuer"], data["subject"], data["audiences"]) == (props["issuer"], props["subject"],
                                                                        props["audiences"]), data
        assert data["restore"].startswith("az identity federated-credential create "), data["restore"]

    # the backup's line, run as it is, makes the credential again exactly as it was
    restore = shlex.split(backups[chosen[0]][1]["restore"])
    again = az_state.az(*restore[1:], "-o", "json", env={"AZURE_HTTP_USER_AGENT": "ibmigrate/restore"},
                        timeout=AZ_TIMEOUT)
    assert again.returncode == 0, f"{again!r}"
    assert fics_now(arm)[chosen[0]]["properties"] == original[chosen[0]]["properties"]
    assert [r["method"] for r in seen(arm, "ibmigrate/restore") if r["route"] == "fic"] == ["PUT"]


def test_retire_without_evidence_or_names_deletes_nothing(arm, az_state, tmp_path):
    migration, _ = _applied(arm, az_state, "ibmigrate/none-apply")
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(tmp_path / "b"), "-o", "json", tag="ibmigrate/none")
    clean(result)
    assert [r for r in seen(arm, "ibmigrate/none") if r["method"] == "DELETE"] == []
    assert len(fics_now(arm)) == 18
    assert not (tmp_path / "b").exists() or _backups(tmp_path / "b") == {}


def test_retire_refuses_a_credential_changed_since_it_was_read(arm, az_state, tmp_path):
    migration, _ = _applied(arm, az_state, "ibmigrate/changed-apply")
    west = migration.cluster("aks-prod-west")
    target, other = west.replaces[0], west.replaces[1]
    edited = "system:serviceaccount:payments:someone-else"

    def edit(standin):   # right after retire's list of the credentials
        standin.world.fic(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME, target)["properties"]["subject"] = edited
    arm.after("fics", edit)
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(tmp_path / "b"), "--credential", target, "--credential", other,
                 "-o", "json", tag="ibmigrate/changed")
    report = clean(result)
    assert result.returncode != 0, report
    deletes = [r["path"].rsplit("/", 1)[1] for r in seen(arm, "ibmigrate/changed") if r["method"] == "DELETE"]
    assert deletes == [other], report
    assert fics_now(arm)[target]["properties"]["subject"] == edited, "the changed credential was deleted"
    assert target in result.stdout + result.words, report
    assert sorted(_backups(tmp_path / "b")) == [other], "only what was deleted is backed up"


def test_retire_without_a_terminal_or_yes_refuses(arm, az_state, tmp_path):
    migration, _ = _applied(arm, az_state, "ibmigrate/noyes-apply")
    name = migration.cluster("aks-stage").replaces[0]
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--backup-dir", str(tmp_path / "b"), "--credential", name, "-o", "json", tag="ibmigrate/noyes")
    report = clean(result)
    assert result.returncode != 0 and "--yes" in result.words, report
    assert [r for r in seen(arm, "ibmigrate/noyes") if r["method"] == "DELETE"] == [], report
    assert name in fics_now(arm) and not (tmp_path / "b").exists()


def test_retire_before_apply_deletes_nothing(arm, az_state, tmp_path):
    migration, _ = world(arm)
    east = migration.cluster("aks-prod-east")   # no binding there yet
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(tmp_path / "b"), "--credential", east.replaces[0], "-o", "json",
                 tag="ibmigrate/early")
    report = clean(result)
    assert [r for r in seen(arm, "ibmigrate/early") if r["method"] == "DELETE"] == [], report
    assert east.replaces[0] in fics_now(arm)
    assert "apply" in result.stdout + result.words, report


# -- audit -----------------------------------------------------------------------------------------

def test_audit_over_three_subscriptions(arm, az_state):
    migration, rows = world(arm)
    result = run(az_state, "audit", "--all-subscriptions", "-o", "json", tag="ibmigrate/audit")
    report = clean(result)
    assert result.returncode == 0, report
    out = result.json()
    got = {r["identity"].lower(): r for r in (out["identities"] if isinstance(out, dict) else out)}
    assert set(rows) <= set(got), report
    assert {r["subscription"].lower() for r in got.values()} == set(SUBS), report
    for key, expected in rows.items():
        row = got[key]
        assert (row["used"], row["limit"], row["status"]) == (expected.used, 20, expected.status), row
        assert row["replaceable"] == expected.workload and row["clusters"] == expected.clusters, row
        assert row["neverWorked"] == expected.never_worked, row
        assert row["bindingCredential"] is bool(expected.bindings), row
    used = [r["used"] for r in (out["identities"] if isinstance(out, dict) else out)]
    assert used == sorted(used, reverse=True), "sorted by use"
    sent = seen(arm, "ibmigrate/audit")
    assert changes(sent) == []
    lists = {r["path"].lower() for r in sent if r["route"] == "fics" and r["status"] == 200}
    assert len(lists) == len(got), "each identity's credentials read once"
    assert not [r for r in sent if r["route"] == "bindings"], "no cluster's bindings read without --count-bindings"
    assert all(r["bindings"] is None for r in got.values()), report

    # --count-bindings: every cluster's bindings read once, each identity's counted
    result = run(az_state, "audit", "--all-subscriptions", "--count-bindings", "-o", "json", tag="ibmigrate/count")
    report = clean(result)
    assert result.returncode == 0, report
    out = result.json()
    got = {r["identity"].lower(): r for r in (out["identities"] if isinstance(out, dict) else out)}
    assert all(got[k]["bindings"] == v.bindings for k, v in rows.items()), report
    clusters = sum(len(w.clusters) for w in arm.cloud.worlds.values())
    read = [r for r in seen(arm, "ibmigrate/count") if r["route"] == "bindings"]
    assert len({r["path"].lower() for r in read if r["status"] == 200}) == clusters == len(read), report


def test_audit_of_two_named_subscriptions_and_table(arm, az_state):
    _, rows = world(arm)
    result = run(az_state, "audit", "--subscription", SUBS[1], SUBS[2], "-o", "json", tag="ibmigrate/audit2")
    report = clean(result)
    assert result.returncode == 0, report
    out = result.json()
    got = {r["identity"].lower() for r in (out["identities"] if isinstance(out, dict) else out)}
    assert got == {k for k in rows if k.split("/")[2] in (SUBS[1], SUBS[2])}, report
    assert not [r for r in seen(arm, "ibmigrate/audit2") if r["route"] == "fics" and f"/{SUBSCRIPTION}/" in r["path"]]
    table = run(az_state, "audit", "--all-subscriptions", "-o", "table", tag="ibmigrate/audit3")
    report = clean(table)
    assert table.returncode == 0, report
    lines = [line for line in table.stdout.splitlines() if "-wi" in line]
    assert [next(n for n in ("full-wi", "shared-wi", "small-wi", "empty-wi") if n in line) for line in lines] == \
        ["full-wi", "shared-wi", "small-wi", "empty-wi"], report


def test_without_resource_graph_audit_and_plan_list_each_subscription(arm, az_state):
    """Resource Graph forbidden (403): identities and clusters come from ARM's per-subscription lists
    (paged), with the same answers."""
    migration, rows = world(arm, arg_forbidden=True, page_size=2)
    result = run(az_state, "audit", "--all-subscriptions", "-o", "json", tag="ibmigrate/noarg-audit")
    report = clean(result)
    assert result.returncode == 0, report
    out = result.json()
    got = {r["identity"].lower(): r for r in (out["identities"] if isinstance(out, dict) else out)}
    assert all((got[k]["used"], got[k]["status"]) == (v.used, v.status) for k, v in rows.items()), report
    sent = seen(arm, "ibmigrate/noarg-audit")
    listed = {r["path"].split("/")[2] for r in sent if r["route"] == "identities_sub" and r["status"] == 200}
    assert listed == set(SUBS), report
    assert any(r["query"].get("$skipToken") for r in sent if r["route"] == "identities_sub"), "pages followed"

    result = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag="ibmigrate/noarg-plan")
    report = clean(result)
    assert result.returncode == 0, report
    assert result.json()["credentials"] == {"used": 18, "limit": 20, "afterMigration": 6, "afterIfAllReady": 6}, report
    assert {r["route"] for r in seen(arm, "ibmigrate/noarg-plan") if r["method"] == "POST"} == {"arg"}


def test_audit_under_a_tiny_read_bucket_reads_everything(arm, az_state):
    """Each subscription's bucket holds 3 reads and refills 5 a second: the credential lists meet empty
    buckets, and every identity must still be read (429s allowed, none left unanswered)."""
    _, rows = world(arm, read_throttling=True, read_bucket_capacity=3, read_bucket_refill=5.0, fic_page_size=1)
    result = run(az_state, "audit", "--all-subscriptions", "-o", "json", tag="ibmigrate/audit-bucket")
    report = clean(result)
    sent = seen(arm, "ibmigrate/audit-bucket")
    report += f"\n429s: {sum(r['status'] == 429 for r in sent)} of {len(sent)}"
    assert result.returncode == 0, report
    out = result.json()
    got = {r["identity"].lower(): r["used"] for r in (out["identities"] if isinstance(out, dict) else out)}
    assert all(got[k] == v.used for k, v in rows.items()), report
    # one credential a page: 20 reads in the busiest subscription (shared-wi's 18, identity1's and
    # identity2's empty lists; full-wi's 20), so at least (20 - 3) / 5 s of refill
    assert result.seconds >= (20 - 3) / 5.0, report


def test_retire_deletes_meet_the_delete_bucket_and_still_finish(arm, az_state, tmp_path):
    """Deletes take from their own bucket (1 token, 1 a second): the second DELETE is answered 429 with
    Retry-After and must be sent again, not reported as failed."""
    migration, _ = _applied(arm, az_state, "ibmigrate/bucket-apply")
    arm.configure(write_throttling=True, delete_bucket_capacity=1, delete_bucket_refill=1.0)
    stage = migration.cluster("aks-stage")
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(tmp_path / "b"), "--credential", stage.replaces[0],
                 "--credential", stage.replaces[1], "-o", "json", tag="ibmigrate/delete-bucket")
    arm.configure(write_throttling=False)
    report = clean(result)
    deletes = [r for r in seen(arm, "ibmigrate/delete-bucket") if r["method"] == "DELETE"]
    assert result.returncode == 0, report
    assert [r["status"] for r in deletes].count(429) >= 1 and [r["status"] for r in deletes].count(200) == 2, report
    assert not set(stage.replaces[:2]) & set(fics_now(arm)), report


# -- hostile values from the service, and unusable directories --------------------------------------

HOSTILE_NAMES = ["../../../etc/passwd", "a/b", "..", "x" * 10000, "name%2F..", "back\\slash"]


def _hostile(arm, migration):
    """Credentials as a broken or hostile service could list them: names that are not FIC names, and
    subjects that are not a service account (stored raw: the PUT route would refuse them)."""
    home = arm.cloud.world(SUBSCRIPTION)
    east = migration.cluster("aks-prod-east")
    fics = home.fics[(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME)]
    del fics["eks-payments-api"]
    for i, name in enumerate(HOSTILE_NAMES[:3]):   # 17 + 3 = 20: the list stays a believable size
        fic = home.add_fic(scenarios.IDENTITY_RG, scenarios.IDENTITY_NAME, f"placeholder{i}", east.issuer,
                           f"system:serviceaccount:hostile:sa{i}")
        del fics[f"placeholder{i}"]
        fic["name"] = name
        fics[name.lower()] = fic
    # a subject with one ':' too many, on a name that is fine
    fics["prod-east-payments-api"]["properties"]["subject"] = "system:serviceaccount:payments:api:extra"


def test_hostile_credentials_are_reported_and_never_sent_back(arm, az_state, tmp_path):
    migration, _ = world(arm)
    _hostile(arm, migration)
    result = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--manifests-dir", str(tmp_path / "m"), "-o", "json", tag="ibmigrate/hostile")
    report = clean(result)
    assert result.returncode in (0, 1), report
    plan = result.json()
    replaced = {n for c in plan["clusters"] for n in c["replaces"]}
    assert not replaced & set(HOSTILE_NAMES) and "prod-east-payments-api" not in replaced, report
    assert "hostile/sa0" not in {a for c in plan["clusters"] for a in c["serviceAccounts"]}, report
    reported = json.dumps(plan["findings"]) + json.dumps(plan["leftAlone"])
    assert "prod-east-payments-api" in reported, "the malformed subject is named"
    assert "x" * 1000 not in result.stdout + result.stderr, "a 10,000-character name is shortened when shown"
    assert plan["credentials"]["used"] == 20, report
    for r in seen(arm, "ibmigrate/hostile"):
        assert "passwd" not in r["path"] and "a/b" not in r["path"] and "xxxxxxxxxx" not in r["path"], r["path"]
    written = [p.name for p in (tmp_path / "m").iterdir()] if (tmp_path / "m").exists() else []
    assert all(re.fullmatch(r"[a-z0-9_.-]+\.yaml", n) and ".." not in n for n in written), written
    assert not list(tmp_path.glob("**/passwd")) and not (tmp_path / "etc").exists()

    # retire never sends a hostile name back, even when named
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(tmp_path / "b"), "--credential", HOSTILE_NAMES[1], "-o", "json",
                 tag="ibmigrate/hostile-retire")
    clean(result)
    assert [r for r in seen(arm, "ibmigrate/hostile-retire") if r["method"] == "DELETE"] == []


def test_a_next_link_to_another_host_is_not_followed(arm, az_state):
    migration, _ = world(arm)
    page = {"value": [], "nextLink": "https://attacker.invalid/subscriptions/x/federatedIdentityCredentials"
                                     "?api-version=2024-11-30&$skipToken=1"}
    arm.fault("body", route="fics", status=200, body=json.dumps(page), content_type="application/json")
    result = run(az_state, "plan", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "-o", "json", tag="ibmigrate/nextlink")
    report = clean(result)
    arm.clear_faults()
    assert result.returncode == 1, report
    assert "attacker.invalid" in result.words and "host" in result.words, report
    assert changes(seen(arm, "ibmigrate/nextlink")) == []


@pytest.mark.parametrize("kind", ["file", "symlink-out"])
def test_an_unusable_backup_dir_is_exit_2_and_nothing_is_deleted(arm, az_state, tmp_path, kind):
    migration, _ = _applied(arm, az_state, f"ibmigrate/dir-apply-{kind}")
    target = tmp_path / "backups"
    if kind == "file":
        target.write_text("not a directory\n")
    else:
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        target.symlink_to(outside, target_is_directory=True)
    name = migration.cluster("aks-stage").replaces[0]
    result = run(az_state, "retire", "--managed-identity-resource-id", migration.identity, "--all-subscriptions",
                 "--yes", "--backup-dir", str(target), "--credential", name, "-o", "json",
                 tag=f"ibmigrate/dir-{kind}")
    report = clean(result)
    assert result.returncode == 2, report
    assert [r for r in seen(arm, f"ibmigrate/dir-{kind}") if r["method"] == "DELETE"] == [], report
    assert name in fics_now(arm)
    if kind == "symlink-out":
        assert list((tmp_path / "elsewhere").iterdir()) == [], "written through the link"
