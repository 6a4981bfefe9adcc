#!/usr/bin/env bash
# Debian packages the tests need (idempotent; run as root or with sudo):
#  - Mesa 25 lavapipe from bookworm-backports: the CPU Vulkan driver Dawn (webgpu) accepts
#    (bookworm's Mesa 22.3 is rejected: "shaderUniform*ArrayDynamicIndexing required")
#  - chromium: headless browser for the UI end-to-end tests (Playwright drives it)
#  - ffmpeg: MP4 export;  xvfb: a display for the Electron launch test when the binary exists
#  - libjpeg-turbo-progs: cjpeg/djpeg, the reference our JPEG decoder is compared with; zstd: SPZ v4 reference
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
if [ "$codename" = "bookworm" ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # same mirror as the machine's existing bookworm entry
  # only files apt reads, only active entries (deb822 "URIs:" or one-line "deb"), only a Debian archive URL
  # (not comments such as snapshot URLs, not third-party repositories)
  files=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  mirror=$(grep -hE '^(URIs:|deb )' $files 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | tr -d ' ' | grep -v security | head -n1)
  echo "deb ${mirror:-http://deb.debian.org/debian} bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update -qq
if [ "$codename" = "bookworm" ]; then
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  $SUDO apt-get install -y -qq mesa-vulkan-drivers >/dev/null
fi
$SUDO apt-get install -y -qq --no-install-recommends libvulkan1 chromium ffmpeg xvfb libjpeg-turbo-progs zstd >/dev/null
