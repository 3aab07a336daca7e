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
READ_SECONDS = 5.0         # how long a pipe, FIFO or device may take to deliver all of its content
STDIN = "-"
_BOM = b"\xef\xbb\xbf"
_FD_PATHS = ("/dev/fd/", "/proc/self/fd/")


class InputFileError(ValueError):
    """A file that cannot be used; str() is a complete user-facing message."""


def read_text(path, what, max_bytes, streams=True, seconds=READ_SECONDS):
    """The UTF-8 text (BOM allowed) at `path`, at most max_bytes long.

    A regular file is read at once. With `streams`, so are a FIFO, a pipe (bash's `<(...)` gives
    /dev/fd/N), a character device and `-` (standard input): at most max_bytes + 1 bytes, within
    `seconds`, so `/dev/zero` is refused as too large at once and a FIFO nobody writes to is refused
    after `seconds` instead of hanging. Without `streams` (a file another library reads again by its
    path, such as a kubeconfig) only a regular file is accepted."""
    shown = repr(path)
    try:
        data = _read_bytes(path, what, max_bytes, streams=streams, seconds=seconds)
    except OSError as ex:
        raise InputFileError(f"cannot read {what} {shown}: {ex.strerror or ex}.") from None
    if len(data) > max_bytes:
        raise InputFileError(f"{what} {shown} is larger than the limit of {max_bytes:,} bytes.")
    skipped = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as ex:
        offset = ex.start + skipped
        raise InputFileError(f"{what} {shown} is not UTF-8 text: the byte 0x{data[offset]:02x} at offset "
                             f"{offset} cannot be decoded. Save the file as UTF-8.") from None


def _read_bytes(path, what, max_bytes, *, streams, seconds):
    """At most max_bytes + 1 bytes of the file; OSError for what the system refuses."""
    shown = repr(path)
    inherited = _inherited_fd(path) if streams else None
    if inherited is not None:
        # `-` and /dev/fd/N name a descriptor az was given: read a duplicate of it. (Opening
        # /dev/fd/N anew would, for a pipe whose writer has already finished, never report the end.)
        if inherited == 0 and os.isatty(0):
            raise InputFileError(f"{what} {shown} is standard input, which is a terminal; pipe the content "
                                 "in (... | az ...) or give the path of a file.")
        fd = os.dup(inherited)
    else:
        info = os.stat(os.path.expanduser(path))
        _refuse_kind(info, what, shown, streams)
        if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
            raise InputFileError(f"{what} {shown} is {info.st_size:,} bytes; the limit is {max_bytes:,} bytes.")
        # Non-blocking: opening a FIFO for reading would otherwise wait, without limit, for a writer.
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)  # what was opened, which may differ from what was stat()ed
        _refuse_kind(info, what, shown, streams)
        if stat.S_ISREG(info.st_mode):
            return _read_regular(fd, max_bytes)
        return _read_stream(fd, what, shown, max_bytes, seconds)
    finally:
        os.close(fd)


def source_name(path):
    """How a message names where a file argument was read from: its path, or what a pipe stands for
    (a fix that says "make the same change in /dev/fd/63" helps nobody)."""
    if path in (STDIN, "/dev/stdin"):
        return "standard input"
    if path.startswith(_FD_PATHS):
        return "the piped manifest"
    return path


def _inherited_fd(path):
    """The descriptor number `path` names (`-` and /dev/stdin are 0, /dev/fd/N is N) if it is open, else None."""
    if path in (STDIN, "/dev/stdin"):
        number = 0
    elif path.startswith(_FD_PATHS) and path.rsplit("/", 1)[1].isdigit():
        number = int(path.rsplit("/", 1)[1])
    else:
        return None
    try:
        os.fstat(number)
    except OSError:
        return None if path != STDIN else number  # a closed stdin fails on os.dup with a clear error
    return number


def _refuse_kind(info, what, shown, streams):
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{what} {shown} is a directory; give the path of a file.")
    if stat.S_ISREG(info.st_mode):
        return
    if not streams:
        raise InputFileError(f"{what} {shown} is not a regular file (a device, FIFO or socket), and it is read "
                             "more than once; save the content to a file and give its path.")
    if stat.S_ISSOCK(info.st_mode) or not _can_wait():
        raise InputFileError(f"{what} {shown} is not a regular file, a pipe or a device that can be read "
                             "with a time limit here; save the content to a file and give its path.")


def _can_wait():
    import select
    return hasattr(os, "O_NONBLOCK") and hasattr(select, "select")


def _read_regular(fd, max_bytes):
    data = os.read(fd, max_bytes + 1)
    while data and len(data) <= max_bytes:  # os.read may return less than asked (network file systems)
        more = os.read(fd, max_bytes + 1 - len(data))
        if not more:
            break
        data += more
    return data


def _read_stream(fd, what, shown, max_bytes, seconds):
    """Read a pipe, FIFO or device until its end, max_bytes + 1 bytes or `seconds`, whichever is first.

    Every read waits in select() first: a FIFO that no writer has opened yet reads as empty (not
    as "would block") when opened non-blocking, and select() reports it readable only once a
    writer has written or come and gone."""
    import fcntl
    import select
    import time
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)  # shared with az's own descriptor if inherited
    try:
        deadline = time.monotonic() + seconds
        chunks, size = [], 0
        while size <= max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not _wait_readable(select, fd, remaining):
                got = f"sent {size:,} bytes but did not end" if size else "sent nothing"
                raise InputFileError(f"{what} {shown} {got} within {seconds:g} seconds (a pipe or FIFO that "
                                     "nothing writes to, or that is never closed?); make sure the writer "
                                     "finishes, or save the content to a file and give its path.")
            try:
                chunk = os.read(fd, max_bytes + 1 - size)
            except BlockingIOError:  # woken, but another reader took the data first
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags)


def _wait_readable(select, fd, seconds):
    if hasattr(select, "poll"):  # no FD_SETSIZE limit on the descriptor number
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(seconds * 1000))
    return bool(select.select([fd], [], [], seconds)[0])


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
