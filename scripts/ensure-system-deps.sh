#!/usr/bin/env bash
# Make sure the system programs Chorus needs are on PATH.
# Installs them with apt-get when we are root on Debian/Ubuntu; otherwise says what to install.
# Usage: ensure-system-deps.sh [PROGRAM=PACKAGE ...]   (default: ffmpeg, plus the test tools under CI)
set -euo pipefail
declare -A need=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg)
if [ "$#" -gt 0 ]; then
  for pair in "$@"; do need[${pair%%=*}]=${pair#*=}; done
fi
missing=()
for prog in "${!need[@]}"; do
  command -v "$prog" >/dev/null 2>&1 || missing+=("${need[$prog]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chorus: installing system packages: $pkgs"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
else
  echo "chorus: missing system programs. Install them, then retry: sudo apt-get install $pkgs" >&2
  exit 1
fi
