"""File arguments that are not regular files: FIFOs, pipes (bash's `<(...)`), devices and `-`.

files.read_text reads every one of them up to its size limit + 1 byte within files.READ_SECONDS:
content a writer delivers is used like a file's, `/dev/zero` is refused as too large at once, and
a FIFO nobody writes to is refused after the time limit instead of hanging az. The first part
tests the reader with real FIFOs and pipes; the second runs the in-process az with a FIFO a
thread writes to (the request body sent is asserted); the last runs the real az through bash with
`<(...)` and a pipe into `-`, against the stand-in.
"""
import json
import os
import shlex
import subprocess
import sys
import threading
import time

import pytest
import yaml

from azext_identitybinding import files
from playback import IDENTITY_ID, RECORDINGS, run

SUBJECTS = [{"namespaceSelector": {"matchLabels": ["kubernetes.io/metadata.name=team-b"]},
             "serviceAccountSelector": {"matchLabels": ["app=api"]}}]
MIB = 1024 * 1024


def writer(path, payload, delay=0.0, chunk=65536):
    """A thread that opens the FIFO at `path` for writing (after `delay`), writes payload in chunks, closes."""
    def write():
        time.sleep(delay)
        try:
            with open(path, "wb") as fifo:
                for start in range(0, len(payload), chunk):
                    fifo.write(payload[start:start + chunk])
                    fifo.flush()
        except BrokenPipeError:  # the reader stopped at the limit: expected for oversized payloads
            pass
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


# == the reader ====================================================================================

def test_a_fifo_is_read_to_its_end_when_a_writer_comes(fifo):
    thread = writer(fifo, b"\xef\xbb\xbf" + json.dumps(SUBJECTS).encode(), delay=0.3, chunk=7)
    assert json.loads(files.read_text(fifo, "the file", MIB)) == SUBJECTS
    thread.join(5)


def test_a_fifo_larger_than_the_limit_is_refused_without_reading_it_all(fifo):
    writer(fifo, b"x" * (3 * MIB))
    with pytest.raises(files.InputFileError, match=r"is larger than the limit of 1,048,576 bytes\.$"):
        files.read_text(fifo, "the file", MIB)


def test_a_fifo_without_writer_is_refused_after_the_time_limit(fifo):
    started = time.monotonic()
    with pytest.raises(files.InputFileError) as refused:
        files.read_text(fifo, "the allowed-subjects file", MIB, seconds=1.5)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 3, elapsed
    assert str(refused.value) == (
        f"the allowed-subjects file {fifo!r} sent nothing within 1.5 seconds (a pipe or FIFO that nothing writes "
        "to, or that is never closed?); make sure the writer finishes, or save the content to a file and give its "
        "path.")


def test_a_writer_that_never_closes_is_refused_after_the_time_limit(fifo):
    released = threading.Event()

    def write_and_hold():
        with open(fifo, "wb") as held:
            held.write(b"[1, 2")
            held.flush()
            released.wait(10)
    threading.Thread(target=write_and_hold, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(files.InputFileError, match="sent 5 bytes but did not end within 1 seconds"):
        files.read_text(fifo, "the file", MIB, seconds=1)
    released.set()
    assert time.monotonic() - started < 3


def test_dev_zero_is_refused_as_too_large_in_under_a_second():
    started = time.monotonic()
    with pytest.raises(files.InputFileError, match="'/dev/zero' is larger than the limit of 4,194,304 bytes"):
        files.read_text("/dev/zero", "the manifest", 4 * MIB)
    assert time.monotonic() - started < 1


def test_dev_null_reads_as_empty():
    assert files.read_text("/dev/null", "the file", MIB) == ""


@pytest.mark.parametrize("finished", [True, False], ids=["writer-finished", "writer-still-open"])
def test_a_pipe_named_by_dev_fd_is_read_as_bash_process_substitution_gives_it(finished):
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b'{"a": 1}')
        if finished:
            os.close(write_end)
        else:
            threading.Timer(0.3, os.close, [write_end]).start()
        assert files.read_text(f"/dev/fd/{read_end}", "the file", MIB) == '{"a": 1}'
        # the caller's descriptor is left as it was: still open, still blocking
        assert os.get_blocking(read_end)
    finally:
        os.close(read_end)


def run_reader(path, stdin, seconds=5):
    code = ("import sys; from azext_identitybinding import files\n"
            "try:\n    print(files.read_text(sys.argv[1], 'the file', 64), end='')\n"
            "except files.InputFileError as ex:\n    print('refused:', ex, end='')\n")
    return subprocess.run([sys.executable, "-c", code, path], stdin=stdin, capture_output=True, text=True,
                          timeout=seconds + 10, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          check=True).stdout


def test_dash_reads_standard_input_from_a_pipe_or_a_file(tmp_path):
    reader = subprocess.Popen(["printf", "%s", "[1]"], stdout=subprocess.PIPE)
    assert run_reader("-", reader.stdout) == "[1]"
    reader.wait(5)
    path = tmp_path / "in.json"
    path.write_text("[2]")
    with open(path) as redirected:
        assert run_reader("-", redirected) == "[2]"
    assert run_reader("-", subprocess.DEVNULL) == ""
    writer_done = subprocess.Popen(["printf", "%s", "[3]"], stdout=subprocess.PIPE)
    writer_done.wait(5)  # the writer has finished before the pipe is read: its end must still be seen
    assert run_reader("/dev/stdin", writer_done.stdout) == "[3]"
    big = subprocess.Popen(["head", "-c", "1000", "/dev/zero"], stdout=subprocess.PIPE)
    assert run_reader("-", big.stdout) == "refused: the file '-' is larger than the limit of 64 bytes."
    big.wait(5)


def test_a_kubeconfig_fifo_is_refused_because_the_kubernetes_client_reads_it_again(fifo):
    with pytest.raises(files.InputFileError, match="is not a regular file .* read more than once"):
        files.read_text(fifo, "the kubeconfig", MIB, streams=False)
    with pytest.raises(files.InputFileError, match="No such file"):
        files.read_text("-", "the kubeconfig", MIB, streams=False)


# == in-process az: a FIFO a thread writes to =======================================================

BINDING = ["-g", "rg1", "--cluster-name", "cluster1", "-n", "identitybinding1"]


def test_update_reads_allowed_subjects_from_a_fifo_and_sends_them(fifo):
    # the subjects the cassette records as sent: playback compares the PUT body
    recorded = next(i["request"] for i in yaml.safe_load((RECORDINGS / "update_if_match.yaml").read_text())
                    ["interactions"] if i["request"]["method"] == "PUT")
    subjects = json.loads(recorded["body"])["properties"]["allowedSubjects"]
    writer(fifo, json.dumps(subjects).encode(), delay=0.5)
    r = run("update_if_match", "aks", "identity-binding", "update", *BINDING, "--allowed-subjects-from-file", fifo)
    assert r.exit_code == 0, r
    puts = [body for method, _, body in r.requests if method == "PUT"]
    assert len(puts) == 1 and puts[0]["properties"]["allowedSubjects"] == subjects, r.requests


def test_check_lints_a_pod_file_from_a_fifo(fifo):
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo, labels: "
                "{azure.workload.identity/use: 'true'}, annotations: "
                "{azure.workload.identity/use-identity-binding: 'true'}}\n"
                "spec: {serviceAccountName: workload, containers: [{name: app, image: app:1}]}\n")
    writer(fifo, manifest.encode(), delay=0.3)
    r = run("no_requests", "aks", "identity-binding", "check", "--pod-file", fifo)
    assert r.requests == [], r
    assert "Traceback" not in r.err and "is not a regular file" not in r.err, r
    assert r.exit_code in (0, 1) and fifo in r.out + r.err, r


def test_check_names_a_piped_manifest_by_what_it_is_not_by_its_descriptor():
    misplaced = (__import__("pathlib").Path(__file__).resolve().parents[1] / "examples"
                 / "workload-label-misplaced.yaml").read_bytes()
    read_end, write_end = os.pipe()
    os.write(write_end, misplaced)
    os.close(write_end)
    try:
        r = run("no_requests", "aks", "identity-binding", "check", "--pod-file", f"/dev/fd/{read_end}")
    finally:
        os.close(read_end)
    assert r.exit_code == 1 and r.requests == [], r
    assert "(and make the same change in the piped manifest)" in r.out and "/dev/fd/" not in r.out, r.out


# == the real az through bash: <(...) and a pipe into `-` ===========================================

@pytest.fixture(scope="module")
def standin_az(tmp_path_factory):
    from standin import StandIn
    from standin.azcli import AZ, AzState, build_wheel
    if not AZ.is_file():
        pytest.skip(f"no az next to the running Python ({AZ})")
    with StandIn(lifetime=600, state_dir=tmp_path_factory.mktemp("standin"), lro_retry_after=0) as arm:
        work = tmp_path_factory.mktemp("piped")
        yield arm, AzState(work / "az", arm, build_wheel(work / "wheel")).setup(), AZ


def bash(state, az, command, seconds=120):
    return subprocess.run(["bash", "-c", command.replace("AZ", shlex.quote(str(az)))], env=state.env,
                          capture_output=True, text=True, timeout=seconds, check=False)


@pytest.mark.subprocess
@pytest.mark.parametrize("how", ["process-substitution", "stdin"])
def test_the_real_az_reads_allowed_subjects_piped_in_by_bash(standin_az, how):
    arm, state, az = standin_az
    arm.clear_requests()
    subjects = shlex.quote(json.dumps(SUBJECTS))
    create = (f"AZ aks identity-binding create -g rg1 --cluster-name cluster1 -n ib-{how} "
              f"--managed-identity-resource-id {shlex.quote(IDENTITY_ID)} --only-show-errors -o none")
    if how == "process-substitution":
        command = f"{create} --allowed-subjects-from-file <(printf '%s' {subjects} | cat)"
    else:
        command = f"printf '%s' {subjects} | {create} --allowed-subjects-from-file -"
    done = bash(state, az, command)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done
    puts = [r for r in arm.requests() if r["method"] == "PUT" and r["path"].endswith(f"/ib-{how}")]
    assert len(puts) == 1 and puts[0]["body"]["properties"]["allowedSubjects"] == SUBJECTS, puts


@pytest.mark.subprocess
def test_the_real_az_refuses_dev_zero_fast_and_an_unwritten_fifo_after_the_limit(standin_az, tmp_path):
    arm, state, az = standin_az
    arm.clear_requests()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    update = "AZ aks identity-binding update -g rg1 --cluster-name cluster1 -n ib1 --allowed-subjects-from-file "
    zero = bash(state, az, update + "/dev/zero")
    started = time.monotonic()
    unwritten = bash(state, az, update + shlex.quote(str(fifo)))
    elapsed = time.monotonic() - started
    assert zero.returncode == 2 and "'/dev/zero' is larger than the limit of 1,048,576 bytes" in zero.stderr, zero
    assert unwritten.returncode == 2 and "sent nothing within 5 seconds" in unwritten.stderr, unwritten
    assert 5 <= elapsed < 30, elapsed
    assert arm.requests() == []
