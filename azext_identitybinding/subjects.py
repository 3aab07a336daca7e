"""allowedSubjects of an identity binding: parse and check them before anything is sent.

Pure (standard library only). Shape, from the preview API (>= 2026-05-02-preview):
[{"namespaceSelector": LabelSelector, "serviceAccountSelector": LabelSelector (optional)}, ...]
LabelSelector = {"matchLabels": ["key=value", ...], "matchExpressions": [{"key", "operator", "values"}]}
Entries are OR'd, selectors in an entry AND'd; at most 100 entries.
"""
import re

from azext_identitybinding.constants import NAMESPACE_NAME_LABEL

MAX_ENTRIES = 100
_OPERATORS_WITH_VALUES = {"In", "NotIn"}
_OPERATORS_WITHOUT_VALUES = {"Exists", "DoesNotExist"}
# Kubernetes label key: optional DNS prefix '/' name (<= 63, alnum at both ends, '-_.' inside).
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY_RE = re.compile(rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{_NAME}$")
_VALUE_RE = re.compile(rf"^({_NAME})?$")


class SubjectsError(ValueError):
    """A user-facing message naming where in the input the problem is."""


def _check_key(key, where):
    if not isinstance(key, str) or not _KEY_RE.match(key) or len(key.split("/")[0]) > 253:
        raise SubjectsError(f"{where}: {key!r} is not a valid Kubernetes label key (e.g. 'app' or "
                            f"'{NAMESPACE_NAME_LABEL}').")


def _check_value(value, where):
    if not isinstance(value, str) or not _VALUE_RE.match(value):
        raise SubjectsError(f"{where}: {value!r} is not a valid Kubernetes label value (at most 63 letters, "
                            "digits, '-', '_' or '.', starting and ending with a letter or digit).")


def check_label(text, where):
    """'key=value' as the API wants it in matchLabels."""
    if not isinstance(text, str) or text.count("=") != 1:
        raise SubjectsError(f"{where}: {text!r} must be a 'key=value' string.")
    key, value = text.split("=")
    _check_key(key, where)
    _check_value(value, where)
    return text


def _check_selector(selector, where, required):
    if selector is None and not required:
        return
    if not isinstance(selector, dict) or not selector:
        raise SubjectsError(f"{where} must be a non-empty object with 'matchLabels' and/or 'matchExpressions'.")
    unknown = set(selector) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise SubjectsError(f"{where} has unknown field(s) {sorted(unknown)}; allowed: matchLabels, matchExpressions.")
    labels = selector.get("matchLabels", [])
    expressions = selector.get("matchExpressions", [])
    if isinstance(labels, dict):
        raise SubjectsError(f"{where}.matchLabels must be a list of 'key=value' strings, not an object "
                            f"(write [\"{next(iter(labels), 'key')}=...\"]).")
    if not isinstance(labels, list) or not isinstance(expressions, list):
        raise SubjectsError(f"{where}: matchLabels and matchExpressions must be lists.")
    if not labels and not expressions:
        raise SubjectsError(f"{where} selects nothing: give matchLabels or matchExpressions.")
    for i, label in enumerate(labels):
        check_label(label, f"{where}.matchLabels[{i}]")
    for i, expr in enumerate(expressions):
        at = f"{where}.matchExpressions[{i}]"
        if not isinstance(expr, dict):
            raise SubjectsError(f"{at} must be an object with key, operator and values.")
        unknown = set(expr) - {"key", "operator", "values"}
        if unknown:
            raise SubjectsError(f"{at} has unknown field(s) {sorted(unknown)}.")
        _check_key(expr.get("key"), at)
        operator, values = expr.get("operator"), expr.get("values")
        if not isinstance(operator, str):
            raise SubjectsError(f"{at}: operator must be one of In, NotIn, Exists, DoesNotExist (a string), "
                                f"not {operator!r}.")
        if operator in _OPERATORS_WITH_VALUES:
            if not isinstance(values, list) or not values:
                raise SubjectsError(f"{at}: operator {operator} needs a non-empty 'values' list.")
            for j, value in enumerate(values):
                _check_value(value, f"{at}.values[{j}]")
        elif operator in _OPERATORS_WITHOUT_VALUES:
            if values:
                raise SubjectsError(f"{at}: operator {operator} takes no 'values'.")
        else:
            raise SubjectsError(f"{at}: operator {operator!r} is not one of In, NotIn, Exists, DoesNotExist.")


def check(subjects):
    """Raise SubjectsError unless subjects is a valid allowedSubjects list; return it unchanged."""
    if not isinstance(subjects, list):
        raise SubjectsError("allowed subjects must be a JSON array of objects, each with a 'namespaceSelector'.")
    if len(subjects) > MAX_ENTRIES:
        raise SubjectsError(f"{len(subjects)} allowed subjects given; the service accepts at most {MAX_ENTRIES}.")
    for i, entry in enumerate(subjects):
        where = f"allowed subject [{i}]"
        if not isinstance(entry, dict):
            raise SubjectsError(f"{where} must be an object with a 'namespaceSelector'.")
        unknown = set(entry) - {"namespaceSelector", "serviceAccountSelector"}
        if unknown:
            raise SubjectsError(f"{where} has unknown field(s) {sorted(unknown)}; allowed: namespaceSelector, "
                                "serviceAccountSelector.")
        if not entry.get("namespaceSelector"):
            raise SubjectsError(f"{where} needs a non-empty 'namespaceSelector'.")
        _check_selector(entry["namespaceSelector"], f"{where}.namespaceSelector", required=True)
        _check_selector(entry.get("serviceAccountSelector"), f"{where}.serviceAccountSelector", required=False)
    return subjects


def check_in(data, source):
    """check() of a parsed allowed-subjects file; the message names the file."""
    try:
        return check(data)
    except SubjectsError as ex:
        raise SubjectsError(f"{source}: {ex}") from None


def from_namespaces(namespaces, service_account_labels=()):
    """One entry per namespace (matched by name), each optionally narrowed by service-account labels."""
    entries = []
    for namespace in sorted(set(namespaces)):
        entry = {"namespaceSelector": {"matchLabels": [f"{NAMESPACE_NAME_LABEL}={namespace}"]}}
        if service_account_labels:
            entry["serviceAccountSelector"] = {"matchLabels": sorted(set(service_account_labels))}
        entries.append(entry)
    return check(entries)
