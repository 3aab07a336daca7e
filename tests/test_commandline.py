"""commandline.py: the az command lines the extension prints, spelled in one place."""
import pathlib
import re
import shlex

import pytest

from azext_identitybinding import commandline

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "azext_identitybinding"


def test_binding_command_has_az_option_spellings():
    assert commandline.show("rg", "c1", "b1") == "az aks identity-binding show -g rg --cluster-name c1 -n b1"
    assert commandline.list_bindings("rg", "c1") == "az aks identity-binding list -g rg --cluster-name c1"
    assert commandline.delete("rg", "c1", "b1") == "az aks identity-binding delete -g rg --cluster-name c1 -n b1 --yes"


def test_missing_values_become_bare_placeholders():
    line = commandline.create("rg", "c1", None, None)
    assert line.endswith("-n BINDING_NAME --managed-identity-resource-id IDENTITY_ID")
    assert commandline.cleanup_fic(None).endswith("cleanup-fic --managed-identity-resource-id IDENTITY_ID")


def test_true_is_a_bare_flag_and_none_or_false_is_left_out():
    assert commandline.az("x", a=True, b=None, c=False, long_name="v") == "az x -a --long-name v"


@pytest.mark.parametrize("hostile", ["my group", "a;rm -rf ~", "$(id)", "`id`", "it's", "x\ny", "--yes", ""])
def test_a_hostile_value_stays_one_word_when_pasted_into_a_shell(hostile):
    words = shlex.split(commandline.show(hostile, "c1", "b1"))
    assert words[words.index("-g") + 1] == hostile
    assert words[-2:] == ["-n", "b1"]


def test_identity_binding_commands_are_spelled_only_in_commandline():
    """A renamed option must change every message: no other module writes the command out."""
    spelled = re.compile(r"az aks identity-binding (?:\{|\w[\w-]* -)")
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p.name not in ("commandline.py", "_help.py") and spelled.search(p.read_text())]
    assert offenders == []
