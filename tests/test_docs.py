"""The documents name tests and check items; a rename must not leave them pointing at nothing."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_failure_modes_table_names_tests_and_cases_that_exist():
    table = (ROOT / "docs" / "failure-modes.md").read_text()
    tests = {path.name: path.read_text() for path in (ROOT / "tests").glob("test_*.py")}
    named = re.findall(r"`(?:(tests/test_\w+\.py)::)?(test_\w+)(?:\[([\w-]+)\])?`", table)
    assert len(named) > 20
    for module, name, case in named:
        sources = [tests[Path(module).name]] if module else [tests["test_check.py"]]
        assert any(f"def {name}(" in source for source in sources), f"{name} is not a test"
        if case:
            assert any(f'"{case}"' in source for source in sources), f"{name}[{case}] is not a case"
    for case in re.findall(r"`\[([\w-]+)\]`", table):  # further cases of the test before: `[case]`
        assert f'"{case}"' in tests["test_check.py"], case


# == the README and docs/: links, length, and the command examples =================================

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 260  # a front page a newcomer reads in five minutes; depth goes to docs/
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text):
    """The text outside fenced code blocks and inline code (where brackets are not links)."""
    return re.sub(r"`[^`\n]*`", "", _FENCE.sub("", text))


def _anchors(path):
    """GitHub's anchors for the headings of a Markdown file: lower case, punctuation dropped, spaces to -."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _FENCE.sub("", path.read_text(encoding="utf-8")), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no {resolved}")
        elif anchor and (resolved.suffix != ".md" or anchor not in _anchors(resolved)):
            broken.append(f"{target}: no heading '#{anchor}' in {resolved.name}")
    assert not broken, "\n".join(broken)


def test_the_readme_is_a_short_front_page_that_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    linked = {Path(t.partition("#")[0]).name for t in _LINK.findall(_prose(readme)) if t.startswith("docs/")}
    assert linked >= {p.name for p in (ROOT / "docs").glob("*.md")}


def _examples(text):
    """Every `az aks identity-binding ...` command line in the fenced code blocks, continuations joined,
    cut at the first shell operator (a pipe into kubectl, a redirection)."""
    import shlex
    for block in _FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if "az aks identity-binding" not in line:
                continue
            lexer = shlex.shlex(line[line.index("az aks identity-binding"):], posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = []
            for word in lexer:
                if word and set(word) <= set("|&;<>()"):
                    break
                words.append(word)
            yield words


@pytest.fixture(scope="module")
def command_parsers():
    from test_conventions import load_group
    return load_group()[2]


def _refused(words, parsers):
    """Why az's parser refuses the example `words` (its command, options and values), or None. The
    values' type checks are left out: a doc writes "$ID" where a real command has an id."""
    # the command: one word after the group, or two for a subgroup's command (migrate plan)
    found = [(n, parsers.get(" ".join(["aks identity-binding", *words[3:3 + n]]))) for n in (2, 1)
             if len(words) >= 3 + n]
    found = [(n, parser) for n, parser in found if hasattr(parser, "_actions")]  # a command, not a group
    if not found:
        return f"no command '{' '.join(words[1:5])}'"
    size, parser = found[0]
    saved = [(action, action.type) for action in parser._actions]  # pylint: disable=protected-access
    try:
        for action, _ in saved:
            action.type = None
        parser.parse_args(words[3 + size:])
    except SystemExit:
        return "az's parser refuses it (see the captured stderr)"
    finally:
        for action, kind in saved:
            action.type = kind
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_example_in_the_docs_parses(page, command_parsers):
    examples = list(_examples(page.read_text(encoding="utf-8")))
    failed = [f"{' '.join(words)}: {why}" for words in examples if (why := _refused(words, command_parsers))]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("example", [
    "az aks identity-binding list -g rg --clustername c",          # a renamed option
    "az aks identity-binding show -g rg --cluster-name c ib1",     # a value without its option
    "az aks identity-binding lst -g rg",                           # a command that does not exist
    "az aks identity-binding migrate plan --identity x",            # a subgroup command's wrong option
    "az aks identity-binding migrate -g rg",                        # a group, not a command
])
def test_the_example_check_can_fail(example, command_parsers):
    words = next(_examples(f"```bash\n{example} | kubectl apply -f -\n```"))
    assert words == example.split()
    assert _refused(words, command_parsers)
