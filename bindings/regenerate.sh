#!/usr/bin/env bash
# Regenerates the jextract FFM bindings in bindings/java from the pinned llama.cpp headers.
#
#   bindings/regenerate.sh
#
# Environment:
#   JEXTRACT        path of the jextract launcher (default: `jextract` on PATH)
#   LLAMA_CPP_SRC   an existing llama.cpp checkout (directory) to read the headers from; otherwise the
#                   source cache of native/build.sh is used:
#                   ${CTXBENCH_CACHE:-$HOME/.cache/ctxbench}/src/llama.cpp-<commit[0:8]>
#
# The argument file is bindings/jextract.args; the headers and include dirs are added here.
# Everything under bindings/java is wiped and rewritten: never edit those files by hand.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

# shellcheck source=/dev/null
source "$root/native/llama.cpp.pin"
short=${LLAMA_CPP_COMMIT:0:8}

# ---- jextract -------------------------------------------------------------------------------------
jextract=${JEXTRACT:-$(command -v jextract || true)}
if [ -z "$jextract" ] || [ ! -x "$jextract" ]; then
  cat >&2 <<EOF
regenerate.sh: jextract not found (set JEXTRACT=/path/to/jextract or put it on PATH).

jextract is not published on any package registry; build it from source:
  1. git clone https://github.com/openjdk/jextract   (these bindings: commit f9866df3a178, "jextract 23")
  2. install libclang (Debian: apt-get install libclang1-14 libclang-common-14-dev; LLVM 13+ works)
  3. with JDK >= 23 (here JDK 25):
       sh ./gradlew -Pjdk_home=\$JAVA_HOME -Pllvm_home=/usr/lib/llvm-14 clean verify
     -> build/jextract/bin/jextract
     Without Gradle: javac --release 23 the sources in src/main/java (+ copy src/main/resources),
     jar them, 'jmod create --libs=<dir holding libclang.so>', 'jlink --add-modules
     org.openjdk.jextract --add-options "--enable-native-access=org.openjdk.jextract"', and use
     src/main/jextract as the launcher (see bindings/README.md for the exact commands).
EOF
  exit 1
fi

# ---- llama.cpp headers ----------------------------------------------------------------------------
if [ -n "${LLAMA_CPP_SRC:-}" ] && [ -d "$LLAMA_CPP_SRC" ]; then
  src=$LLAMA_CPP_SRC
else
  src="${CTXBENCH_CACHE:-$HOME/.cache/ctxbench}/src/llama.cpp-$short"
fi
if [ ! -f "$src/include/llama.h" ] || [ ! -f "$src/ggml/include/ggml-rpc.h" ]; then
  echo "regenerate.sh: llama.cpp headers not found under $src" >&2
  echo "  run native/build.sh once (it fills that source cache), or set LLAMA_CPP_SRC to a checkout" >&2
  echo "  of llama.cpp $LLAMA_CPP_TAG ($LLAMA_CPP_COMMIT)." >&2
  exit 1
fi
if [ -f "$src/.commit" ] && [ "$(cat "$src/.commit")" != "$LLAMA_CPP_COMMIT" ]; then
  echo "regenerate.sh: warning: $src/.commit is $(cat "$src/.commit"), pinned is $LLAMA_CPP_COMMIT" >&2
fi

# ---- generate -------------------------------------------------------------------------------------
echo "jextract: $jextract" >&2
"$jextract" --version >&2 || true
echo "headers:  $src (pinned $LLAMA_CPP_TAG $short)" >&2

cd "$here"
rm -rf java
# warnings about skipped opaque structs / va_list / FILE internals are expected; errors fail the run
"$jextract" @jextract.args \
  -I "$src/include" -I "$src/ggml/include" \
  "$src/include/llama.h" "$src/ggml/include/ggml-rpc.h"

count=$(find java -name '*.java' | wc -l)
bytes=$(find java -name '*.java' -exec cat {} + | wc -c)
[ "$count" -gt 0 ] || { echo "regenerate.sh: jextract produced no files" >&2; exit 1; }
echo "generated $count files, $bytes bytes ($(du -sh java | cut -f1)) in bindings/java/io/ctxbench/llama/ffi"
