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

# The Python package's virtualenv (scripts/test-python.sh, scripts/bench-python.sh): checked
# to install together on Python 3.11 (2026-11-28); numpy, scipy and scikit-learn as
# scripts/sklearn_compare.py pins them, pandas as scripts/bench-report.sh does.
PYTHON_PACKAGE_VENV=target/python-venv
PYTHON_PACKAGE_PINS=(maturin==1.16.0 pytest==9.2.0 mypy==1.19.0 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1 scikit-learn==1.9.1)
