# Sourced by the lint scripts: pinned_venv DIR NOTE PIN...: (re)create the virtualenv DIR with exactly
# these pins, unless it already holds them for this Python (a stamp file records what was installed).
pinned_venv() {
  local venv="$1" note="$2"; shift 2
  local want
  want="$(printf '%s\n' "python $("${PY:-python3}" -c 'import sys; print(sys.version.split()[0])')" "$@")"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pins" 2>/dev/null)" != "$want" ]; then
    echo "Creating $venv with $* ($note) ..." >&2
    rm -rf "$venv"
    "${PY:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
    printf '%s' "$want" > "$venv/.pins"
  fi
}
