#!/usr/bin/env bash
# Make sure a Chromium the browser tests can drive is installed: Playwright's own download does
# not work here, so the tests drive Debian's `chromium` (/usr/bin/chromium). Installs it with
# apt-get when missing (as root, or through sudo when that is available).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

sudo_cmd=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd="sudo"
  else
    echo "chromium is missing and this user cannot install it: apt-get install chromium" >&2
    exit 1
  fi
fi
echo "installing Debian's chromium for the browser tests" >&2
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
