"""Run the real `az` as a subprocess against the stand-in, logged in to a test-only cloud.

How the offline login works (no internet, no patching of az, nothing faked inside az):
  1. `az cloud register -n IBStandIn --endpoint-resource-manager https://127.0.0.1:<port>/
     --endpoint-active-directory https://127.0.0.1:<port>/adfs`: az reads the cloud's endpoints
     from the stand-in's `/metadata/endpoints` (ARM, token audience, all on the stand-in), and the
     login endpoint is an AD FS-shaped authority on the stand-in, as on Azure Stack Hub with AD FS;
     then `az cloud set -n IBStandIn`.
  2. `az login --service-principal -u <SP_CLIENT_ID> -p <secret> --tenant <TENANT>`: for an AD FS
     authority MSAL does no instance discovery (the call to login.microsoftonline.com that an
     unknown Entra-shaped host triggers); it reads `/adfs/.well-known/openid-configuration` and
     posts the client-credentials request to `/adfs/oauth2/token`, both on the stand-in. The
     stand-in checks the secret (generated per stand-in run, known only to it and this process)
     and issues a bearer token that only it accepts; az then lists subscriptions from it. Every
     later command reads the token from the MSAL cache in the temporary AZURE_CONFIG_DIR.
  This works with every MSAL-based azure-cli (the minimum-version check runs 2.44). The
  alternative, an Entra-shaped authority (`login_style="aad"`), needs
  `az config set core.instance_discovery=false`, which only newer azure-cli honours (2.91 does,
  2.44 does not: MSAL would then try login.microsoftonline.com).
TLS is verified normally: REQUESTS_CA_BUNDLE points at the CA the stand-in made at start-up.
Proxy variables are removed from the subprocess environment, so nothing can be relayed off the
machine, and AZURE_* settings of the caller never leak in.

The extension is the wheel built from a snapshot of the working tree and added with
`az extension add --source <wheel> --yes` into a temporary AZURE_EXTENSION_DIR, as users do.
A state without a wheel (empty extension dir) runs azure-cli's built-in commands.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .server import CLOUD_NAME, SP_CLIENT_ID, TENANT

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run from bench/
from azenv import pip_env, subprocess_env  # noqa: E402
from wheelbuild import ROOT, VERSION, build_wheel, build_wheel_at  # noqa: E402,F401  (the harness API: re-exported)

AZ = Path(sys.executable).parent / "az"
_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")
_CA_VARS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


class HarnessError(RuntimeError):
    pass


class AzResult:
    def __init__(self, args, returncode, stdout, stderr, seconds, maxrss_kb):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr
        self.seconds = seconds        # wall time of the az process
        self.maxrss_kb = maxrss_kb    # its peak resident set size (Linux: kB)

    @property
    def words(self):
        """stderr with all whitespace runs collapsed (az wraps long messages)."""
        return " ".join(self.stderr.split())

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return (f"<az {' '.join(self.args)} -> rc={self.returncode} in {self.seconds:.2f}s\n"
                f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}>")


def run_az(args, env, stdin=subprocess.DEVNULL, timeout=120, az=AZ):
    """Run az; wall time and the child's own peak RSS (os.wait4), without a shell."""
    out_path = Path(env["AZURE_CONFIG_DIR"]).parent / f".az-out-{os.getpid()}-{threading.get_ident()}"
    err_path = out_path.with_suffix(".err")
    with open(out_path, "w+b") as out, open(err_path, "w+b") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([str(az), *args], env=env, stdin=stdin, stdout=out, stderr=err)
        timer = threading.Timer(timeout, lambda: _kill(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    out_path.unlink()
    err_path.unlink()
    if proc.returncode == -signal.SIGKILL:
        stderr += f"\n[harness] killed after {timeout} s"
    return AzResult(list(args), proc.returncode, stdout, stderr, seconds, usage.ru_maxrss)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def az_env(state_dir, ca_path=None):
    """The environment of an az subprocess: the caller's minus AZURE_* and proxies, plus a fresh state."""
    state_dir = Path(state_dir)
    env = {k: v for k, v in subprocess_env(state_dir).items()
           if k.lower() not in _PROXY_VARS and k not in _CA_VARS and k != "PYTHONPATH"}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    if ca_path:
        env["REQUESTS_CA_BUNDLE"] = str(ca_path)
    (state_dir / "config").mkdir(parents=True, exist_ok=True)
    (state_dir / "extensions").mkdir(parents=True, exist_ok=True)
    return env


class AzState:
    """One az installation state (config + extension dir), logged in to a stand-in.

    `standin` is anything with `url`, `ca_path` and `sp_secret` (a StandIn, or the JSON line a
    separate stand-in process prints, wrapped by `RemoteStandIn`). `wheel=None` leaves the
    extension dir empty: azure-cli's built-in commands. `extension_dir` uses an extension
    directory where the wheel is already installed (scripts/setup.sh's .azext) instead.
    """

    def __init__(self, state_dir, standin, wheel=None, login_style="adfs", extension_dir=None):
        if login_style not in ("adfs", "aad"):
            raise ValueError(f"login_style must be 'adfs' or 'aad', not {login_style!r}")
        if wheel is not None and extension_dir is not None:
            raise ValueError("give a wheel to install or an extension_dir it is installed in, not both")
        self.state_dir = Path(state_dir)
        self.standin = standin
        self.wheel = wheel
        self.login_style = login_style
        self.env = az_env(self.state_dir, standin.ca_path)
        if extension_dir is not None:
            self.env["AZURE_EXTENSION_DIR"] = str(extension_dir)

    def az(self, *args, stdin=subprocess.DEVNULL, timeout=120, env=None):
        """Run az in this state; `env` adds variables (e.g. AZURE_HTTP_USER_AGENT to tag requests)."""
        return run_az(args, {**self.env, **(env or {})}, stdin=stdin, timeout=timeout)

    def _must(self, *args, env=None):
        result = run_az(args, env or self.env, timeout=600)
        if result.returncode != 0 or "Traceback" in result.stderr:
            raise HarnessError(f"set-up step failed: {result!r}")
        return result

    def setup(self):
        if self.wheel is not None:
            # The one step that may need a package registry: pip installs the wheel's dependencies.
            # It runs with the caller's proxy/CA settings and without the stand-in's CA, which
            # would otherwise replace the system's for pip's downloads.
            install_env = {k: v for k, v in self.env.items() if k not in _CA_VARS and k != "NO_PROXY"}
            install_env.update({k: v for k, v in os.environ.items() if k.lower() in _PROXY_VARS or k in _CA_VARS})
            install_env.update(pip_env())
            self._must("extension", "add", "--source", str(self.wheel), "--yes", "--only-show-errors",
                       env=install_env)
        login = self.standin.url + ("/adfs" if self.login_style == "adfs" else "/")
        self._must("cloud", "register", "-n", CLOUD_NAME, "--endpoint-resource-manager", self.standin.url + "/",
                   "--endpoint-active-directory", login, "--only-show-errors")
        self._must("cloud", "set", "-n", CLOUD_NAME, "--only-show-errors")
        if self.login_style == "aad":
            self._must("config", "set", "core.instance_discovery=false", "--only-show-errors")
        return self.login()

    def login(self):
        """`az login` (again): also how az learns of subscriptions added to the stand-in since."""
        login = self._must("login", "--service-principal", "-u", SP_CLIENT_ID, "-p", self.standin.sp_secret,
                           "--tenant", TENANT, "--only-show-errors", "-o", "json")
        if self.standin.sp_secret in login.stdout + login.stderr:
            raise HarnessError("az printed the client secret")
        return self


class RemoteStandIn:
    """A stand-in running in another process (python -m standin), driven over its admin API."""

    def __init__(self, info, process=None):
        self.info, self.process = info, process
        self.url, self.ca_path = info["url"], info["ca"]
        self.sp_secret, self.port = info["sp_secret"], info["port"]

    @classmethod
    def start(cls, *options, lifetime=900):
        """Start `python -m standin` (stdin=PIPE: it stops when we exit) and wait until it listens."""
        env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
        process = subprocess.Popen([sys.executable, "-m", "standin", "--lifetime", str(lifetime), *options],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            raise HarnessError(f"the stand-in process exited with {process.returncode}")
        return cls(json.loads(line), process)

    def admin(self, method, path, body=None):
        import requests
        with requests.Session() as session:
            session.trust_env = False  # loopback: never through a proxy
            response = session.request(method, f"{self.url}/_standin/{path}", json=body, verify=self.ca_path,
                                       headers={"X-Standin-Admin": self.info["admin_key"]}, timeout=30)
        response.raise_for_status()
        return response.json()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.admin("POST", "stop")
        except Exception:  # pylint: disable=broad-except
            pass
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)
