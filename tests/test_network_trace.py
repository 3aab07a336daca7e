"""What a request costs in the pipeline: no network-trace records nobody sees, no environment walk per request.

The network-trace records of az's logging policy are built only when something shows them.

knack sets its loggers to DEBUG and filters in the handlers, so az's network-trace policy builds
about 22 DEBUG records per request (URL, every header, the body) that, without --debug, every handler
drops. The client factory leaves that policy out unless a handler would show its records (--debug,
or az's log file); the rest of the pipeline (auth, proxy, user agent, retries) is the same.

The transport's session reads the proxy and CA bundle settings of the environment once per scheme and
host, not on every request; what it does with them is requests' own behaviour.
"""
import logging

import pytest

from azext_identitybinding._client_factory import network_trace_shown


@pytest.fixture
def loggers():
    """(cli, policy): a logger tree shaped as knack makes it, `cli` with the handlers and no propagation
    to the root, the policy's logger below it. Loggers of their own, outside logging's registry, so that
    the handlers pytest puts on registered loggers do not count."""
    cli, policy = logging.Logger("cli"), logging.Logger("cli.azure.cli.core.sdk.policies")
    cli.propagate, policy.parent = False, cli
    return cli, policy


@pytest.mark.parametrize("levels, shown", [
    ([logging.WARNING], False),                 # az's default console
    ([logging.ERROR], False),                   # --only-show-errors
    ([logging.INFO], False),                    # --verbose
    ([logging.DEBUG], True),                    # --debug
    ([logging.WARNING, logging.DEBUG], True),   # az's log file (logging.enable_log_file)
])
def test_the_trace_is_kept_exactly_when_a_handler_would_show_it(loggers, levels, shown):
    cli, policy = loggers
    for level in levels:
        handler = logging.NullHandler()
        handler.setLevel(level)
        cli.addHandler(handler)
    assert network_trace_shown(policy) is shown


def test_the_policy_logger_is_the_one_azure_cli_logs_the_trace_on():
    from azure.cli.core.sdk import policies
    assert logging.getLogger("cli.azure.cli.core.sdk.policies") is policies._LOGGER  # pylint: disable=protected-access


def test_the_client_leaves_the_policy_out_and_keeps_the_rest():
    from azure.cli.core.sdk.policies import SafeNetworkTraceLoggingPolicy
    from azure.core.credentials import AccessToken
    from azext_identitybinding.arm import ArmClient

    class Credential:
        def get_token(self, *_, **__):
            return AccessToken("t", 2 ** 40)

    def policies(**kwargs):
        client = ArmClient(Credential(), "00000000-0000-0000-0000-000000000000", "https://management.azure.com",
                           logging_policy=SafeNetworkTraceLoggingPolicy(), **kwargs)
        return [type(getattr(p, "_policy", p)).__name__ for p in client._client._pipeline._impl_policies]  # pylint: disable=protected-access

    traced, quiet = policies(network_trace=True), policies(network_trace=False)
    assert "SafeNetworkTraceLoggingPolicy" in traced and "SafeNetworkTraceLoggingPolicy" not in quiet
    kept = [p for p in traced if p != "SafeNetworkTraceLoggingPolicy"]
    assert [p for p in quiet if p != "SansIOHTTPPolicy"] == [p for p in kept if p != "SansIOHTTPPolicy"]
    assert {"ARMChallengeAuthenticationPolicy", "RetryPolicy", "ProxyPolicy", "UserAgentPolicy"} <= set(quiet)


# -- the environment, once per host ------------------------------------------------------------------

@pytest.mark.parametrize("url, proxied", [
    ("https://management.azure.com/subscriptions?api-version=1", True),
    ("https://127.0.0.1:8443/subscriptions?api-version=1", False),   # in NO_PROXY
])
def test_proxies_and_the_ca_bundle_come_from_the_environment_as_requests_reads_them(monkeypatch, url, proxied):
    import requests
    from azext_identitybinding.arm.client import _session
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    ours, plain = _session(), requests.Session()
    for explicit in ({}, {"https": "http://explicit.example:8080"}):
        assert (ours.merge_environment_settings(url, dict(explicit), None, True, None)
                == plain.merge_environment_settings(url, dict(explicit), None, True, None))
    settings = ours.merge_environment_settings(url, {}, None, True, None)
    assert settings["verify"] == "/etc/ssl/corporate.pem"
    assert (settings["proxies"].get("https") == "http://proxy.example:3128") is proxied
    assert ours.merge_environment_settings(url, {}, None, False, None)["verify"] is False  # --insecure stays


def test_the_environment_is_read_once_per_host():
    from unittest import mock
    from azext_identitybinding.arm.client import _session
    with mock.patch("requests.utils.get_environ_proxies", return_value={}) as lookup:
        session = _session()  # takes the lookup as it is now
    for _ in range(5):
        session.merge_environment_settings("https://management.azure.com/a?x=1", {}, None, True, None)
    session.merge_environment_settings("https://graph.example/b", {}, None, True, None)
    assert [c.args[0].split("/")[2] for c in lookup.call_args_list] == ["management.azure.com", "graph.example"]
