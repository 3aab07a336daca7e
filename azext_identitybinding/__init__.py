"""Command loader for the `identitybinding` extension.

Loaded on every `az` start that touches `aks`: keep imports here to azure-cli-core only and
defer everything else to the command handlers.
"""
from azure.cli.core import AzCommandsLoader


class IdentityBindingCommandsLoader(AzCommandsLoader):

    def __init__(self, cli_ctx=None):
        from azure.cli.core.commands import CliCommandType
        custom = CliCommandType(operations_tmpl="azext_identitybinding.custom#{}")
        super().__init__(cli_ctx=cli_ctx, custom_command_type=custom)

    def load_command_table(self, args):
        from azext_identitybinding import _help
        from azext_identitybinding.commands import load_command_table
        _help.register()
        load_command_table(self, args)
        return self.command_table

    def load_arguments(self, command):
        from azext_identitybinding._params import load_arguments
        load_arguments(self, command)


COMMAND_LOADER_CLS = IdentityBindingCommandsLoader
