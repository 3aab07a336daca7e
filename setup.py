"""Packaging for the `identitybinding` Azure CLI extension."""
from setuptools import setup, find_packages

VERSION = "0.1.0"

with open("README.md", encoding="utf-8") as f:
    README = f.read()
with open("HISTORY.rst", encoding="utf-8") as f:
    HISTORY = f.read()

setup(
    name="identitybinding",
    version=VERSION,
    description="Safer, faster `az aks identity-binding` commands, plus Kubernetes RBAC generation.",
    long_description=README + "\n\n" + HISTORY,
    long_description_content_type="text/markdown",
    license="MIT",
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: System Administrators",
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ],
    packages=find_packages(include=["azext_identitybinding", "azext_identitybinding.*"]),
    package_data={"azext_identitybinding": ["azext_metadata.json"]},
    # Everything else we import ships with azure-cli itself (azure-cli-core, knack, azure-core,
    # azure-mgmt-core). `check` talks to the cluster through the official Kubernetes client (see
    # README, "Dependencies"); 35.0.0 is the newest release without aiohttp/pydantic/google-auth in
    # its requirements and it accepts the urllib3 1.26 that older azure-cli releases ship.
    install_requires=["kubernetes==35.0.0"],
)
