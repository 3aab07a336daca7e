"""Run real `az` commands in-process against recorded ARM traffic (vcrpy cassettes).

Playback (the default): requests must match a recorded interaction (method, scheme, host, path,
query, and for PUT/POST/PATCH the JSON body: see `same_body`); each recorded response is served
once, in order, so repeated LRO polls replay as they happened. A request the cassette refuses
because its body differs from the recorded one makes `run` raise BodyMismatch (with the difference),
whatever the command did with the refusal: a test that expects an error exit cannot pass by
accident. Login is faked, sleeps are recorded instead of slept, and nothing reaches the network.

Re-recording (IB_RECORD=1, see docs/testing.md): the same tests talk to real ARM with your `az login`;
the cassettes are rewritten with tokens removed and your subscription, tenant and resource
names replaced by the placeholders below.
"""
import io
import json
import os
import re
from contextlib import ExitStack, contextmanager, redirect_stderr
from pathlib import Path
from unittest import mock

RECORDINGS = Path(__file__).resolve().parent / "recordings"
RECORDING = os.environ.get("IB_RECORD") == "1"

# Placeholders used in every cassette (and by the tests' arguments).
SUB = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
RG = "rg1"
CLUSTER = "cluster1"
IDENTITY_RG = "identity-rg"
IDENTITY = "identity1"
IDENTITY_ID = (f"/subscriptions/{SUB}/resourceGroups/{IDENTITY_RG}/providers/"
               f"Microsoft.ManagedIdentity/userAssignedIdentities/{IDENTITY}")
ARM = "https://management.azure.com"

# In record mode, the real values to replace with the placeholders above.
_LIVE = {
    "IB_LIVE_RESOURCE_GROUP": RG,
    "IB_LIVE_CLUSTER": CLUSTER,
    "IB_LIVE_IDENTITY_RESOURCE_GROUP": IDENTITY_RG,
    "IB_LIVE_IDENTITY": IDENTITY,
}


def live_value(placeholder):
    """The real name to use for a placeholder when recording, else the placeholder."""
    if not RECORDING:
        return placeholder
    for env, fake in _LIVE.items():
        if fake == placeholder:
            return os.environ[env]
    if placeholder == IDENTITY_ID:
        return (f"/subscriptions/{_live_subscription()}/resourceGroups/{os.environ['IB_LIVE_IDENTITY_RESOURCE_GROUP']}"
                f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{os.environ['IB_LIVE_IDENTITY']}")
    return placeholder


def _live_subscription():
    from azure.cli.core import get_default_cli
    from azure.cli.core._profile import Profile
    return Profile(cli_ctx=get_default_cli()).get_subscription_id()


BODY_METHODS = {"PUT", "POST", "PATCH"}


class BodyMismatch(AssertionError):
    """A request was refused because its body is not the body the cassette recorded."""


def _json_body(body):
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if body in (None, ""):
        return None
    return json.loads(body)


def normalise(body):
    """The body as compared. The one place for values that legitimately vary between runs.

    None today: every body this extension sends is a function of its arguments and of the service's
    answers (the Resource Graph `$skipToken` comes from the recorded previous page), so nothing is
    masked. Anything added here must say which value varies and why it cannot be pinned."""
    return body


def same_body(r1, r2):
    """vcr matcher: a PUT/POST/PATCH matches only an interaction recorded with the same JSON body
    (semantic equality: key order and whitespace do not matter, every value does). An interaction
    recorded without a body pins that none is sent."""
    if r1.method.upper() not in BODY_METHODS:
        return
    sent, recorded = normalise(_json_body(r1.body)), normalise(_json_body(r2.body))
    if sent != recorded:
        raise AssertionError(f"body sent {json.dumps(sent, sort_keys=True)} != recorded "
                             f"{json.dumps(recorded, sort_keys=True)}")


MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body_json"]


def _watch_refusals(tape, refused):
    """Record every request the cassette cannot answer (vcr then raises inside the HTTP stack, where
    the command may turn it into an ordinary error exit)."""
    can_play = tape.can_play_response_for

    def watched(request):
        answer = can_play(request)
        if not answer:
            refused.append(request)
        return answer
    tape.can_play_response_for = watched


def _body_mismatches(tape, refused):
    """For each refused request that an unplayed interaction would have answered but for its body,
    the difference; [] when every refusal (if any) was for another reason."""
    from vcr.matchers import get_matchers_results
    matchers = tape._match_on  # pylint: disable=protected-access
    problems = []
    for request in refused:
        for index, (recorded, _) in enumerate(tape.data):
            if tape.play_counts[index]:
                continue
            _, failures = get_matchers_results(request, recorded, matchers)
            if [name for name, _ in failures] == ["same_body"]:
                problems.append(f"{request.method} {request.uri}: {failures[0][1]}")
                break
    return problems


class Result:
    def __init__(self, exit_code, out, err, requests, headers, sleeps, all_played):
        self.exit_code = exit_code
        self.out = out
        self.err = err
        self.requests = requests  # [(method, url, parsed JSON body or None)] in the order sent
        self.headers = headers    # the request headers, in the same order
        self.sleeps = sleeps      # seconds passed to time.sleep, in order
        self.all_played = all_played

    def json(self):
        return json.loads(self.out)

    def methods(self):
        return [m for m, _, _ in self.requests]

    def __repr__(self):
        return (f"<az exit={self.exit_code} requests={[(m, u) for m, u, _ in self.requests]}\n"
                f"stdout={self.out}\nstderr={self.err}>")


@contextmanager
def _fresh_console_logging():
    """Let knack attach its console handlers to the redirected stderr for this run.

    knack configures logging only when the root logger has no handlers (pytest adds its own),
    and binds its handlers to sys.stderr once; both are undone around each run.
    """
    import logging
    from knack.log import _CustomStreamHandler
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    try:
        yield
    finally:
        loggers = [root] + [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
        for logger in loggers:
            for handler in [h for h in logger.handlers if isinstance(h, _CustomStreamHandler)]:
                logger.removeHandler(handler)
        root.handlers = saved


class _FakeCredential:
    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        return AccessToken("fake-token-for-playback", 4102444800)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def run(cassette, *args, tty=False):
    """Run `az <args>` against recordings/<cassette>.yaml and return a Result.

    tty=True makes stderr look like a terminal (progress spinner, prompts)."""
    import vcr
    from azure.cli.core import get_default_cli
    from azure.core.pipeline.transport import RequestsTransport

    from azext_identitybinding.arm.versions import CHOICES
    CHOICES.forget()  # each run is a new az process: api-version fallbacks are remembered per process
    requests, headers, sleeps = [], [], []
    real_send = RequestsTransport.send

    def spy_send(transport, request, **kwargs):
        body = getattr(request, "content", None) or getattr(request, "body", None)
        if isinstance(body, bytes):
            body = body.decode()
        requests.append((request.method, request.url, json.loads(body) if body else None))
        headers.append(dict(request.headers))
        return real_send(transport, request, **kwargs)

    recorder = vcr.VCR(
        cassette_library_dir=str(RECORDINGS),
        record_mode="all" if RECORDING else "none",
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
    )
    recorder.register_matcher("body_json", same_body)
    refused = []
    out, err = io.StringIO(), (_Terminal() if tty else io.StringIO())
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(RequestsTransport, "send", spy_send))
        # vcrpy swaps its connection stubs per thread and is not safe with concurrent requests: scan
        # fleets one cluster at a time here (real concurrency is exercised against tests/standin).
        stack.enter_context(mock.patch("azext_identitybinding.arm.client.FLEET_WORKERS", 1))
        # az's once-a-day "is there a newer CLI" probe is not part of any command under test.
        stack.enter_context(mock.patch("azure.cli.core.util.check_connectivity", return_value=False))
        if not RECORDING:
            from azure.cli.core._profile import Profile
            stack.enter_context(mock.patch("time.sleep", side_effect=sleeps.append))
            stack.enter_context(mock.patch.object(
                Profile, "get_login_credentials",
                lambda self, **kw: (_FakeCredential(), SUB, TENANT)))
            stack.enter_context(mock.patch.object(Profile, "get_subscription_id", lambda self, *a, **kw: SUB))
        tape = stack.enter_context(recorder.use_cassette(f"{cassette}.yaml"))
        if not RECORDING:
            _watch_refusals(tape, refused)
        stack.enter_context(redirect_stderr(err))
        stack.enter_context(_fresh_console_logging())
        try:
            exit_code = get_default_cli().invoke(list(args), out_file=out)
        except SystemExit as ex:  # argparse errors exit here; az's entry point turns this into the exit code
            exit_code = ex.code
        all_played = RECORDING or tape.all_played
        mismatches = _body_mismatches(tape, refused)
    if mismatches:
        raise BodyMismatch(f"{cassette}.yaml refused a request whose body differs from the recorded one:\n"
                           + "\n".join(mismatches) + f"\nstdout={out.getvalue()}\nstderr={err.getvalue()}")
    return Result(exit_code, out.getvalue(), err.getvalue(), requests, headers, sleeps, all_played)


# -- scrubbing (record mode) -------------------------------------------------------------------

_SIGNATURE = re.compile(r"([?&](?:t|c|s|h|sig|se|skoid|sktid)=)[^&\"']+")


def _replacements():
    pairs = []
    if RECORDING:
        pairs.append((_live_subscription(), SUB))
        from azure.cli.core import get_default_cli
        from azure.cli.core._profile import Profile
        tenant = Profile(cli_ctx=get_default_cli()).get_subscription()["tenantId"]
        pairs.append((tenant, TENANT))
        pairs += [(os.environ[env], fake) for env, fake in _LIVE.items() if os.environ.get(env)]
    return pairs


def _scrub_text(text):
    for real, fake in _replacements():
        text = re.sub(re.escape(real), fake, text, flags=re.IGNORECASE)
    return _SIGNATURE.sub(r"\1REDACTED", text)


def _scrub_request(request):
    if not RECORDING:  # vcr also runs this on playback; cassettes are already clean
        return request
    request.uri = _scrub_text(request.uri)
    request.headers = {}
    if request.body:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        request.body = _scrub_text(body)
    return request


_KEEP_HEADERS = {"content-type", "location", "azure-asyncoperation", "retry-after"}


def _scrub_response(response):
    if not RECORDING:
        return response
    response["headers"] = {k: [_scrub_text(v) for v in vals]
                           for k, vals in response["headers"].items() if k.lower() in _KEEP_HEADERS}
    body = response["body"].get("string")
    if body:
        text = _scrub_text(body.decode() if isinstance(body, bytes) else body)
        response["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return response
