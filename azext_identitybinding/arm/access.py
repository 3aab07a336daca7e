"""Reads for `check --target-resource`: a Key Vault, the role assignments of a principal at a scope,
and role definitions. Mixed into ArmClient, so they share its pipeline, paging and error mapping.

Through this layer rather than the bundled azure-mgmt-authorization / azure-mgmt-keyvault SDKs: the
same checked paths (refs.py), paging and messages as every other read, and no SDK import (see docs/design.md).
"""
from azext_identitybinding.arm import errors
from azext_identitybinding.arm.refs import ScopeRef, resource_url, role_assignments_url, role_definition_url
from azext_identitybinding.constants import AUTHORIZATION_API_VERSION, KEYVAULT_API_VERSION

VAULT_HINT = "Reading a Key Vault's properties needs 'Microsoft.KeyVault/vaults/read' on it (e.g. the 'Reader' role)."
ASSIGNMENTS_HINT = ("Listing role assignments needs 'Microsoft.Authorization/roleAssignments/read' at the scope "
                    "(e.g. the 'Reader' role).")
DEFINITION_HINT = ("Reading a role definition needs 'Microsoft.Authorization/roleDefinitions/read' (e.g. the "
                   "'Reader' role).")


# A mixin of ArmClient, which defines send() and _list(): pylint cannot see them from here.
class AccessReads:  # pylint: disable=no-member
    """The target resource and who may use it. Needs `send` and `_list` (ArmClient)."""

    def get_vault(self, vault_id):
        """The vault resource (properties.enableRbacAuthorization, accessPolicies)."""
        return self._get_resource(resource_url(vault_id), KEYVAULT_API_VERSION, vault_id, "Key Vault", VAULT_HINT)

    def list_role_assignments(self, scope, principal_id):
        """Every role assignment of the principal at, above or below the scope (all pages)."""
        first = self.send("GET", role_assignments_url(scope, principal_id), api_version=AUTHORIZATION_API_VERSION)
        _raise_if_missing(first, scope, "Resource")
        ref = ScopeRef(scope, ASSIGNMENTS_HINT)
        errors.check(first, ref, "list")
        page = errors.page(first)
        rest = self._list(page["nextLink"], ref, AUTHORIZATION_API_VERSION) if page.get("nextLink") else []
        return (page.get("value") or []) + rest

    def get_role_definition(self, role_definition_id):
        return self._get_resource(role_definition_url(role_definition_id), AUTHORIZATION_API_VERSION,
                                  role_definition_id, "Role definition", DEFINITION_HINT)

    def _get_resource(self, url, api_version, resource_id, what, hint):
        """One resource: a 404 is `what` not found (exit 3), any other error says what reading it needs."""
        response = self.send("GET", url, api_version=api_version)
        _raise_if_missing(response, resource_id, what)
        errors.check(response, ScopeRef(resource_id, hint), "read")
        return errors.body(response)


def _raise_if_missing(response, resource_id, what):
    if response.status_code != 404:
        return
    from azure.cli.core.azclierror import ResourceNotFoundError
    code, message = errors.error(response)
    raise ResourceNotFoundError(f"{what} '{resource_id}' was not found. The service said: ({code}) {message}")
