#!/usr/bin/env bash
# What the queue-mode scenario (test/queue/, `npx jest --config jest.queue.config.js`) needs besides n8n itself;
# see test/queue/README.md.
#
#   scripts/n8n-queue.sh install        redis-server from Debian (only when missing), PostgreSQL through
#                                        scripts/n8n-e2e.sh postgres-install, vsftpd through scripts/ftp-servers.sh
#                                        install; root, idempotent, quick when done
#   scripts/n8n-queue.sh redis DIR PORT  runs redis-server in the foreground on 127.0.0.1:PORT with its files in DIR
#                                        (no persistence); the suite starts it and stops it by its PID
#
# n8n (the newest 2.x, on Node 24) is installed by `N8N_E2E_VERSION=... scripts/n8n-e2e.sh install`.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "n8n-queue: $*" >&2; }
die() { log "$*"; exit 1; }

cmd_install() {
	if ! command -v redis-server >/dev/null; then
		[[ $(id -u) == 0 ]] || die "installing redis-server needs root (apt-get)"
		log "installing redis-server from Debian's packages"
		DEBIAN_FRONTEND=noninteractive apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2
		command -v redis-server >/dev/null || die "apt-get install redis-server did not install redis-server"
	fi
	bash "$REPO/scripts/n8n-e2e.sh" postgres-install
	bash "$REPO/scripts/ftp-servers.sh" install >&2
	log "ready: $(redis-server --version | cut -d' ' -f1-3), PostgreSQL, vsftpd"
}

cmd_redis() {
	local dir=${1:?usage: redis DIR PORT} port=${2:?usage: redis DIR PORT}
	mkdir -p "$dir"
	# Debian's package starts a system-wide Redis under systemd; this one belongs to the run: loopback only, no
	# snapshots or append-only file (the queue only needs to live as long as the run), its files in DIR.
	exec redis-server --port "$port" --bind 127.0.0.1 --daemonize no --dir "$dir" \
		--save '' --appendonly no --protected-mode yes --logfile ''
}

case ${1:-} in
	install) cmd_install ;;
	redis) shift; cmd_redis "$@" ;;
	*) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
