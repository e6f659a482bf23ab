#!/usr/bin/env bash
# Debian's Chromium for the Playwright browser tests (Playwright's own browser download cannot work here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is missing; install the Debian package 'chromium' (browser tests will be skipped)." >&2
    exit 0
fi
echo "Installing Debian packages: chromium fonts"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-core fonts-dejavu-core >/dev/null
