"""The demo behind `bash scripts/demo.sh`: the extension's commands run by the real az, start to end,
against a local stand-in for Azure.

No subscription, no network, no credential of yours: the stand-in (tests/standin, the one the tests
use) is a loopback HTTPS server that answers as ARM does. It runs in a thread of this process, so
it cannot outlive the demo, and it is stopped on every way out (end, failure, Ctrl-C, SIGTERM). az
is logged in to the stand-in's test cloud in a temporary AZURE_CONFIG_DIR (~/.azure is neither
read nor written), with the extension that scripts/setup.sh installed into .azext, or with
`--wheel W`, W installed into a temporary extension directory (tests/test_demo.py does that).

    .venv/bin/python scripts/demo.py [--wheel WHEEL]
"""
import argparse
import os
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from standin import SUBSCRIPTION, TENANT, StandIn  # noqa: E402
from standin.azcli import AzState, HarnessError  # noqa: E402

GROUP, CLUSTER, IDENTITY, BINDING = "demo-rg", "demo-cluster", "demo-identity", "demobinding"
# Obviously fake, like the stand-in's subscription (0000...) and tenant (1111...).
CLIENT_ID, PRINCIPAL_ID = "33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444"
IDENTITY_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.ManagedIdentity/"
               f"userAssignedIdentities/{IDENTITY}")
SERVICE_ACCOUNT = "demo/workload"
GOOD_MANIFEST, BAD_MANIFEST = "examples/workload.yaml", "examples/workload-label-misplaced.yaml"
BINDING_ARGS = ["-g", GROUP, "--cluster-name", CLUSTER, "-n", BINDING]

# Operations finish after 2 s and the stand-in's Retry-After says to look again after 1 s (ARM
# declares Retry-After on these responses; the live service takes about a minute, the demo should not).
STANDIN_SETTINGS = {"lro_duration": 2.0, "lro_in_progress_polls": 0, "lro_retry_after": 1}

# az prints this after create/show/list/delete because the extension replaces its built-in commands
# (README, Install). The demo says so once instead of after every command.
ALTERED = "WARNING: The behavior of this command has been altered by the following extension: identitybinding"


class DemoFailed(Exception):
    pass


def shell_line(args, width=100):
    """args as a shell command, continued with a backslash before an option (kept with its value)
    once the line is longer than width."""
    units = []
    for word in map(shlex.quote, args):
        if units and not word.startswith("-"):
            units[-1] += " " + word  # the command's words, or an option's value
        else:
            units.append(word)
    lines, line = [], "$ " + units[0]
    for unit in units[1:]:
        if len(line) + 1 + len(unit) > width:
            lines.append(line + " \\")
            line = "   "
        line += " " + unit
    return "\n".join(lines + [line])


class Demo:
    def __init__(self, state):
        self.state = state

    @staticmethod
    def heading(title, *text):
        print(f"=== {title} ===")
        for line in text:
            print(f"  {line}")
        print(flush=True)

    def az(self, *args, expect=0):
        """Print the command line, run it, print what az printed; another exit code ends the demo."""
        result = self.run(*args)
        self.show(result, expect)
        return result

    def run(self, *args):
        print(shell_line(["az", *args]), flush=True)
        return self.state.az(*args)

    @staticmethod
    def show(result, expect):
        err = "\n".join(line for line in result.stderr.splitlines() if line.strip() != ALTERED)
        text = (result.stdout.rstrip() + "\n" + err.rstrip()).strip()
        if text:
            print(text)
        print(f"[exit {result.returncode}, {result.seconds:.1f} s]\n", flush=True)
        if result.returncode != expect:
            raise DemoFailed(f"`az {' '.join(result.args[:3])} ...` exited {result.returncode}, expected {expect}")


def seed(world):
    """What the demo starts from: a cluster with workload identity, and an unbound identity."""
    world.add_cluster(GROUP, CLUSTER)
    world.add_identity(GROUP, IDENTITY, client_id=CLIENT_ID, principal_id=PRINCIPAL_ID)


def run_steps(demo):
    b = BINDING_ARGS
    demo.heading("1. Bind the identity to the cluster",
                 "`create --no-wait` returns once ARM accepted the request (state Creating); `wait --created`",
                 "returns when the binding is Succeeded. Without --no-wait, `create` itself waits.")
    demo.az("aks", "identity-binding", "create", *b, "--managed-identity-resource-id", IDENTITY_ID, "--no-wait")
    demo.az("aks", "identity-binding", "wait", *b, "--created", "--interval", "1")
    print("Re-running create is safe: it finds the same binding and changes nothing.")
    demo.az("aks", "identity-binding", "create", *b, "--managed-identity-resource-id", IDENTITY_ID,
            "--query", "properties.provisioningState")

    demo.heading("2. List the cluster's bindings", "One row per binding: its identity, client id, state and issuer.")
    demo.az("aks", "identity-binding", "list", "-g", GROUP, "--cluster-name", CLUSTER, "-o", "table")

    demo.heading("3. Show the binding", "The ARM resource, as the service returns it.")
    demo.az("aks", "identity-binding", "show", *b)

    demo.heading("4. Generate the RBAC the workload needs",
                 "A ClusterRole allowing `use-managed-identity` on the identity's client id, bound to the",
                 "workload's service account; the identity is read from the binding. Pipe it to `kubectl apply -f -`.")
    demo.az("aks", "identity-binding", "generate-rbac", *b, "--service-account", SERVICE_ACCOUNT, "-o", "yaml")

    demo.heading("5. Check the chain for the workload",
                 "The Azure side (cluster, binding, identity, its federated credential) and the workload's manifest.",
                 "There is no cluster here, so --skip-cluster reports the in-cluster checks as skipped.")
    demo.az("aks", "identity-binding", "check", *b, "--service-account", SERVICE_ACCOUNT, "--skip-cluster",
            "--pod-file", GOOD_MANIFEST, "-o", "table")

    offline_lint(demo)

    demo.heading("7. Delete the binding and clean up",
                 "--cleanup-fic also deletes the identity's `aks-identity-binding` credential, which AKS leaves",
                 "behind, once a scan of the subscription's clusters finds no other binding of the identity.")
    demo.az("aks", "identity-binding", "delete", *b, "--cleanup-fic", "--yes")


def offline_lint(demo):
    """The manifest lint with no Azure at all: only the pod template, the service account and the client id."""
    demo.heading("6. Lint manifests offline, before deploying",
                 "No -g/--cluster-name: no Azure request, only the manifest against the service account and",
                 f"client id. First {GOOD_MANIFEST}, then a common mistake and the fix that check prints.")

    def lint(manifest):
        return ["aks", "identity-binding", "check", "--pod-file", manifest, "--service-account", SERVICE_ACCOUNT,
                "--client-id", CLIENT_ID, "-o", "table"]

    demo.az(*lint(GOOD_MANIFEST))
    demo.az(*lint(BAD_MANIFEST), expect=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path,
                        help="install this wheel into a temporary extension dir instead of using .azext")
    options = parser.parse_args(argv)
    os.chdir(ROOT)  # the manifests are given as paths relative to the repository
    extension_dir = None if options.wheel else ROOT / ".azext"
    if extension_dir and not (extension_dir / "identitybinding").is_dir():
        print(f"The extension is not installed in {extension_dir}: run `bash scripts/demo.sh`, which sets up first.",
              file=sys.stderr)
        return 2
    # SIGTERM as an exception too, so that the `with` blocks below stop the stand-in and remove its files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="identitybinding-demo-") as work, \
                StandIn(lifetime=600, seed=False, **STANDIN_SETTINGS) as standin:
            seed(standin.world)
            print(f"Azure, for this demo, is a stand-in at {standin.url}, on this machine only.\n"
                  f"It holds subscription {SUBSCRIPTION} (tenant {TENANT}),\n"
                  f"the cluster {GROUP}/{CLUSTER} and the user-assigned identity {GROUP}/{IDENTITY}.\n"
                  "Logging az in to its test cloud, in a temporary config dir ...", flush=True)
            state = AzState(Path(work) / "az", standin, wheel=options.wheel, extension_dir=extension_dir).setup()
            print("Logged in. (On create/show/list/delete az warns that this extension replaces its built-in\n"
                  "commands; that warning is left out below.)\n", flush=True)
            run_steps(Demo(state))
    except KeyboardInterrupt:
        print("\nInterrupted; the stand-in is stopped.", file=sys.stderr)
        return 130
    except (DemoFailed, HarnessError) as ex:
        print(f"\nThe demo failed: {ex}", file=sys.stderr)
        return 1
    print(f"Done in {time.monotonic() - started:.0f} s. The stand-in is stopped and its temporary files are gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
