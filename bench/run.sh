#!/usr/bin/env bash
# `npm run bench`: this node in a real n8n vs curl, lftp and n8n's built-in FTP node, against one vsftpd on
# 127.0.0.1 (plain FTP and explicit FTPS on the same port), and over SFTP vs curl, OpenSSH's sftp, n8n's built-in
# FTP node in SFTP mode and n8n's own ceiling, against one OpenSSH sshd on 127.0.0.1. See BENCHMARKS.md.
#
#   1. installs what is missing: vsftpd, lftp, openssh-server (apt-get), n8n 2.8.4 (scripts/n8n-e2e.sh install,
#      cached in .cache/)
#   2. compiles bench/*.ts (and the n8n driver they use, tools/n8n.ts) into .cache/bench/
#   3. creates a scratch folder bench/.work/ (the FTP root, n8n's user folder, the downloads: all on one disk),
#      a self-signed certificate and a test account, and starts vsftpd and sshd (its own config, host key and
#      client key; internal-sftp) on 127.0.0.1
#   4. runs bench/run.ts (the measurements; writes bench/results/latest.md and prints it)
#   5. stops vsftpd and sshd (by their PIDs) and removes bench/.work/ (BENCH_KEEP=1 keeps it), on success, error
#      or Ctrl-C
#
# Environment: BENCH_KEEP=1 keep bench/.work; BENCH_ROUNDS (default 5) rounds of every case;
# BENCH_BIG_MIB (default 1024) size of the large file; BENCH_ONLY: a comma-separated subset of ftp, sftp, large,
# small (e.g. BENCH_ONLY=sftp or BENCH_ONLY=sftp,large; see config.ts).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
WORK=$BENCH/.work
BENCH_USER=ftpbench
PAM_SERVICE=ftp-bench
PASV_COUNT=1000

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $EUID -eq 0 ]] || die "must run as root (apt-get, a local FTP account, vsftpd's chroot)"
started=$SECONDS

# --- 1. tools ----------------------------------------------------------------------------------------
missing=()
[[ -x /usr/sbin/vsftpd ]] || missing+=(vsftpd)
command -v lftp >/dev/null || missing+=(lftp)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
command -v sftp >/dev/null || missing+=(openssh-client)
if ((${#missing[@]} > 0)); then
	log "apt-get install -y ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${missing[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; }
fi
# The n8n of BENCHMARKS.md's figures (2.8.4, Node 20) unless told otherwise: the e2e suite's default is now the newest
# n8n, and figures from two n8n versions are not one comparison.
export N8N_E2E_VERSION=${N8N_E2E_VERSION:-2.8.4}
bash "$REPO/scripts/n8n-e2e.sh" install

# --- 2. the runner -------------------------------------------------------------------------------------
# A fresh output folder: no stale .js of a file that was renamed or removed (the layout mirrors the repository:
# .cache/bench/bench/run.js, .cache/bench/tools/n8n.js).
rm -rf "$REPO/.cache/bench"
"$REPO/node_modules/.bin/tsc" -p "$BENCH/tsconfig.json"

# --- 3. scratch folder, account, certificate, vsftpd ---------------------------------------------------
VSFTPD_PID=
SSHD_PID=
cleanup() {
	local rc=$?
	# sshd daemonises itself: its PID is the one in its PidFile.
	if [[ -z $SSHD_PID && -s $WORK/sshd.pid ]]; then SSHD_PID=$(cat "$WORK/sshd.pid"); fi
	if [[ -n $SSHD_PID ]] && kill -0 "$SSHD_PID" 2>/dev/null; then
		kill -TERM "$SSHD_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SSHD_PID" 2>/dev/null || true
	fi
	if [[ -n $VSFTPD_PID ]] && kill -0 "$VSFTPD_PID" 2>/dev/null; then
		kill -TERM "$VSFTPD_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$VSFTPD_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$VSFTPD_PID" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	log "total $((SECONDS - started)) s"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK"/{srv,empty,dl,n8n,files}
chmod 755 "$WORK" "$WORK/empty"

if [[ ! -f /etc/pam.d/$PAM_SERVICE ]]; then
	# Like /etc/pam.d/vsftpd without pam_shells: the account's shell is nologin.
	cat >"/etc/pam.d/$PAM_SERVICE" <<'EOF'
# Written by n8n-nodes-ftp-automation bench/run.sh for its vsftpd instance.
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_unix.so
EOF
fi
id -u "$BENCH_USER" >/dev/null 2>&1 \
	|| useradd --no-create-home --home-dir /var/lib/ftp-bench-home --shell /usr/sbin/nologin --user-group "$BENCH_USER"
mkdir -p /var/lib/ftp-bench-home
BENCH_PASSWORD=$(openssl rand -hex 12)
echo "$BENCH_USER:$BENCH_PASSWORD" | chpasswd
chown "$BENCH_USER:$BENCH_USER" "$WORK/srv"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
	-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$WORK/openssl.log" 2>&1 \
	|| { cat "$WORK/openssl.log" >&2; die "openssl req failed"; }
chmod 600 "$WORK/key.pem"

# A control port and PASV_COUNT passive ports, all free on 127.0.0.1 right now (below the ephemeral range). 1,000:
# 2,000 transfers in a few seconds leave their ports in TIME_WAIT, and a vsftpd with too few passive ports answers
# EPSV with "500 OOPS: vsf_sysutil_bind" (seen once in 15 runs of a test server).
BASE_PORT=$(node -e '
const net = require("net");
const count = Number(process.argv[1]);
(async () => {
	for (let attempt = 0; attempt < 200; attempt++) {
		const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - count));
		const servers = [];
		let ok = true;
		for (let p = base; p <= base + count && ok; p++) {
			ok = await new Promise((resolve) => {
				const s = net.createServer();
				s.once("error", () => resolve(false));
				s.listen(p, "127.0.0.1", () => { servers.push(s); resolve(true); });
			});
		}
		await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
		if (ok) { console.log(base); return; }
	}
	process.exit(1);
})();' "$PASV_COUNT") || die "no block of free ports found"
FTP_PORT=$BASE_PORT

CONF=$WORK/vsftpd.conf
cat >"$CONF" <<EOF
# generated by bench/run.sh
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$FTP_PORT
background=NO
secure_chroot_dir=$WORK/empty
pam_service_name=$PAM_SERVICE
local_enable=YES
write_enable=YES
local_umask=022
local_root=$WORK/srv
chroot_local_user=YES
allow_writeable_chroot=YES
anonymous_enable=NO
max_clients=200
max_per_ip=100
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$((FTP_PORT + 1))
pasv_max_port=$((FTP_PORT + PASV_COUNT))
port_enable=YES
connect_from_port_20=NO
# Explicit FTPS (AUTH TLS) and plain FTP on the same port: the same server process for every client.
ssl_enable=YES
implicit_ssl=NO
rsa_cert_file=$WORK/cert.pem
rsa_private_key_file=$WORK/key.pem
force_local_logins_ssl=NO
force_local_data_ssl=NO
ssl_sslv2=NO
ssl_sslv3=NO
ssl_ciphers=HIGH:!aNULL:!MD5
# The default, stated for the reader: data connections must resume the control connection's TLS session.
require_ssl_reuse=YES
# No protocol or transfer log: logging 2,000 transfers would slow the server down for every client alike.
xferlog_enable=NO
log_ftp_protocol=NO
EOF
chown root:root "$CONF"
chmod 600 "$CONF"
setsid /usr/sbin/vsftpd "$CONF" </dev/null >"$WORK/vsftpd.stderr" 2>&1 &
VSFTPD_PID=$!
for _ in $(seq 100); do
	if ! kill -0 "$VSFTPD_PID" 2>/dev/null; then cat "$WORK/vsftpd.stderr" >&2; die "vsftpd exited"; fi
	if curl -s --max-time 2 -o /dev/null "ftp://127.0.0.1:$FTP_PORT/" -u "$BENCH_USER:$BENCH_PASSWORD" --list-only; then
		break
	fi
	sleep 0.1
done
log "vsftpd $(dpkg-query -W -f='${Version}' vsftpd 2>/dev/null) (pid $VSFTPD_PID) on 127.0.0.1:$FTP_PORT, passive $((FTP_PORT + 1))-$((FTP_PORT + PASV_COUNT)), root $WORK/srv"

# --- 3b. OpenSSH sshd for the SFTP rows --------------------------------------------------------------------
# Its own config, host key and PidFile, password login for the same account as vsftpd (UsePAM no: /etc/shadow),
# and a client key for OpenSSH's sftp -b (which allows no password prompt). internal-sftp starts in the FTP root;
# the SFTP clients use absolute paths (bench/.work/srv/...), so they read and write the same files on the same disk.
SFTP_PORT=$(node -e '
const net = require("net");
const ftp = Number(process.argv[1]);
const count = Number(process.argv[2]);
(async () => {
	for (let attempt = 0; attempt < 200; attempt++) {
		const port = 20000 + Math.floor(Math.random() * 12000);
		if (port >= ftp && port <= ftp + count) continue;
		const ok = await new Promise((resolve) => {
			const s = net.createServer();
			s.once("error", () => resolve(false));
			s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
		});
		if (ok) { console.log(port); return; }
	}
	process.exit(1);
})();' "$FTP_PORT" "$PASV_COUNT") || die "no free port for sshd"
ssh-keygen -q -t ed25519 -N '' -C "bench sshd host key" -f "$WORK/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C "bench sftp client key" -f "$WORK/client_ed25519"
cp "$WORK/client_ed25519.pub" "$WORK/authorized_keys"
echo "[127.0.0.1]:$SFTP_PORT $(cut -d' ' -f1,2 "$WORK/ssh_host_ed25519_key.pub")" >"$WORK/known_hosts"
SFTP_FINGERPRINT=$(ssh-keygen -l -E sha256 -f "$WORK/ssh_host_ed25519_key.pub" | awk '{print $2}')
SSHD_CONF=$WORK/sshd_config
cat >"$SSHD_CONF" <<EOF
# generated by bench/run.sh
Port $SFTP_PORT
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $WORK/ssh_host_ed25519_key
PidFile $WORK/sshd.pid
LogLevel INFO
UsePAM no
PermitRootLogin no
AllowUsers $BENCH_USER
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
UseDNS no
# OpenSSH's defaults for everything that shapes performance (ciphers, Compression, MaxStartups, MaxSessions).
Subsystem sftp internal-sftp -d $WORK/srv
EOF
chmod 600 "$SSHD_CONF"
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$SSHD_CONF" || die "sshd -t: the generated config is invalid"
/usr/sbin/sshd -f "$SSHD_CONF" -E "$WORK/sshd.log" </dev/null || die "sshd did not start: $(tail -5 "$WORK/sshd.log")"
for _ in $(seq 100); do [[ -s $WORK/sshd.pid ]] && break; sleep 0.1; done
SSHD_PID=$(cat "$WORK/sshd.pid" 2>/dev/null) || die "sshd wrote no PidFile: $(tail -5 "$WORK/sshd.log")"
sftp_ready=no
for _ in $(seq 100); do
	if echo 'ls /' | timeout 10 sftp -q -i "$WORK/client_ed25519" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes -P "$SFTP_PORT" -b - \
		"$BENCH_USER@127.0.0.1" >/dev/null 2>&1; then
		sftp_ready=yes
		break
	fi
	sleep 0.1
done
[[ $sftp_ready == yes ]] || die "sftp to sshd on 127.0.0.1:$SFTP_PORT fails: $(tail -5 "$WORK/sshd.log")"
log "$(ssh -V 2>&1 | cut -d, -f1) sshd (pid $SSHD_PID) on 127.0.0.1:$SFTP_PORT, internal-sftp, host key $SFTP_FINGERPRINT"

# --- 4. measurements -------------------------------------------------------------------------------------
BENCH_WORK=$WORK BENCH_FTP_PORT=$FTP_PORT BENCH_FTP_USER=$BENCH_USER \
	BENCH_FTP_PASSWORD=$BENCH_PASSWORD BENCH_VSFTPD_PID=$VSFTPD_PID \
	BENCH_SFTP_PORT=$SFTP_PORT BENCH_SSHD_PID=$SSHD_PID BENCH_SFTP_FINGERPRINT=$SFTP_FINGERPRINT \
	node "$REPO/.cache/bench/bench/run.js"
