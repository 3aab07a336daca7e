"""Test set-up shared by every test.

az reads its config and extension directories when azure.cli.core is first imported, so they
are pointed at a throw-away directory here, before anything imports it. The extension is made
visible exactly as an installed wheel would be: a folder in AZURE_EXTENSION_DIR holding the
package and its dist-info.
"""
import os
import re
import socket
import tempfile
from pathlib import Path

import pytest

from azenv import az_state_env

ROOT = Path(__file__).resolve().parents[1]
_STATE = Path(tempfile.mkdtemp(prefix="identitybinding-tests-"))


def _install_extension_link():
    version = re.search(r'VERSION = "([^"]+)"', (ROOT / "setup.py").read_text()).group(1)
    ext = _STATE / "extensions" / "identitybinding"
    (ext / f"identitybinding-{version}.dist-info").mkdir(parents=True)
    (ext / f"identitybinding-{version}.dist-info" / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: identitybinding\nVersion: {version}\n")
    (ext / "azext_identitybinding").symlink_to(ROOT / "azext_identitybinding")


_install_extension_link()
os.environ.update(az_state_env(_STATE))
os.environ.pop("AZURE_EXTENSION_DEV_SOURCES", None)


@pytest.fixture(autouse=True)
def no_network(monkeypatch, request):
    """Any real connection is a test failure; only loopback (for local stand-ins) is allowed."""
    if os.environ.get("IB_RECORD") == "1" or request.node.get_closest_marker("subprocess"):
        return
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")):
            return real_connect(sock, address)
        raise AssertionError(f"test tried to reach the network: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


def pytest_configure(config):
    config.addinivalue_line("markers", "subprocess: runs az as a separate process (smoke tests)")
