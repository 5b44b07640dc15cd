#!/bin/sh
# Install every Debian package casemail's build and tests need.
# Idempotent and non-interactive; run as root (or with sudo available).
# The fuzz stage needs clang-14, libclang-rt-14-dev (libFuzzer and the
# sanitizer runtimes: clang-14 only recommends it, and recommends are not
# installed here) and llvm-14 (llvm-symbolizer, for readable reports).
set -eu

PACKAGES="build-essential cmake pkg-config libetpan-dev libgmime-3.0-dev
libsqlite3-dev libcurl4-gnutls-dev libgnutls28-dev libcmocka-dev
libsystemd-dev libjson-glib-dev libxml2-dev libytnef0-dev libopendkim-dev dovecot-imapd
libsodium-dev
libmicrohttpd-dev chromium chromium-driver python3-selenium
python3-aiosmtpd openssl sqlite3 valgrind man-db
clang-14 libclang-rt-14-dev llvm-14"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
