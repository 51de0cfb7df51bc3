#!/usr/bin/env bash
# Installs every Debian package commsim needs to build, test, benchmark and analyse.
# Idempotent: packages already present are skipped by apt-get. Run as root (or with sudo).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libtbb-dev libhdf5-dev hdf5-tools libyaml-cpp-dev catch2
  libopenmpi-dev openmpi-bin libbenchmark-dev librandom123-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-simpy
  libnlopt-cxx-dev nlohmann-json3-dev libjs-chart.js libpagmo-dev
  chromium chromium-driver python3-selenium
  fonts-noto-cjk   # CJK glyphs for district names in the report's figures (analysis/commsim_report/fonts.py)
  strace           # tests: inputs are opened once (tests/engine/read_once.sh)
)
# --fuzz: also the clang toolchain with libFuzzer for scripts/fuzz.sh (not needed by CI; the
# sanitizer runtimes of GCC that scripts/sanitize.sh uses come with build-essential).
if [ "${1:-}" = "--fuzz" ]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev llvm-14)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
