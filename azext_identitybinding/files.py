"""The one bounded reader for every file a user names, and depth- and alias-bounded parsers.

Standard library only (PyYAML is imported when a YAML file is read). Every failure is an
InputFileError whose message names the file and says what is wrong: no other exception type
leaves this module, whatever the bytes are.
"""
import os
import stat

KIB = 1024
MAX_DEPTH = 64             # nesting of JSON arrays/objects, YAML sequences/mappings
MAX_YAML_NODES = 100_000   # YAML nodes with every alias expanded ("billion laughs" is refused)
_BOM = b"\xef\xbb\xbf"


class InputFileError(ValueError):
    """A file that cannot be used; str() is a complete user-facing message."""


def read_text(path, what, max_bytes):
    """The UTF-8 text (BOM allowed) of the regular file at `path`, at most max_bytes long.

    Devices, FIFOs and sockets are refused before they are opened for reading (`/dev/zero` never
    ends, a FIFO may never answer), and no more than max_bytes + 1 bytes are ever read."""
    shown = repr(path)
    try:
        info = os.stat(os.path.expanduser(path))
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(f"{what} {shown} is a directory; give the path of a file.")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{what} {shown} is not a regular file (a device, FIFO or socket); "
                                 "save the content to a file and give its path.")
        if info.st_size > max_bytes:
            raise InputFileError(f"{what} {shown} is {info.st_size:,} bytes; the limit is {max_bytes:,} bytes.")
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
                raise InputFileError(f"{what} {shown} is not a regular file; save the content to a file.")
            data = os.read(fd, max_bytes + 1)
            more = len(data) <= max_bytes and os.read(fd, 1)
        finally:
            os.close(fd)
    except OSError as ex:
        raise InputFileError(f"cannot read {what} {shown}: {ex.strerror or ex}.") from None
    if len(data) > max_bytes or more:  # grew after stat
        raise InputFileError(f"{what} {shown} is larger than the limit of {max_bytes:,} bytes.")
    skipped = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as ex:
        offset = ex.start + skipped
        raise InputFileError(f"{what} {shown} is not UTF-8 text: the byte 0x{data[offset]:02x} at offset "
                             f"{offset} cannot be decoded. Save the file as UTF-8.") from None


# -- JSON --------------------------------------------------------------------------------------------

def _depth(value):
    """How deeply lists and dicts nest in a parsed document (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(text, source, max_depth=MAX_DEPTH):
    """Parse JSON whose arrays and objects nest at most max_depth deep."""
    import json
    try:
        data = json.loads(text)
    except RecursionError:  # the C decoder stops at the interpreter's recursion limit, cleanly
        raise InputFileError(f"{source} nests arrays/objects more than {max_depth} deep; no valid input "
                             "needs that.") from None
    except ValueError as ex:
        raise InputFileError(f"{source} is not valid JSON: {ex}.") from None
    if _depth(data) > max_depth:
        raise InputFileError(f"{source} nests arrays/objects more than {max_depth} deep; no valid input needs that.")
    return data


# -- YAML ------------------------------------------------------------------------------------------

def _loader():
    import yaml
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _measure_yaml(text, source, max_depth, max_nodes):
    """One pass over the event stream (no recursion, nothing built): refuse deep nesting, recursive
    aliases and aliases that expand past max_nodes before PyYAML composes anything."""
    import yaml
    sizes = {}   # anchor -> nodes it stands for, aliases inside it expanded
    stack = []   # open collections: [anchor, nodes so far]
    total = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > max_depth:
                raise InputFileError(f"{source} nests more than {max_depth} levels deep (line "
                                     f"{event.start_mark.line + 1}); no valid manifest needs that.")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            if any(open_anchor == event.anchor for open_anchor, _ in stack):
                raise InputFileError(f"{source}: the alias *{event.anchor} (line {event.start_mark.line + 1}) "
                                     "refers to a node that contains it; recursive aliases are not allowed.")
            anchor, size = None, sizes.get(event.anchor, 1)
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
        else:
            total += size
        if total + sum(n for _, n in stack) > max_nodes:
            raise InputFileError(f"{source}: its YAML aliases expand to more than {max_nodes:,} nodes "
                                 f"(near line {event.start_mark.line + 1}); write the values out instead of "
                                 "nesting aliases.")


def load_yaml_documents(text, source, max_depth=MAX_DEPTH, max_nodes=MAX_YAML_NODES):
    """Every non-empty document of a YAML (or JSON) stream, with nesting and alias expansion bounded."""
    import yaml
    try:
        _measure_yaml(text, source, max_depth, max_nodes)
        return [d for d in yaml.load_all(text, Loader=_loader()) if d is not None]
    except InputFileError:
        raise
    except yaml.YAMLError as ex:
        raise InputFileError(f"{source} is not valid YAML or JSON: {' '.join(str(ex).split())}.") from None
    # PyYAML's constructors raise these on malformed values and explicit tags (a date like 2024-13-45,
    # `!!bool x`, an empty `!!int`, `!!timestamp x`): the text is at fault, so it is the user's error.
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as ex:
        raise InputFileError(f"{source} has a value YAML cannot read: {ex}.") from None


# -- writing ---------------------------------------------------------------------------------------

def write_all(pairs):
    """Write [(path, text)] so that no file is ever half-written: each text goes to a temporary file in
    its own folder first (same file system), and only when all of them are written are they renamed
    into place. On any failure every temporary file is removed and the targets are left as they were.
    An OSError says what failed; the caller words it for the user."""
    import tempfile
    staged = []
    try:
        for path, text in pairs:
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".ib-", suffix=".part")
            staged.append((temporary, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            if os.path.lexists(temporary):
                os.unlink(temporary)
