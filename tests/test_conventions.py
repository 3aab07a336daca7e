"""What azdev's linter checks and we promise, checked in-process and offline on the loaded commands.

`azdev linter` itself needs a network and an azure-cli checkout (see scripts/azdev_linter.py); these
are the rules it reports as HIGH/MEDIUM for us, some stricter than azdev's own, read from the real
command table and help as az builds them: help without HTML-like text, examples that run their own
command, options of at most 22 characters unless linter_exclusions.yml says why, and a `wait`
command next to every --no-wait.
"""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GROUP = "aks identity-binding"
MAX_OPTION = 22  # azdev's option_length_too_long threshold, without the leading dashes
_TAG = re.compile(r"<[^\n>]+>")  # what azdev takes for an HTML tag


@pytest.fixture(scope="module")
def loaded():
    """(command table of the group, {name: help file}) as `az aks identity-binding ... -h` loads them."""
    from knack.events import EVENT_INVOKER_POST_CMD_TBL_CREATE, EVENT_INVOKER_PRE_CMD_TBL_CREATE
    from azure.cli.core import get_default_cli
    from azure.cli.core.commands import register_cache_arguments
    from azure.cli.core.commands.arm import register_global_subscription_argument, register_ids_argument
    from azure.cli.core.commands.events import EVENT_INVOKER_POST_LOAD_ARGUMENTS, EVENT_INVOKER_PRE_LOAD_ARGUMENTS
    from azure.cli.core.file_util import CliCommandHelpFile, CliGroupHelpFile

    # azure-cli's file_util.create_invoker_and_load_cmds_and_args (what azdev's linter loads),
    # for this group's command table only.
    cli = get_default_cli()
    register_global_subscription_argument(cli)
    register_ids_argument(cli)
    register_cache_arguments(cli)
    invoker = cli.invocation_cls(cli_ctx=cli, commands_loader_cls=cli.commands_loader_cls,
                                 parser_cls=cli.parser_cls, help_cls=cli.help_cls)
    cli.invocation = invoker
    loader = invoker.commands_loader
    loader.skip_applicability = True
    cli.raise_event(EVENT_INVOKER_PRE_CMD_TBL_CREATE, args=GROUP.split())
    loader.load_command_table(GROUP.split())
    loader.command_name = ""
    for module_loader in {m for ms in loader.cmd_to_loader_map.values() for m in ms}:
        module_loader.skip_applicability = True  # what a full load does: every argument context applies
    cli.raise_event(EVENT_INVOKER_PRE_LOAD_ARGUMENTS, commands_loader=loader)
    loader.load_arguments()
    cli.raise_event(EVENT_INVOKER_POST_LOAD_ARGUMENTS, commands_loader=loader)
    cli.raise_event(EVENT_INVOKER_POST_CMD_TBL_CREATE, commands_loader=loader)
    invoker.parser.cli_ctx = cli
    invoker.parser.load_command_table(loader)
    commands = {name: cmd for name, cmd in loader.command_table.items() if name.startswith(GROUP + " ")}

    help_ctx = cli.help_cls(cli)
    helps = {}
    groups = sorted({name.rsplit(" ", 1)[0] for name in commands})  # the group and its subgroups (migrate)
    for name in [*groups, *commands]:
        words = tuple(name.split())
        parser = invoker.parser.subparsers[words] if name in groups else \
            invoker.parser.subparsers[words[:-1]].choices[words[-1]]
        help_ctx.update_loaders_with_help_file_contents(name.split())
        cls = CliGroupHelpFile if name in groups else CliCommandHelpFile
        helps[name] = cls(help_ctx, name, parser)
        helps[name].load(parser)
    return commands, helps


@pytest.fixture(scope="module")
def exclusions():
    data = yaml.safe_load((ROOT / "linter_exclusions.yml").read_text())
    # azdev's format: COMMAND -> parameters -> PARAMETER -> rule_exclusions -> [rule]
    found = {}
    for command, entry in data.items():
        assert set(entry) <= {"rule_exclusions", "parameters"}, command
        for param, rules in (entry.get("parameters") or {}).items():
            assert set(rules) == {"rule_exclusions"} and isinstance(rules["rule_exclusions"], list), (command, param)
            for rule in rules["rule_exclusions"]:
                found.setdefault(rule, set()).add((command, param))
    return found


def _options(argument):
    """The option strings of an argument, deprecated ones included (they are still accepted)."""
    return [str(getattr(o, "target", o)) for o in argument.type.settings.get("options_list") or []]


def test_the_group_is_loaded(loaded):
    commands, _ = loaded
    assert {"create", "show", "list", "delete", "update", "wait", "generate-rbac", "check",
            "cleanup-fic"} <= {name.split()[-1] for name in commands}


def test_no_html_like_text_in_any_help(loaded):
    # The reference docs build reads <...> as an HTML tag: placeholders are written NAME, ID, CLIENT_ID.
    _, helps = loaded
    bad = []
    for name, help_file in helps.items():
        prose = [("summary", help_file.short_summary), ("long summary", help_file.long_summary)]
        prose += [("example name", e.short_summary) for e in help_file.examples]
        prose += [(p.name, text) for p in getattr(help_file, "parameters", [])
                  for text in (p.short_summary, p.long_summary)]
        bad += [f"{name}, {where}: {text!r}" for where, text in prose if text and ("<" in text or ">" in text)]
        # in a command line, only a tag-like <...> (a shell redirection would be fine)
        bad += [f"{name}, example: {e.command!r}" for e in help_file.examples if _TAG.search(e.command)]
    assert not bad, "\n".join(bad)


def test_every_example_runs_its_own_command(loaded):
    commands, helps = loaded
    bad = [f"{name}: {e.command}" for name in commands for e in helps[name].examples
           if not (e.command.strip() + " ").startswith(f"az {name} ")]
    assert not bad, "\n".join(bad)
    assert all(helps[name].examples for name in commands), "a command without examples"


def test_options_are_short_unless_excluded_with_a_reason(loaded, exclusions):
    commands, _ = loaded
    excluded = exclusions.get("option_length_too_long", set())
    too_long = {(name, dest) for name, cmd in commands.items() for dest, arg in cmd.arguments.items()
                if any(len(o.lstrip("-")) > MAX_OPTION for o in _options(arg) if not o.startswith("--__"))}
    assert too_long - excluded == set(), "options over 22 characters: shorten, or record in linter_exclusions.yml"
    assert excluded - too_long == set(), "stale linter_exclusions.yml entries"
    # Each excluded parameter but the inherited spellings also has a short option to use.
    inherited = {"managed_identity_resource_id", "allowed_subjects_from_file"}
    for name, dest in excluded:
        if dest not in inherited:
            assert min(len(o.lstrip("-")) for o in _options(commands[name].arguments[dest])) <= MAX_OPTION, dest


def test_id_options_named_for_resource_ids_are_the_recorded_ones(loaded, exclusions):
    # azdev (LOW): an option ending in -id should take a GUID; only core's spelling may take a resource id.
    commands, helps = loaded
    found = set()
    for name, cmd in commands.items():
        by_option = {p.name.split()[0]: p for p in helps[name].parameters}
        for dest, arg in cmd.arguments.items():
            options = _options(arg)
            if any(o.endswith(("-id", "-ids")) and o != "--ids" for o in options) and options[0] in by_option:
                text = (by_option[options[0]].short_summary or "").lower()
                if "resource id" in text or "arm id" in text:
                    found.add((name, dest))
    assert found == exclusions.get("id_params_only_for_guid", set())
    assert {dest for _, dest in found} <= {"managed_identity_resource_id"}


# Commands whose --no-wait is awaited with the wait command of a parent group, and why.
WAIT_IN_PARENT = {
    f"{GROUP} migrate apply": "it creates one binding per cluster; each is awaited with `az aks identity-binding "
                              "wait --created` (a migrate-level wait would only repeat it cluster by cluster)",
}


def test_every_command_with_no_wait_has_a_wait_sibling(loaded):
    commands, _ = loaded
    for name, cmd in commands.items():
        if any("--no-wait" in _options(arg) for arg in cmd.arguments.values()):
            group = name.rsplit(" ", 1)[0]
            waiter = f"{GROUP} wait" if name in WAIT_IN_PARENT else f"{group} wait"
            assert waiter in commands, name


def test_options_stay_what_they_were(loaded):
    # The long spellings shipped in 0.1.0 keep working next to the short primary ones.
    commands, _ = loaded
    assert _options(commands[f"{GROUP} generate-rbac"].arguments["include_service_accounts"]) == \
        ["--include-sa", "--include-service-accounts"]
    assert _options(commands[f"{GROUP} update"].arguments["allow_service_account_labels"]) == \
        ["--allow-sa-label", "--allow-service-account-label"]
