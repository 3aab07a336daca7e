"""An answer of the stand-in before it is written out, and the ARM error shape."""
import json


class _Response:
    def __init__(self, status, body=None, headers=None, raw=None, content_type="application/json; charset=utf-8"):
        self.status, self.body, self.headers = status, body, dict(headers or {})
        self.raw, self.content_type = raw, content_type

    def payload(self):
        if self.raw is not None:
            return self.raw.encode() if isinstance(self.raw, str) else self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


def _arm_error(status, code, message, headers=None, extra=None):
    return _Response(status, {"error": {"code": code, "message": message, **(extra or {})}}, headers)
