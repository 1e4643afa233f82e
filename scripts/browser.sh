#!/usr/bin/env bash
# The browser of the editor test (test/browser/, `npm run test:browser`): Debian's headless Chromium, driven by
# playwright-core with executablePath. Playwright's own browser download is never used (no host outside the npm
# registry and Debian's packages is reachable on CI).
#
#   scripts/browser.sh install   apt-get install -y chromium, only when it is missing (root)
#   scripts/browser.sh path      prints the Chromium executable the test launches
#   scripts/browser.sh version   prints Chromium's version
#
# Environment:
#   BROWSER_EXECUTABLE   another Chromium to use (default /usr/bin/chromium); the test reads the same variable
set -euo pipefail

EXECUTABLE=${BROWSER_EXECUTABLE:-/usr/bin/chromium}

log() { echo "browser: $*" >&2; }
die() { log "$*"; exit 1; }

cmd_install() {
	if [[ -x $EXECUTABLE ]]; then
		log "already installed: $EXECUTABLE ($("$EXECUTABLE" --version 2>/dev/null || echo 'version unknown'))"
		return 0
	fi
	[[ $EXECUTABLE == /usr/bin/chromium ]] || die "BROWSER_EXECUTABLE=$EXECUTABLE does not exist"
	[[ $(id -u) == 0 ]] || die "installing Chromium needs root (apt-get)"
	log "installing Chromium from Debian's packages"
	DEBIAN_FRONTEND=noninteractive apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
	[[ -x $EXECUTABLE ]] || die "apt-get install chromium did not install $EXECUTABLE"
	log "installed: $("$EXECUTABLE" --version)"
}

case ${1:-} in
	install) cmd_install ;;
	path) [[ -x $EXECUTABLE ]] || die "not installed: $EXECUTABLE (run '$0 install')"; echo "$EXECUTABLE" ;;
	version) "$EXECUTABLE" --version ;;
	*) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
