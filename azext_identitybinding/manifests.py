"""Type checks of workload manifests (`--pod-file`), before anything reads them. Pure.

Checks exactly the fields check/workload.py reads, so that it can trust their types: a value of the
wrong type is refused with the path of the field, as the API server would refuse it
(`spec.template.metadata.annotations must be a mapping, not a list`).
"""
from azext_identitybinding.check.workload import TEMPLATE_PATHS
from azext_identitybinding.ids import DNS_LABEL_RE, DNS_SUBDOMAIN_RE

STRING = "string"
STRING_MAP = "mapping of strings"
# Names that end up in the fix commands `check` prints (kubectl -n NS patch deployment NAME -c CONTAINER):
# Kubernetes allows only DNS-1123 names there, so anything else (`web; curl … | sh`) is refused.
LABEL = "DNS-1123 label"          # namespaces, container names: at most 63 of a-z 0-9 '-'
SUBDOMAIN = "DNS-1123 subdomain"  # object and service-account names: at most 253, '.'-separated labels
_DNS = {LABEL: (63, DNS_LABEL_RE), SUBDOMAIN: (253, DNS_SUBDOMAIN_RE)}

_META = {"name": SUBDOMAIN, "namespace": LABEL, "labels": STRING_MAP, "annotations": STRING_MAP}
_CONTAINER = {"name": LABEL, "env": [{"name": STRING, "value": STRING}], "command": [STRING], "args": [STRING]}
_VOLUME = {"projected": {"sources": [{"serviceAccountToken": {"path": STRING, "audience": STRING}}]}}
_POD_SPEC = {"serviceAccountName": SUBDOMAIN, "serviceAccount": SUBDOMAIN, "containers": [_CONTAINER],
             "initContainers": [_CONTAINER], "volumes": [_VOLUME]}
_TEMPLATE = {"metadata": _META, "spec": _POD_SPEC}


class ManifestError(ValueError):
    """A manifest field of the wrong type; str() names the file, the document and the field."""


def _schema(kind):
    schema = dict(_TEMPLATE)
    for key in reversed(TEMPLATE_PATHS[kind]):
        schema = {key: schema}
    return {"kind": STRING, "metadata": _META, **schema}


def _kind_name(value):
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}")


def _check(value, schema, where, fail):
    if value is None:  # `labels:` with nothing after it: absent, as Kubernetes reads it
        return
    if schema in (STRING, LABEL, SUBDOMAIN):
        if not isinstance(value, str):
            hint = ' (quote it: "true")' if isinstance(value, bool) else ""
            fail(f"{where} must be a string, not {_kind_name(value)}{hint}")
        if schema in _DNS:
            most, pattern = _DNS[schema]
            if len(value) > most or not pattern.fullmatch(value):
                shown = repr(value) if len(value) <= 60 else f"{value[:60]!r}... ({len(value)} characters)"
                fail(f"{where} {shown} is not a valid Kubernetes name: expected a {schema} (at most {most} "
                     "lowercase letters, digits and '-'" + (", '.'-separated" if schema == SUBDOMAIN else "") + ")")
        return
    if schema == STRING_MAP:
        if not isinstance(value, dict):
            fail(f"{where} must be a mapping, not {_kind_name(value)}")
        for key, item in value.items():
            if not isinstance(key, str):
                fail(f"{where} has the key {key!r}, which is {_kind_name(key)}, not a string")
            _check(item, STRING, f"{where}[{key!r}]", fail)
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            fail(f"{where} must be a list, not {_kind_name(value)}")
        for i, item in enumerate(value):
            if item is None:  # an absent field is fine; a null list item is not (`containers: [null]`)
                fail(f"{where}[{i}] must be {'a string' if isinstance(schema[0], str) else 'a mapping'}, not null")
            _check(item, schema[0], f"{where}[{i}]", fail)
        return
    if not isinstance(value, dict):
        fail(f"{where} must be a mapping, not {_kind_name(value)}")
    for key, sub in schema.items():
        if key in value:
            _check(value[key], sub, f"{where}.{key}" if where else key, fail)


def check_documents(documents, source):
    """Raise ManifestError unless every document (Lists opened) has the field types Kubernetes requires
    where check/workload.py reads them; return the documents unchanged."""
    def visit(doc, label):
        def fail(message):
            raise ManifestError(f"{source}: {label}: {message}.")
        if not isinstance(doc, dict):
            fail(f"must be a mapping (a Kubernetes object), not {_kind_name(doc)}")
        _check(doc.get("kind"), STRING, "kind", fail)
        kind = doc.get("kind") or ""
        _check(doc.get("metadata"), _META, "metadata", fail)
        name = (doc.get("metadata") or {}).get("name")
        label = f"{label} ({kind}{' ' + name if name else ''})" if kind else label
        if kind.endswith("List"):
            _check(doc.get("items"), [{}], "items", fail)
            for i, item in enumerate(doc.get("items") or []):
                visit(item, f"{label} items[{i}]")
        elif kind in TEMPLATE_PATHS:
            _check(doc, _schema(kind), "", fail)

    for n, doc in enumerate(documents, 1):
        visit(doc, f"document {n}")
    return documents
