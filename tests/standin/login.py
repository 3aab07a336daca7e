"""What `az cloud register` and `az login --service-principal` need: cloud metadata, the OpenID
configuration and token endpoint of the test tenant, and the subscription (paged) and tenant lists."""
import base64
import hmac
import json
import secrets
import time

from .response import _Response
from .world import ArmError, _guid


SP_CLIENT_ID = "22222222-2222-2222-2222-222222222222"   # the test service principal (exists only here)
CLOUD_NAME = "IBStandIn"
AUDIENCE = "https://management.standin.invalid/"      # the ARM token audience of the test cloud


class LoginRoutes:
    """The login routes of StandIn (a mixin: it reads the StandIn's world, tokens and login style)."""

    def _do_metadata(self, method, args, query, body, fault):
        adfs = self.login_style == "adfs"
        return _Response(200, {
            "name": CLOUD_NAME, "portal": self.url + "/portal",
            "authentication": {"loginEndpoint": self.url + ("/adfs" if adfs else "/"), "audiences": [AUDIENCE],
                               "tenant": "adfs" if adfs else "common", "identityProvider": "ADFS" if adfs else "AAD"},
            "resourceManager": self.url + "/", "media": self.url + "/media/", "graphAudience": AUDIENCE + "graph/",
            "graph": self.url + "/graph/", "gallery": self.url + "/gallery/", "batch": AUDIENCE + "batch/",
            "sqlManagement": self.url + "/sql/", "vmImageAliasDoc": self.url + "/aliases.json",
            "microsoftGraphResourceId": AUDIENCE + "msgraph/",
            "suffixes": {"storage": "standin.invalid", "keyVaultDns": "vault.standin.invalid",
                         "sqlServerHostname": "database.standin.invalid",
                         "acrLoginServer": "azurecr.standin.invalid"},
            # the older (api-version 1.0/2015-01-01) shape, read by msrestazure in azure-cli < 2.5x
            "galleryEndpoint": self.url + "/gallery/", "graphEndpoint": AUDIENCE + "graph/",
            "portalEndpoint": self.url + "/portal/",
        })

    def _do_oidc(self, method, args, query, body, fault):
        tenant = args[0]
        base = f"{self.url}/{tenant}"
        oauth = f"{base}/oauth2" if tenant.lower() == "adfs" else f"{base}/oauth2/v2.0"
        return _Response(200, {
            "issuer": f"{self.url}/adfs" if tenant.lower() == "adfs" else f"{self.url}/{self.world.tenant}/v2.0",
            "authorization_endpoint": f"{oauth}/authorize",
            "token_endpoint": f"{oauth}/token",
            "device_authorization_endpoint": f"{oauth}/devicecode",
            "jwks_uri": f"{base}/discovery/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "NA",
        })

    def _do_token(self, method, args, query, body, fault):
        form = body if isinstance(body, dict) else {}
        if method != "POST" or form.get("grant_type") != "client_credentials":
            return _Response(400, {"error": "unsupported_grant_type", "error_description":
                                   "AADSTS70003: The stand-in supports only the client_credentials grant."})
        if form.get("client_id") != SP_CLIENT_ID or not hmac.compare_digest(
                form.get("client_secret", "").encode(), self.sp_secret.encode()):
            return _Response(401, {"error": "invalid_client", "error_description":
                                   "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})
        now = int(time.time())
        claims = {"aud": AUDIENCE, "iss": f"{self.url}/{self.world.tenant}/", "iat": now, "nbf": now,
                  "exp": now + 3600, "appid": SP_CLIENT_ID, "oid": _guid("sp-object"), "sub": _guid("sp-object"),
                  "tid": self.world.tenant, "idtyp": "app", "ver": "1.0"}

        def b64(data):
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.{secrets.token_urlsafe(16)}"
        self._tokens[token] = now + 3600
        return _Response(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                               "access_token": token})

    def _do_subscriptions(self, method, args, query, body, fault):
        """Every subscription of the Cloud, the default one first, paged like any ARM list."""
        items = [self._subscription(world) for world in self.cloud.worlds.values()]
        return self._page(items, query, "/subscriptions")

    def _do_subscription(self, method, args, query, body, fault):
        world = self.cloud.world(args[0])
        if world is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{args[0]}' could not be found.")
        return _Response(200, self._subscription(world))

    @staticmethod
    def _subscription(world):
        sub = world.subscription
        return {"id": f"/subscriptions/{sub}", "authorizationSource": "RoleBased", "managedByTenants": [],
                "subscriptionId": sub, "tenantId": world.tenant, "displayName": world.display_name,
                "state": "Enabled", "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                                             "quotaId": "PayAsYouGo_2014-09-01",
                                                             "spendingLimit": "Off"}}

    def _do_tenants(self, method, args, query, body, fault):
        return _Response(200, {"value": [{"id": f"/tenants/{self.world.tenant}", "tenantId": self.world.tenant,
                                          "displayName": "Stand-in tenant", "tenantCategory": "Home"}]})
