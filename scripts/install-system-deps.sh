#!/usr/bin/env bash
# The system packages the tests and benchmarks use, from Debian: chromium (the dashboard's browser
# test drives it through playwright-core) and dataset-fashion-mnist (the robustness benchmark's
# data). Installs only what is missing; needs root or sudo. Usage: scripts/install-system-deps.sh [--check]
# With --check it installs nothing and exits 1 when something is missing.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -d /usr/share/datasets/fashion-mnist ]] || missing+=(dataset-fashion-mnist)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ ${1:-} == --check ]]; then
  echo "missing system packages: ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
