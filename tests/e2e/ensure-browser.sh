#!/bin/sh
# Installs Debian's Chromium and a Chinese font when absent (the browser tests need both).
set -e
need=""
[ -x /usr/bin/chromium ] || need="chromium"
if ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then need="$need fonts-wqy-microhei"; fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "The browser tests need Debian packages:$need — install them as root: apt-get install -y$need" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing Debian packages for the browser tests:$need"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
