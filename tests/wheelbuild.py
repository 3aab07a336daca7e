"""Build the extension wheel from a snapshot of the working tree, as both the smoke tests and the
stand-in harness (standin/azcli.py, bench/) install it. Not named wheel.py: tests/ is on sys.path
and would shadow the `wheel` package."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

from azenv import subprocess_env

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.search(r'VERSION = "([^"]+)"', (ROOT / "setup.py").read_text()).group(1)
BUILD_TIMEOUT = 300  # seconds for one wheel build (the isolated fallback may download setuptools)

# Never copied into the snapshot: the build's build/ and *.egg-info must not land in (or race
# with) the working tree, and nothing but the package and setup files belongs in the wheel.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv*", ".wheels", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", ".azext", ".azconfig", "tests", "scripts",
                                     ".ci", "bench")


class WheelBuildError(RuntimeError):
    pass


def build_wheel(workdir, env=None, source=ROOT):
    """Snapshot the tree (`source`, default the working tree) into workdir/src, build into
    workdir/dist and return the wheel's path.

    `env` defaults to a fresh az subprocess environment under workdir (pip off the network when
    the wheelhouse exists). The build without isolation needs no registry; an isolated build is
    the fallback for a Python without setuptools."""
    workdir = Path(workdir)
    src, dist = workdir / "src", workdir / "dist"
    shutil.copytree(source, src, ignore=NOT_SOURCES)
    env = env if env is not None else subprocess_env(workdir / "az")
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "-q", "-w", str(dist)]
    attempts = []
    for extra in (["--no-build-isolation"], []):
        try:
            proc = subprocess.run(base + extra + [str(src)], env=env, capture_output=True, text=True,
                                  timeout=BUILD_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            attempts.append(f"{' '.join(extra) or 'isolated build'}: timed out after {BUILD_TIMEOUT} s")
            continue
        wheels = sorted(dist.glob("identitybinding-*.whl"))  # callers check the version
        if proc.returncode == 0 and wheels:
            return wheels[-1]
        attempts.append(f"{' '.join(extra) or 'isolated build'}: rc={proc.returncode}\n{proc.stdout}{proc.stderr}")
    raise WheelBuildError("could not build the wheel:\n" + "\n".join(attempts))


def build_wheel_at(commit, workdir, env=None):
    """The wheel of the extension as it was at `commit` (e.g. to benchmark today's code against the
    working tree): `git archive` of that commit into workdir/checkout, then build_wheel from it."""
    workdir = Path(workdir)
    checkout = workdir / "checkout"
    checkout.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit], capture_output=True,
                             timeout=120, check=False)
    if archive.returncode != 0:
        raise WheelBuildError(f"git archive {commit} failed: {archive.stderr.decode(errors='replace')}")
    unpack = subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive.stdout, capture_output=True,
                            timeout=120, check=False)
    if unpack.returncode != 0:
        raise WheelBuildError(f"unpacking {commit} failed: {unpack.stderr.decode(errors='replace')}")
    return build_wheel(workdir / "build", env=env, source=checkout)
