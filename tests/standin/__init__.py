"""Test-only loopback HTTPS stand-in for ARM (server.py, and the modules it names) and the harness
that runs the real `az` against it with the extension installed from the wheel (azcli.py). See
server.py for what it serves."""
from .server import (AKS_FIC_NAME, AUDIENCE, CLOUD_NAME, FAULT_KINDS, LOCATION, SP_CLIENT_ID, SUBSCRIPTION,
                     TENANT, Fault, StandIn)

__all__ = ["AKS_FIC_NAME", "AUDIENCE", "CLOUD_NAME", "FAULT_KINDS", "LOCATION", "SP_CLIENT_ID", "SUBSCRIPTION",
           "TENANT", "Fault", "StandIn"]
