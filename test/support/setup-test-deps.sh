#!/usr/bin/env bash
# Installs the real counterparts the tests run against, outside the work tree, once per pinned version:
#   - the Apache Kafka broker's jars (Maven Central, test/support/kafka/pom.xml);
#   - Python virtualenvs (PyPI), one per requirements file under test/support/python/.
# Each lands in a directory named after a hash of the file that pins it, so changing a pin installs anew and
# an unchanged one is skipped (a `.complete` marker is written last, so an interrupted install is redone).
# test/support/test-deps.ts computes the same names to find them.
# Usage: bash test/support/setup-test-deps.sh      (cache: $PERFTOOL_TEST_CACHE, default ~/.cache/perftool-test;
#        Python: $PERFTOOL_TEST_PYTHON, default python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${PERFTOOL_TEST_CACHE:-$HOME/.cache/perftool-test}"
PYTHON="${PERFTOOL_TEST_PYTHON:-python3}"
mkdir -p "$CACHE"
need() { command -v "$1" >/dev/null || { echo "setup-test-deps: $1 is missing; install it with: sudo apt-get install -y $2" >&2; exit 1; }; }
need mvn maven
need "$PYTHON" python3-venv

# First 16 hex digits of the file's SHA-256 (test-deps.ts: pinKey).
pin_key() { sha256sum "$1" | cut -c1-16; }

# kafka_jars POM: copies the runtime jars of the POM's dependencies into $CACHE/kafka-<key>/libs.
kafka_jars() {
  local pom="$1" dir
  dir="$CACHE/kafka-$(pin_key "$pom")"
  [ -f "$dir/.complete" ] && return 0
  echo "setup-test-deps: Kafka jars from $pom -> $dir"
  rm -rf "$dir"
  # Maven's console library prints colour resets even with colour off: strip them (errors still show).
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir/libs" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  touch "$dir/.complete"
}

# venv NAME REQUIREMENTS: a virtualenv $CACHE/venv-NAME-<key> with exactly those pins.
venv() {
  local name="$1" requirements="$2" dir
  dir="$CACHE/venv-$name-$(pin_key "$requirements")"
  [ -f "$dir/.complete" ] && return 0
  echo "setup-test-deps: Python venv $name from $requirements -> $dir"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$requirements"
  touch "$dir/.complete"
}

kafka_jars test/support/kafka/pom.xml
# One line per virtualenv; the name is what tests pass to venvPython() in test/support/test-deps.ts.
venv sinetstream-1.10.0 test/support/python/sinetstream-1.10.0.txt
venv sinetstream-1.9.1 test/support/python/sinetstream-1.9.1.txt
venv cfn-lint test/support/python/cfn-lint.txt
echo "setup-test-deps: ready in $CACHE"
