"""azdev's linter rules on this extension, offline. A developer's tool, not part of CI.

    bash scripts/azdev_linter.sh      # makes .venv-azdev (azdev + azure-cli), then runs this

`azdev linter identitybinding` needs `azdev setup` (an azure-cli checkout) and fetches two files
from the network. This runs azdev's own LinterManager, with every severity, on this extension's
commands as az loads them (help, arguments, examples), with linter_exclusions.yml, and answers the
two fetches here: the patterns of azure-cli's scripts/ci/cmdcov.yml (read at import, used only by
the test-coverage rules, which need git and are not run) and "not found" for the example-count
settings, which makes azdev use the copy it ships. Links in help cannot be checked offline: a
link would be reported broken (there are none). Exit code 1 on a HIGH finding, as azdev's.
"""
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "identitybinding"
# The keys azdev.operations.regex reads from cmdcov.yml at import time.
_CMDCOV_KEYS = ("CMD_PATTERN", "QUO_PATTERN", "END_PATTERN", "DOCS_END_PATTERN", "NOT_END_PATTERN",
                "NUMBER_SIGN_PATTERN")


def _offline_get(url, *_, **__):
    response = mock.Mock(status_code=404, text="")
    if url.endswith("/scripts/ci/cmdcov.yml"):
        response.status_code, response.text = 200, "\n".join(f"{key}: ''" for key in _CMDCOV_KEYS)
    return response


def _private_az_state(state):
    """A throw-away az config and extension directory that holds this working tree's package."""
    ext = state / "extensions" / EXTENSION
    (ext / f"{EXTENSION}-0.0.0.dist-info").mkdir(parents=True)
    (ext / f"{EXTENSION}-0.0.0.dist-info" / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {EXTENSION}\nVersion: 0.0.0\n")
    (ext / "azext_identitybinding").symlink_to(ROOT / "azext_identitybinding")
    os.environ.update({"AZURE_CONFIG_DIR": str(state / "config"), "AZURE_EXTENSION_DIR": str(state / "extensions"),
                       "AZDEV_CONFIG_DIR": str(state / "azdev"), "AZURE_CORE_COLLECT_TELEMETRY": "false"})
    os.environ.pop("AZURE_EXTENSION_DEV_SOURCES", None)


def _ours(command_loader, help_entries):
    """Only this extension's commands, their groups and help (what azdev's module filter keeps)."""
    from azure.cli.core.commands import ExtensionCommandSource
    table = command_loader.command_table
    for name in list(table):
        source = table[name].command_source
        if not (isinstance(source, ExtensionCommandSource) and source.extension_name == EXTENSION):
            table.pop(name)
            help_entries.pop(name, None)
    groups = {name.rsplit(" ", 1)[0] for name in table}
    for name in set(command_loader.command_group_table) - groups:
        command_loader.command_group_table.pop(name)
        help_entries.pop(name, None)


def main():
    with tempfile.TemporaryDirectory(prefix="azdev-linter-") as state:
        _private_az_state(Path(state))
        return _lint()


def _lint():
    import yaml
    from knack.help_files import helps
    with mock.patch("requests.get", _offline_get):
        from azure.cli.core import get_default_cli
        from azure.cli.core.file_util import create_invoker_and_load_cmds_and_args, get_all_help
        from azdev.operations.linter.linter import LinterManager, LinterSeverity
        from azdev.operations.linter.util import merge_exclusion

        cli = get_default_cli()
        create_invoker_and_load_cmds_and_args(cli)
        loaded_help = {data.command: data for data in get_all_help(cli) if data.command}
        command_loader = cli.invocation.commands_loader
        help_entries = {name: yaml.safe_load(text) for name, text in helps.items()}
        _ours(command_loader, help_entries)
        exclusions, path = {}, ROOT / "linter_exclusions.yml"
        if path.is_file():
            merge_exclusion(exclusions, yaml.safe_load(path.read_text()) or {})
        print(f"{len(command_loader.command_table)} commands of {EXTENSION}; exclusions from {path}: "
              f"{'applied' if path.is_file() else 'none'}")
        manager = LinterManager(command_loader=command_loader, help_file_entries=help_entries,
                                loaded_help=loaded_help, exclusions=exclusions, use_ci_exclusions=False,
                                min_severity=LinterSeverity.LOW)
        return manager.run(run_params=True, run_commands=True, run_command_groups=True,
                           run_help_files_entries=True, run_command_test_coverage=False)


if __name__ == "__main__":
    sys.exit(main())
