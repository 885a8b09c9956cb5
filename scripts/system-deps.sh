#!/usr/bin/env bash
# Installs the system libraries WeasyPrint needs for Chinese PDFs, when they are missing.
# With apt and root (or sudo) it installs them; otherwise it prints one line naming them.
# `--test` adds what the test suite needs: Chromium for the browser tests, the PostgreSQL client
# for backup tests, redis-server for the two-instance test (which starts one when none is running).
set -u
packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
[ "${1:-}" = "--test" ] && packages+=(chromium postgresql-client redis-server)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: please install: ${missing[*]} (a CJK font, Pango and HarfBuzz subsetting for PDFs; Chromium for browser tests)"
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && { command -v sudo >/dev/null 2>&1 && sudo="sudo" || {
  echo "system-deps: please install as root: apt-get install ${missing[*]}"; exit 0; }; }
echo "system-deps: installing ${missing[*]}"
$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
  || echo "system-deps: apt-get failed; please install: ${missing[*]}"
