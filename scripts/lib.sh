# Shared by the scripts: installs Debian packages, as root or through sudo.
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  fi
}

# python_venv DIR PIN...: a Python virtualenv in DIR holding exactly the pinned packages
# (e.g. scikit-learn==1.9.1); python3-venv comes from apt when missing. The pins are
# installed again only when they change (DIR/.pins records them).
python_venv() {
  local venv=$1
  shift
  command -v python3 >/dev/null || apt_install python3
  python3 -c "import venv, ensurepip" 2>/dev/null || apt_install python3-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$*" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" >"$venv/.pins"
  fi
}
