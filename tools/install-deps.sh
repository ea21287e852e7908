#!/bin/sh
# tools/install-deps.sh - installs what building and testing mailsleuth needs, if missing.
# Debian/Ubuntu (apt) as root or with sudo.  Other systems, by hand:
#   Fedora/RHEL: dnf install gcc make pkgconf-pkg-config libarchive-devel openssl-devel libidn2-devel libicu-devel libmaxminddb-devel zlib-devel xz-devel bzip2-devel libzstd-devel jansson-devel sqlite-devel jq zstd xz bzip2 gzip python3 tzdata
#   macOS:       brew install libarchive openssl libidn2 icu4c libmaxminddb jansson sqlite pkg-config jq zstd xz   (then PKG_CONFIG_PATH=$(brew --prefix libarchive)/lib/pkgconfig)
set -e
PKGS="build-essential pkg-config libarchive-dev libssl-dev libidn2-dev libicu-dev libmaxminddb-dev zlib1g-dev liblzma-dev libbz2-dev libzstd-dev libjansson-dev libsqlite3-dev jq zstd xz-utils bzip2 gzip python3 tzdata mandoc zsh logrotate abigail-tools"
# clang and its libFuzzer runtime (several hundred MB installed) only when asked: make fuzz-smoke skips without them
[ "${WITH_FUZZ:-0}" = 1 ] && PKGS="$PKGS clang libclang-rt-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: no apt-get here; install the equivalents of:$missing (see this script's header)" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
