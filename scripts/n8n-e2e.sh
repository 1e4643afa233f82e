#!/usr/bin/env bash
# A real n8n for the end-to-end suite (test/e2e/, `npm run test:e2e`); see test/e2e/README.md.
#
#   scripts/n8n-e2e.sh install            install the pinned n8n into the cache folder (once; ~6 min, 2.3 GB)
#   scripts/n8n-e2e.sh pack DIR           npm run build + npm pack into DIR; prints the .tgz path
#   scripts/n8n-e2e.sh user-folder DIR TGZ
#                                         a fresh n8n user folder: the tarball installed into DIR/.n8n/nodes
#                                         as users get it (node type n8n-nodes-ftp-automation.ftpAutomation)
#   scripts/n8n-e2e.sh prepare DIR        install + pack (into DIR/pack) + user-folder DIR
#   scripts/n8n-e2e.sh n8n DIR ARGS...    runs the cached n8n with N8N_USER_FOLDER=DIR and the suite's environment,
#                                         e.g. `n8n DIR import:workflow --separate --input=test/e2e/workflows`
#   scripts/n8n-e2e.sh bin                prints the path of the cached n8n executable (after install)
#   scripts/n8n-e2e.sh cache              prints the cache folder and the pinned version (used by `npm run demo`/`dev`)
#   scripts/n8n-e2e.sh postgres-install   apt-get install -y postgresql, only when no initdb is installed (root);
#                                         the suite starts its own server in a temp data folder (test/e2e/postgres.ts)
#
# Environment:
#   N8N_E2E_VERSION   n8n version (default 2.8.4: the newest that installs and runs on Node 20)
#   N8N_E2E_CACHE     install folder (default <repo>/.cache/n8n-<version>; .cache/ is gitignored)
#
# The install uses scripts/n8n-e2e-lock/<version>/package-lock.json (npm ci) when there is one: the tree the suite
# was verified with. Without it (another N8N_E2E_VERSION), `npm install n8n@<version>` resolves a fresh tree.
#   N8N_ENCRYPTION_KEY, N8N_RUNNERS_BROKER_PORT, N8N_LOG_LEVEL: passed on by `n8n` (defaults: a fixed test key,
#                     a free port, info)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${N8N_E2E_VERSION:-2.8.4}
CACHE=${N8N_E2E_CACHE:-$REPO/.cache/n8n-$VERSION}
MARKER=$CACHE/.install-complete
BIN=$CACHE/node_modules/.bin/n8n

log() { echo "n8n-e2e: $*" >&2; }
die() { log "$*"; exit 1; }

installed() {
	[[ -f $MARKER && -x $BIN ]] && [[ $(cat "$MARKER") == "n8n@$VERSION" ]]
}

cmd_install() {
	if installed; then
		log "n8n@$VERSION already installed in $CACHE"
		return 0
	fi
	local started=$SECONDS
	log "installing n8n@$VERSION into $CACHE (first time: about 6 min, 2.3 GB)"
	mkdir -p "$CACHE"
	rm -f "$MARKER"
	local pinned=$REPO/scripts/n8n-e2e-lock/$VERSION
	# The repository's .npmrc turns install scripts off; n8n needs them (sqlite3 is compiled from source here).
	if [[ -f $pinned/package-lock.json ]]; then
		# The exact tree that was tested: n8n's own dependencies float, and a registry that has published a new
		# version of one (but not yet what that version needs) breaks a fresh `npm install n8n` for a while.
		cp "$pinned/package.json" "$pinned/package-lock.json" "$CACHE/"
		(cd "$CACHE" && npm ci --no-audit --no-fund --ignore-scripts=false) >&2
	else
		# xlsx: n8n-nodes-base pulls it from a host outside the npm registry; 0.18.5 is the last version on npm.
		cat > "$CACHE/package.json" <<JSON
{
  "private": true,
  "description": "n8n for the end-to-end tests of n8n-nodes-ftp-automation (scripts/n8n-e2e.sh)",
  "overrides": { "xlsx": "0.18.5" }
}
JSON
		(cd "$CACHE" && npm install --no-audit --no-fund --ignore-scripts=false --save-exact "n8n@$VERSION") >&2
	fi
	[[ -x $BIN ]] || die "npm install finished but $BIN is missing"
	"$BIN" --version >/dev/null 2>&1 || log "warning: '$BIN --version' failed"
	echo "n8n@$VERSION" > "$MARKER"
	log "installed n8n@$VERSION in $((SECONDS - started)) s"
}

cmd_pack() {
	local out=${1:?usage: pack DIR}
	mkdir -p "$out"
	(cd "$REPO" && npm run build >&2)
	local name
	name=$(cd "$REPO" && npm pack --silent --pack-destination "$out" | tail -n 1)
	[[ -f $out/$name ]] || die "npm pack did not write $out/$name"
	echo "$out/$name"
}

cmd_user_folder() {
	local dir=${1:?usage: user-folder DIR TGZ} tgz=${2:?usage: user-folder DIR TGZ}
	[[ -f $tgz ]] || die "no such tarball: $tgz"
	tgz=$(cd "$(dirname "$tgz")" && pwd)/$(basename "$tgz")
	mkdir -p "$dir/.n8n/nodes"
	[[ -f $dir/.n8n/nodes/package.json ]] || echo '{"name": "installed-nodes", "private": true}' > "$dir/.n8n/nodes/package.json"
	# --legacy-peer-deps: otherwise npm installs a second n8n-workflow; at run time it must be n8n's own.
	(cd "$dir/.n8n/nodes" && npm install --no-audit --no-fund --legacy-peer-deps --ignore-scripts "$tgz") >&2
	[[ -f $dir/.n8n/nodes/node_modules/n8n-nodes-ftp-automation/package.json ]] || die "the package is not in $dir/.n8n/nodes"
}

cmd_prepare() {
	local dir=${1:?usage: prepare DIR}
	mkdir -p "$dir"
	cmd_install
	local tgz
	tgz=$(cmd_pack "$dir/pack")
	cmd_user_folder "$dir" "$tgz"
	log "ready: N8N_USER_FOLDER=$dir"
}

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

cmd_n8n() {
	local dir=${1:?usage: n8n DIR ARGS...}
	shift
	installed || die "n8n@$VERSION is not installed in $CACHE: run '$0 install' first"
	dir=$(cd "$dir" && pwd)
	N8N_USER_FOLDER=$dir \
	N8N_ENCRYPTION_KEY=${N8N_ENCRYPTION_KEY:-n8n-nodes-ftp-automation-e2e-key} \
	N8N_RUNNERS_BROKER_PORT=${N8N_RUNNERS_BROKER_PORT:-$(free_port)} \
	N8N_LOG_LEVEL=${N8N_LOG_LEVEL:-info} \
	DB_TYPE=sqlite \
	N8N_DIAGNOSTICS_ENABLED=false \
	N8N_VERSION_NOTIFICATIONS_ENABLED=false \
	N8N_TEMPLATES_ENABLED=false \
	N8N_PERSONALIZATION_ENABLED=false \
		exec "$BIN" "$@"
}

cmd_postgres_install() {
	if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
		log "PostgreSQL already installed: $(ls -d /usr/lib/postgresql/*/bin/initdb | tr '\n' ' ')"
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "installing PostgreSQL needs root (apt-get)"
	log "installing PostgreSQL from Debian's packages"
	DEBIAN_FRONTEND=noninteractive apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
	compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || die "apt-get install postgresql did not install initdb"
}

case ${1:-} in
	install) cmd_install ;;
	pack) shift; cmd_pack "$@" ;;
	user-folder) shift; cmd_user_folder "$@" ;;
	prepare) shift; cmd_prepare "$@" ;;
	n8n) shift; cmd_n8n "$@" ;;
	postgres-install) cmd_postgres_install ;;
	bin) installed || die "not installed: $CACHE"; echo "$BIN" ;;
	cache) echo "$CACHE"; echo "$VERSION" ;;
	*) sed -n '2,23p' "$0" >&2; exit 2 ;;
esac
