"""`az aks identity-binding wait`: az's wait loop around our own read of the binding, against recorded ARM
traffic. time.sleep is recorded, not slept (Result.sleeps), so the interval is checked exactly."""
import pytest

from playback import ARM, CLUSTER, RG, SUB, run

NAME = "identitybinding1"
BINDING = ["-g", RG, "--cluster-name", CLUSTER, "-n", NAME]
ITEM_URL = (f"{ARM}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
            f"managedClusters/{CLUSTER}/identityBindings/{NAME}?api-version=2026-06-01")


def wait(cassette, *args):
    return run(cassette, "aks", "identity-binding", "wait", *BINDING, *args)


def assert_polled(result, times):
    """Only GETs of the binding itself (GA api-version, no body), `times` of them, and the whole cassette."""
    assert result.requests == [("GET", ITEM_URL, None)] * times, result
    assert result.all_played, result
    assert "Traceback" not in result.err, result


def test_created_waits_through_not_found_and_creating_until_succeeded():
    r = wait("wait_created", "--created", "--interval", "7")
    assert r.exit_code == 0, r
    assert r.out == ""  # az's wait prints nothing on success
    assert_polled(r, 4)  # 404, Creating, Creating, Succeeded
    assert r.sleeps == [7, 7, 7]  # one --interval between polls, none after the last


def test_updated_uses_the_default_interval_of_30_seconds():
    r = wait("wait_updated", "--updated")
    assert r.exit_code == 0, r
    assert r.out == ""
    assert_polled(r, 2)  # Updating, Succeeded
    assert r.sleeps == [30]


def test_deleted_ends_when_the_binding_is_not_found():
    r = wait("wait_deleted", "--deleted", "--interval", "5")
    assert r.exit_code == 0, r
    assert r.out == ""
    assert_polled(r, 3)  # Deleting, Deleting, 404 on the binding
    assert r.sleeps == [5, 5]


def test_exists_ends_at_the_first_read_whatever_the_state():
    r = wait("wait_exists", "--exists", "--interval", "2")
    assert r.exit_code == 0, r
    assert r.out == ""
    assert_polled(r, 3)  # 404, 404, 200 Creating: not Succeeded, but it exists
    assert r.sleeps == [2, 2]


def test_custom_jmespath_condition():
    r = wait("wait_custom", "--custom", "properties.provisioningState=='Succeeded'", "--interval", "3")
    assert r.exit_code == 0, r
    assert r.out == ""
    assert_polled(r, 2)  # Creating, Succeeded
    assert r.sleeps == [3]


def test_timeout_fails_with_exit_1_after_timeout_over_interval_polls():
    r = wait("wait_timeout", "--created", "--timeout", "10", "--interval", "5")
    assert r.exit_code == 1, r
    assert r.out == ""  # not the `{}` az's own wait prints on a time-out
    assert "ERROR: Wait operation timed-out after 10 seconds: the identity binding did not reach the condition" \
        in r.err, r
    assert_polled(r, 2)  # range(0, 10, 5): two polls, each followed by an --interval sleep
    assert r.sleeps == [5, 5]


def test_az_wait_loop_itself_returns_the_timeout_error_instead_of_raising_it():
    """Why `wait` has a transform: az's loop returns its CLIError, so on its own a time-out would print `{}` and
    exit 0. If azure-cli starts raising it, this fails and the transform can go."""
    from unittest import mock
    from knack.util import CLIError
    from azure.cli.core.commands.command_operation import WaitCommandOperation
    from azure.cli.core.mock import DummyCli
    args = {"timeout": 2, "interval": 1, "created": True, "deleted": False, "updated": False, "exists": False,
            "custom": None}
    with mock.patch("time.sleep"):
        result = WaitCommandOperation.wait(args, cli_ctx=DummyCli(),
                                           getter=lambda: {"properties": {"provisioningState": "Creating"}})
    assert isinstance(result, CLIError)
    assert str(result) == "Wait operation timed-out after 2 seconds"


def test_failed_state_ends_the_wait_with_exit_1():
    r = wait("wait_failed", "--created", "--interval", "5")
    assert r.exit_code == 1, r
    assert "The operation failed" in r.err  # az's wait loop's own message
    assert_polled(r, 2)
    assert r.sleeps == [5]


def test_updated_of_a_missing_binding_is_not_found():
    r = wait("wait_updated_missing", "--updated")
    assert r.exit_code == 3, r
    assert (f"Identity binding '{NAME}' on cluster '{CLUSTER}' (resource group '{RG}') was not found. "
            f"See the bindings with `az aks identity-binding list -g {RG} --cluster-name {CLUSTER}`.") in r.err
    assert_polled(r, 1)
    assert r.sleeps == []


@pytest.mark.parametrize("condition", ["--deleted", "--created", "--exists"])
@pytest.mark.parametrize("cassette, message", [
    ("wait_cluster_not_found", f"Cluster '{CLUSTER}' was not found in resource group '{RG}'"),
    ("wait_group_not_found", f"Resource group '{RG}' was not found"),
])
def test_a_missing_cluster_or_group_is_never_a_deleted_binding(cassette, message, condition):
    r = wait(cassette, condition)
    assert r.exit_code == 3, r
    assert message in r.err, r
    assert_polled(r, 1)  # fails at once: no waiting for a cluster to appear either
    assert r.sleeps == []


@pytest.mark.parametrize("args, message", [
    (["-n", "..", "--created"], "argument --name/-n"),
    (["--created", "--interval", "0"], "--interval is in seconds and must be from 1 to 3600, not 0"),
    (["--created", "--timeout", "-5"], "--timeout is in seconds and must be from 1 to 604800, not -5"),
    # time.sleep() overflows past ~9.2e9 s: refused before the first read, not a traceback after it
    (["--created", "--interval", "99999999999"], "--interval is in seconds and must be from 1 to 3600"),
    (["--created", "--timeout", "604801"], "--timeout is in seconds and must be from 1 to 604800, not 604801"),
    (["--created", "--interval", "soon"], "argument --interval: invalid int value"),
    ([], "give the condition to wait for: --created, --updated, --deleted, --exists or --custom"),
    (["--custom", "properties.provisioningState=="], "is not a JMESPath expression"),
])
def test_bad_arguments_exit_2_before_any_request(args, message):
    r = wait("no_requests", *args)
    assert r.exit_code == 2, r
    assert message in r.err, r
    assert r.requests == []
    assert "Traceback" not in r.err


def test_help_has_examples_that_run_wait_and_no_angle_bracket_placeholders(capsys):
    r = run("no_requests", "aks", "identity-binding", "wait", "-h")
    assert r.exit_code == 0, r
    text = capsys.readouterr().out
    examples = text.split("Examples", 1)[1]
    assert examples.count("az aks identity-binding wait") >= 2
    assert "<" not in text and ">" not in text
    for option in ("--created", "--updated", "--deleted", "--exists", "--custom", "--interval", "--timeout"):
        assert option in text
    assert "never taken for a deleted binding" in " ".join(text.split())
