#!/usr/bin/env bash
# Real SFTP servers on loopback for interop testing: OpenSSH's sshd (internal-sftp) in four
# configurations and ProFTPD 1.3.8's mod_sftp, side by side, on free high ports of 127.0.0.1.
#
#   scripts/sftp-servers.sh install     # once per machine (root, Debian 12); quick when already done
#   scripts/sftp-servers.sh start DIR   # DIR: a fresh folder; writes DIR/sftp-servers.json, keys, logs
#   scripts/sftp-servers.sh stop DIR    # stops exactly the processes that `start DIR` recorded
#   scripts/sftp-servers.sh check DIR [NAME...]  # end-to-end checks with curl (libssh2) and sftp -b
#
# Instances: openssh, proftpd-sftp, openssh-keyonly (publickey only), openssh-nosftp (no sftp
# subsystem), openssh-legacy (diffie-hellman-group14-sha1, ssh-rsa, aes128-cbc, hmac-sha1 only).
# See test/interop/README.md for the sftp-servers.json format and what was verified.
#
# Environment:
#   FTP_INTEROP_CACHE      where ProFTPD is unpacked (default /var/cache/ftp-interop; shared with
#                          scripts/ftp-servers.sh, which unpacks the same packages)
#   SFTP_INTEROP_USER      test user (default sftpinterop); a local account, also ProFTPD's virtual user
#   SFTP_INTEROP_PASSWORD  its password (default interop-Sftp-1)
#   SFTP_INTEROP_TIMEOUT   seconds to wait for each server's SSH banner (default 20)
set -euo pipefail
SCRIPT_NAME="sftp-servers.sh"
# shellcheck source=scripts/lib/loopback-servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/loopback-servers.sh"

CACHE="${FTP_INTEROP_CACHE:-/var/cache/ftp-interop}"
TEST_USER="${SFTP_INTEROP_USER:-sftpinterop}"
TEST_PASSWORD="${SFTP_INTEROP_PASSWORD:-interop-Sftp-1}"
# Passphrase of the generated ed25519 client key (a test secret like the password).
KEY_PASSPHRASE="interop-Key-Passphrase-1"
# The account's home in /etc/passwd. Nobody lands there: sshd's internal-sftp starts in the
# instance's data folder (`-d`), ProFTPD's virtual user has its own home. It stays empty.
TEST_HOME=/var/lib/sftp-interop-home
START_TIMEOUT="${SFTP_INTEROP_TIMEOUT:-20}"
PROFTPD_DIR="$CACHE/proftpd"
SSHD=/usr/sbin/sshd

APT_PACKAGES=(openssh-server openssh-client sshpass curl openssl python3 putty-tools
  libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23)
# Downloaded and unpacked, not installed (they conflict with vsftpd): see scripts/ftp-servers.sh.
DOWNLOADED_PACKAGES=(proftpd-core proftpd-mod-crypto)

INSTANCES=(openssh proftpd-sftp openssh-keyonly openssh-nosftp openssh-legacy)



require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (useradd, chpasswd, sshd and proftpd need it)"
}


# ---------------------------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------------------------


proftpd_unpacked() {
  [[ -x "$PROFTPD_DIR/usr/sbin/proftpd" && -f "$PROFTPD_DIR/usr/lib/proftpd/mod_sftp.so" ]]
}

# The same download and unpacking as scripts/ftp-servers.sh, for ProFTPD only (that script
# re-does it with pure-ftpd when it finds pure-ftpd missing).
download_and_unpack_proftpd() {
  local debs="$CACHE/debs-sftp" pkg deb
  rm -rf "$debs"
  mkdir -p "$debs"
  # APT::Sandbox::User=root: the _apt user cannot write into a root-owned cache folder.
  (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${DOWNLOADED_PACKAGES[@]}")
  rm -rf "$PROFTPD_DIR"
  for pkg in "${DOWNLOADED_PACKAGES[@]}"; do
    for deb in "$debs/${pkg}"_*.deb; do dpkg-deb -x "$deb" "$PROFTPD_DIR"; done
  done
  rm -rf "$debs"
}

# One local account: sshd authenticates it from /etc/shadow (UsePAM no) and ProFTPD's virtual
# user of the same name gets its uid/gid, so every uploaded file on disk has the same owner.
# Shell /usr/sbin/nologin: internal-sftp runs inside sshd without the shell, and the account
# cannot run commands (openssh-nosftp is then an account without SFTP and without a shell).
ensure_test_user() {
  if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir "$TEST_HOME" --shell /usr/sbin/nologin \
      --user-group --comment "SFTP interop test user" "$TEST_USER"
  fi
  mkdir -p "$(getent passwd "$TEST_USER" | cut -d: -f6)"
  echo "$TEST_USER:$TEST_PASSWORD" | chpasswd
}

cmd_install() {
  require_root
  if apt_packages_missing; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${APT_PACKAGES[@]}"
  fi
  proftpd_unpacked || download_and_unpack_proftpd
  ensure_test_user
  echo "sftp-servers.sh: installed: openssh-server $(dpkg-query -W -f='${Version}' openssh-server)," \
    "$("$PROFTPD_DIR/usr/sbin/proftpd" -v 2>&1) (mod_sftp)," \
    "$(curl -V | head -1 | grep -o 'libssh2/[^ ]*')," \
    "sshpass $(dpkg-query -W -f='${Version}' sshpass)"
}

# ---------------------------------------------------------------------------------------------
# start helpers
# ---------------------------------------------------------------------------------------------

# Prints COUNT ports that are free on 127.0.0.1 right now, one per line, below 32768 so that
# the kernel's ephemeral ports (used by clients) do not collide with them.
find_free_ports() {
  python - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 32767 - count)
    socks = []
    try:
        for port in range(base, base + count):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    for port in range(base, base + count):
        print(port)
    sys.exit(0)
sys.exit("no block of %d free ports found" % count)
EOF
}

# Connects once and prints the server's SSH identification string; fails otherwise.
read_banner() { # PORT
  python - "$1" <<'EOF'
import socket, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
line = sock.makefile("rb").readline().decode("utf-8", "replace").strip()
# Say goodbye with an identification of our own: sshd then logs a clean disconnect.
try:
    sock.sendall(b"SSH-2.0-sftp-servers.sh-banner-check\r\n")
except OSError:
    pass
sock.close()
if not line.startswith("SSH-2.0-"):
    sys.exit("unexpected identification: %r" % line)
print(line)
EOF
}




# Waits until the server sends its SSH identification; on failure shows its logs and exits 1.
wait_for_banner() { # NAME PID PORT LOG...
  local name=$1 pid=$2 port=$3 deadline banner err=""
  shift 3
  deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null || [[ $(process_state "$pid") == Z ]]; then
      err="process $pid exited"
      break
    fi
    if banner=$(read_banner "$port" 2>&1); then
      echo "$name (pid $pid) on 127.0.0.1:$port: $banner"
      return 0
    fi
    err=$banner
    sleep 0.2
  done
  echo "sftp-servers.sh: $name did not start on 127.0.0.1:$port: ${err:-timeout}" >&2
  local log
  for log in "$@"; do
    [[ -s "$log" ]] && { echo "---- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

# The host key as a client sees it on the network, as "TYPE FINGERPRINT": ssh-keyscan piped into
# ssh-keygen -lf -, exactly as users are told to do it. ssh-keyscan offers only OpenSSH's default
# algorithms, so for openssh-legacy the key is taken from what ssh (with the legacy algorithms
# enabled) writes into a fresh known_hosts file instead.
network_host_key() { # PORT [legacy]
  local port=$1 legacy=${2:-} line known fp
  if [[ -z "$legacy" ]]; then
    line=$(ssh-keyscan -T 5 -p "$port" 127.0.0.1 2>/dev/null | grep -v '^#' | head -1) || true
  else
    known=$(mktemp)
    ssh -F /dev/null -p "$port" -oBatchMode=yes -oStrictHostKeyChecking=accept-new \
      -oUserKnownHostsFile="$known" -oGlobalKnownHostsFile=/dev/null -oHashKnownHosts=no \
      -oPreferredAuthentications=none,password -oPasswordAuthentication=no \
      -oConnectTimeout=5 "${LEGACY_CLIENT_OPTIONS[@]}" "$TEST_USER@127.0.0.1" true \
      </dev/null >/dev/null 2>&1 || true
    line=$(grep -v '^#' "$known" | head -1) || true
    rm -f "$known"
  fi
  [[ -n "$line" ]] || return 1
  fp=$(ssh-keygen -lf - <<<"$line" | awk '{ print $2 }')
  echo "$(awk '{ print $2 }' <<<"$line") $fp"
}

# Client options that let OpenSSH 9.2's ssh/sftp talk to openssh-legacy.
LEGACY_CLIENT_OPTIONS=(-oKexAlgorithms=+diffie-hellman-group14-sha1 -oHostKeyAlgorithms=+ssh-rsa
  -oCiphers=+aes128-cbc -oMACs=+hmac-sha1)

# Rows of sftp-servers.json, one per line (tab separated):
# name server port dataDir homeDirectory hostKeyType hostKeyFingerprint pid config log
# passwordAuth sftp legacy
add_instance() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RUN_DIR/instances.tsv"
}

# Where the user lands: DIR/NAME/data, owned by the test user (so it may create, rename and
# delete there); DIR/NAME itself belongs to root.
make_data_dir() { # NAME
  mkdir -p "$RUN_DIR/$1/data"
  chmod 755 "$RUN_DIR/$1"
  chown "$TEST_USER:$TEST_USER" "$RUN_DIR/$1/data"
  chmod 755 "$RUN_DIR/$1/data"
}

# Fresh client keys: ed25519 (OpenSSH format, with passphrase) and RSA 3072 (PEM, PKCS#1, no
# passphrase), both authorized on every instance: OpenSSH format for sshd, RFC 4716 for ProFTPD.
make_client_keys() {
  local keys="$RUN_DIR/keys"
  mkdir -p "$keys"
  chmod 755 "$keys"
  ssh-keygen -q -t ed25519 -N "$KEY_PASSPHRASE" -C "$TEST_USER-ed25519@sftp-interop" \
    -f "$keys/id_ed25519"
  ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C "$TEST_USER-rsa-pem@sftp-interop" \
    -f "$keys/id_rsa_pem"
  head -1 "$keys/id_rsa_pem" | grep -q '^-----BEGIN RSA PRIVATE KEY-----$' \
    || die "ssh-keygen -m PEM did not write a PKCS#1 key"
  head -1 "$keys/id_ed25519" | grep -q '^-----BEGIN OPENSSH PRIVATE KEY-----$' \
    || die "ssh-keygen did not write an OpenSSH-format ed25519 key"
  chmod 600 "$keys/id_ed25519" "$keys/id_rsa_pem"
  chmod 644 "$keys/id_ed25519.pub" "$keys/id_rsa_pem.pub"
  # sshd reads AuthorizedKeysFile as the user: world-readable, in folders it can traverse.
  cat "$keys/id_ed25519.pub" "$keys/id_rsa_pem.pub" >"$RUN_DIR/authorized_keys"
  { ssh-keygen -e -f "$keys/id_ed25519.pub" && ssh-keygen -e -f "$keys/id_rsa_pem.pub"; } \
    >"$RUN_DIR/authorized_keys.rfc4716"
  chmod 644 "$RUN_DIR/authorized_keys" "$RUN_DIR/authorized_keys.rfc4716"
}

# ---------------------------------------------------------------------------------------------
# OpenSSH: one sshd per instance, in the foreground (-D) so that $! is the listener's PID.
# ---------------------------------------------------------------------------------------------

start_sshd() { # NAME PORT
  local name=$1 port=$2 base="$RUN_DIR/$1" pid keytype=ed25519 password=yes sftp=true
  local hostkey legacy=false conf="$RUN_DIR/$1/sshd_config" log="$RUN_DIR/$1/sshd.log" net expected
  make_data_dir "$name"
  [[ $name == openssh-legacy ]] && keytype=rsa legacy=true
  [[ $name == openssh-keyonly ]] && password=no
  [[ $name == openssh-nosftp ]] && sftp=false
  if [[ $keytype == rsa ]]; then
    ssh-keygen -q -t rsa -b 3072 -N '' -C "$name host key" -f "$base/hostkey_rsa"
    hostkey="$base/hostkey_rsa"
  else
    ssh-keygen -q -t ed25519 -N '' -C "$name host key" -f "$base/hostkey_ed25519"
    hostkey="$base/hostkey_ed25519"
  fi
  {
    cat <<EOF
# $name: generated by scripts/sftp-servers.sh
Port $port
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $hostkey
PidFile $base/sshd.pid
LogLevel VERBOSE
UsePAM no
PermitRootLogin no
AllowUsers $TEST_USER
PasswordAuthentication $password
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $RUN_DIR/authorized_keys
# The keys and folders live in a temp folder whose owner and modes sshd would otherwise check.
StrictModes no
# Loopback test servers: no forwarding of any kind, no agent, no X11.
AllowTcpForwarding no
AllowStreamLocalForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
UseDNS no
# MaxStartups and MaxSessions stay at OpenSSH's defaults (10:30:100 and 10) on purpose: the
# node's concurrency must cope with them.
EOF
    if $sftp; then
      echo "# internal-sftp runs inside sshd (the account's shell is nologin); -d: start in the data folder."
      echo "Subsystem sftp internal-sftp -d $base/data"
    else
      echo "# No Subsystem sftp line: an account without SFTP (the subsystem request fails)."
    fi
    if $legacy; then
      cat <<'EOF'
# An old server: only algorithms that OpenSSH's client no longer offers by default.
KexAlgorithms diffie-hellman-group14-sha1
HostKeyAlgorithms ssh-rsa
PubkeyAcceptedAlgorithms +ssh-rsa
Ciphers aes128-cbc
MACs hmac-sha1
EOF
    fi
  } >"$conf"
  chmod 644 "$conf"
  # sshd's privilege separation folder (also for -t); /run/sshd exists only when the system's
  # sshd ran.
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  "$SSHD" -t -f "$conf" >"$base/sshd-t.log" 2>&1 \
    || { cat "$base/sshd-t.log" >&2; die "sshd -t rejects $conf"; }
  # -D: stay in the foreground (the listener is $!); -E: log to a file instead of syslog.
  setsid "$SSHD" -D -f "$conf" -E "$log" </dev/null >"$base/sshd.stderr" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for_banner "$name" "$pid" "$port" "$log" "$base/sshd.stderr"
  expected=$(ssh-keygen -lf "$hostkey.pub" | awk '{ print $2 }')
  if $legacy; then net=$(network_host_key "$port" legacy) || true; else net=$(network_host_key "$port") || true; fi
  [[ -n "$net" ]] || die "$name: could not read its host key over the network"
  [[ ${net#* } == "$expected" ]] \
    || die "$name: host key on the network ($net) is not $hostkey.pub ($expected)"
  add_instance "$name" openssh "$port" "$base/data" "$base/data" "${net%% *}" "$expected" \
    "$pid" "$conf" "$log" "$([[ $password == yes ]] && echo true || echo false)" "$sftp" "$legacy"
}

# ---------------------------------------------------------------------------------------------
# ProFTPD mod_sftp: the unpacked ProFTPD 1.3.8 in the foreground (-n); a virtual user jailed in
# its data folder (DefaultRoot), so the client sees that folder as "/".
# ---------------------------------------------------------------------------------------------

start_proftpd_sftp() { # PORT
  local name=proftpd-sftp port=$1 base="$RUN_DIR/proftpd-sftp" pid hash uid gid net expected
  local conf="$RUN_DIR/proftpd-sftp/proftpd.conf" log="$RUN_DIR/proftpd-sftp/proftpd.log"
  make_data_dir "$name"
  uid=$(id -u "$TEST_USER")
  gid=$(id -g "$TEST_USER")
  # mod_sftp reads PEM host keys (RSA here); it refuses a key file readable by others.
  ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C "$name host key" -f "$base/hostkey_rsa"
  chmod 600 "$base/hostkey_rsa"
  hash=$(openssl passwd -6 "$TEST_PASSWORD")
  echo "$TEST_USER:$hash:$uid:$gid::$base/data:/usr/sbin/nologin" >"$base/proftpd.passwd"
  chmod 600 "$base/proftpd.passwd"
  cat >"$conf" <<EOF
# $name: generated by scripts/sftp-servers.sh
ServerName "proftpd mod_sftp interop"
ServerType standalone
ModulePath $PROFTPD_DIR/usr/lib/proftpd
# mod_sftp needs only libcrypto and libsodium, not mod_tls.
LoadModule mod_sftp.c
DefaultAddress 127.0.0.1
SocketBindTight on
Port $port
User nobody
Group nogroup
UseIPv6 off
UseReverseDNS off
WtmpLog off
PidFile $base/proftpd.pid
ScoreboardFile $base/proftpd.scoreboard
DelayTable $base/proftpd.delay
TransferLog $base/proftpd-xfer.log
ExtendedLog $base/proftpd-commands.log ALL

AuthUserFile $base/proftpd.passwd
AuthOrder mod_auth_file.c mod_auth_unix.c
RequireValidShell off
DefaultRoot ~
Umask 022
AllowOverwrite on

SFTPEngine on
SFTPLog $base/sftp.log
SFTPHostKey $base/hostkey_rsa
SFTPAuthMethods publickey password
SFTPAuthorizedUserKeys file:$RUN_DIR/authorized_keys.rfc4716
SFTPCompression delayed
# Debian's build looks for /etc/proftpd/blacklist.dat (not unpacked) on every key login.
SFTPKeyBlacklist none
EOF
  chmod 644 "$conf"
  # -n: foreground, and the system log goes to stderr (so into proftpd.log).
  setsid "$PROFTPD_DIR/usr/sbin/proftpd" -n -c "$conf" </dev/null >"$log" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for_banner "$name" "$pid" "$port" "$log" "$base/sftp.log"
  expected=$(ssh-keygen -lf "$base/hostkey_rsa.pub" | awk '{ print $2 }')
  net=$(network_host_key "$port") || die "$name: could not read its host key over the network"
  [[ ${net#* } == "$expected" ]] \
    || die "$name: host key on the network ($net) is not $base/hostkey_rsa.pub ($expected)"
  add_instance "$name" proftpd "$port" "$base/data" / "${net%% *}" "$expected" "$pid" "$conf" \
    "$base/sftp.log" true true false
}

write_json() {
  TEST_USER="$TEST_USER" TEST_PASSWORD="$TEST_PASSWORD" KEY_PASSPHRASE="$KEY_PASSPHRASE" \
    python - "$RUN_DIR" >"$RUN_DIR/sftp-servers.json" <<'EOF'
import json, os, sys
run = sys.argv[1]
instances = []
for line in open(os.path.join(run, "instances.tsv")):
    (name, server, port, data, home, ktype, fp, pid, conf, log,
     password, sftp, legacy) = line.rstrip("\n").split("\t")
    instances.append({
        "name": name, "server": server, "host": "127.0.0.1", "port": int(port),
        "username": os.environ["TEST_USER"], "password": os.environ["TEST_PASSWORD"],
        "dataDir": data, "homeDirectory": home,
        "hostKeyType": ktype, "hostKeyFingerprint": fp, "pid": int(pid),
        "passwordAuthentication": password == "true", "sftpSubsystem": sftp == "true",
        "legacyAlgorithmsOnly": legacy == "true",
        "config": conf, "log": log})
keys = os.path.join(run, "keys")
json.dump({
    "instances": instances,
    "keys": {
        "ed25519": {"privateKeyFile": os.path.join(keys, "id_ed25519"),
                    "publicKeyFile": os.path.join(keys, "id_ed25519.pub"),
                    "passphrase": os.environ["KEY_PASSPHRASE"]},
        "rsaPem": {"privateKeyFile": os.path.join(keys, "id_rsa_pem"),
                   "publicKeyFile": os.path.join(keys, "id_rsa_pem.pub")},
    },
}, sys.stdout, indent=2)
print()
EOF
}

cmd_start() {
  require_root
  [[ -n "${1:-}" ]] || die "usage: $0 start DIR"
  RUN_DIR=$(realpath -m "$1")
  # Paths go unquoted into sshd_config (Subsystem arguments split on blanks).
  [[ $RUN_DIR != *[[:space:]]* ]] || die "DIR must not contain blanks: $RUN_DIR"
  mkdir -p "$RUN_DIR"
  [[ ! -e "$RUN_DIR/sftp-servers.json" && ! -e "$RUN_DIR/pids" ]] \
    || die "$RUN_DIR already holds a run; stop it and use a fresh folder"
  if [[ ! -x $SSHD ]] || ! proftpd_unpacked || ! command -v sshpass >/dev/null; then
    die "servers not installed: run '$0 install' first"
  fi
  ensure_test_user
  # The servers' unprivileged processes (the test user, nobody) must reach the folders below DIR;
  # mktemp -d creates it 0700.
  chmod 755 "$RUN_DIR"
  : >"$RUN_DIR/pids"
  : >"$RUN_DIR/instances.tsv"
  make_client_keys

  local ports
  mapfile -t ports < <(find_free_ports ${#INSTANCES[@]})
  ((${#ports[@]} == ${#INSTANCES[@]})) || die "no free ports on 127.0.0.1"

  # A failure below exits non-zero; stop what already started first.
  trap 'echo "sftp-servers.sh: start failed; stopping what was started" >&2; stop_pids' EXIT
  start_sshd openssh "${ports[0]}"
  start_proftpd_sftp "${ports[1]}"
  start_sshd openssh-keyonly "${ports[2]}"
  start_sshd openssh-nosftp "${ports[3]}"
  start_sshd openssh-legacy "${ports[4]}"
  trap - EXIT
  write_json
  rm -f "$RUN_DIR/instances.tsv"
  echo "servers: $RUN_DIR/sftp-servers.json"
}

# ---------------------------------------------------------------------------------------------
# stop
# ---------------------------------------------------------------------------------------------



# ---------------------------------------------------------------------------------------------
# check: end-to-end checks of every instance in DIR/sftp-servers.json with curl's SFTP (libssh2)
# and OpenSSH's sftp -b. Some checks must fail (the keyonly instance refuses passwords, the
# nosftp instance has no SFTP): those pass when they fail.
# ---------------------------------------------------------------------------------------------

CHECK_FAILURES=0

report() { # ok|FAIL|info LABEL [DETAIL]
  if [[ $1 == FAIL ]]; then CHECK_FAILURES=$((CHECK_FAILURES + 1)); fi
  printf '  %-5s %s%s\n' "$1" "$2" "${3:+: $3}"
}

# Runs CMD..., expecting success (want=ok) or failure (want=fail); reports LABEL.
expect() { # ok|fail LABEL CMD...
  local want=$1 label=$2 out rc=0
  shift 2
  out=$("$@" 2>&1 | tr -d '\r') || rc=$?
  local last
  last=$( (grep -v '^\s*$' <<<"$out" || true) | (grep -v '^sftp> ' || true) | tail -n 3 \
    | paste -sd ' ' | cut -c1-240)
  if [[ $want == ok && $rc -eq 0 ]]; then
    report ok "$label"
  elif [[ $want == fail && $rc -ne 0 ]]; then
    report ok "$label fails, as expected" "exit $rc: $last"
  elif [[ $want == ok ]]; then
    report FAIL "$label" "exit $rc: $last"
  else
    report FAIL "$label succeeded, but must fail" "$last"
  fi
}

# Runs CMD... and reports only what happened (a client limitation, not a server property).
observe() { # LABEL CMD...
  local label=$1 out rc=0 last
  shift
  out=$("$@" 2>&1) || rc=$?
  last=$(grep -v '^\s*$' <<<"$out" | tail -n 1 | cut -c1-200 || true)
  if ((rc == 0)); then report info "$label" "works"; else report info "$label" "fails ($last)"; fi
}

sha() { sha256sum "$1" | awk '{ print $1 }'; }

# curl: upload with the password, download again, compare both with the source and the file on disk.
curl_round() { # PORT HOME DATA NAME [CURL_AUTH...]
  local port=$1 home=$2 data=$3 name=$4 remote
  shift 4
  remote="${home%/}/$name"
  curl -sS --fail -k --connect-timeout 10 --max-time 60 "$@" -T "$WORK/source.bin" \
    "sftp://127.0.0.1:$port$remote" || return 1
  curl -sS --fail -k --connect-timeout 10 --max-time 60 "$@" -o "$WORK/$name.down" \
    "sftp://127.0.0.1:$port$remote" || return 1
  [[ $(sha "$WORK/$name.down") == "$SOURCE_SHA" ]] || { echo "downloaded sha256 differs"; return 1; }
  [[ $(sha "$data/$name") == "$SOURCE_SHA" ]] || { echo "file on disk differs"; return 1; }
  rm -f "$data/$name" "$WORK/$name.down"
}

# OpenSSH's sftp in batch mode with one key: pwd (must be the homeDirectory), put, get, rm.
# BatchMode=no before -b: sftp -b sets BatchMode=yes, which would forbid asking for the passphrase;
# the passphrase comes from SSH_ASKPASS (forced, so no terminal is needed).
sftp_round() { # PORT HOME DATA NAME KEYFILE PASSPHRASE [SSH_OPTIONS...]
  local port=$1 home=$2 data=$3 name=$4 key=$5 passphrase=$6 out
  shift 6
  printf 'pwd\nput %s %s\nget %s %s\nrm %s\n' "$WORK/source.bin" "$name" "$name" \
    "$WORK/$name.down" "$name" >"$WORK/$name.batch"
  out=$(SSH_ASKPASS="$WORK/askpass" SSH_ASKPASS_REQUIRE=force SFTP_CHECK_SECRET="$passphrase" \
    DISPLAY=none sftp -F /dev/null -oBatchMode=no -b "$WORK/$name.batch" -P "$port" \
    -oIdentityFile="$key" -oIdentitiesOnly=yes -oIdentityAgent=none \
    -oPreferredAuthentications=publickey -oStrictHostKeyChecking=no \
    -oUserKnownHostsFile=/dev/null -oLogLevel=ERROR -oConnectTimeout=10 "$@" \
    "$TEST_USER@127.0.0.1" </dev/null 2>&1) || { echo "$out"; return 1; }
  grep -qx "Remote working directory: $home" <<<"$out" \
    || { echo "pwd is not $home: $(grep 'Remote working' <<<"$out")"; return 1; }
  [[ $(sha "$WORK/$name.down") == "$SOURCE_SHA" ]] || { echo "downloaded sha256 differs"; return 1; }
  [[ ! -e "$data/$name" ]] || { echo "rm left $data/$name"; return 1; }
  rm -f "$WORK/$name.down"
}

# ssh with the password (through sshpass) running `true`: the nologin shell answers with exit 1,
# which shows that authentication and the session worked (255 would be an SSH failure).
ssh_session() { # PORT
  local rc=0
  SSHPASS="$TEST_PASSWORD" sshpass -e ssh -F /dev/null -p "$1" -oPreferredAuthentications=password \
    -oPubkeyAuthentication=no -oStrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null \
    -oLogLevel=ERROR -oConnectTimeout=10 "$TEST_USER@127.0.0.1" true </dev/null || rc=$?
  [[ $rc -eq 1 ]] || { echo "ssh exit $rc (expected 1 from nologin)"; return 1; }
}

# The authentication methods the server offers, from ssh -v after the "none" method.
offered_methods() { # PORT [SSH_OPTIONS...]
  local port=$1
  shift
  ssh -v -F /dev/null -p "$port" -oBatchMode=yes -oPreferredAuthentications=none \
    -oStrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -oConnectTimeout=10 "$@" \
    "$TEST_USER@127.0.0.1" true </dev/null 2>&1 \
    | tr -d '\r' | sed -n 's/^debug1: Authentications that can continue: //p' | head -1
}

# The SFTP version and extensions the server announces (sftp -vv prints them at debug2).
sftp_extensions() { # PORT KEYFILE [SSH_OPTIONS...]
  local port=$1 key=$2 out
  shift 2
  out=$(sftp -vv -F /dev/null -b /dev/null -P "$port" -oIdentityFile="$key" -oIdentitiesOnly=yes \
    -oIdentityAgent=none -oPreferredAuthentications=publickey -oStrictHostKeyChecking=no \
    -oUserKnownHostsFile=/dev/null -oConnectTimeout=10 "$@" "$TEST_USER@127.0.0.1" </dev/null 2>&1 \
    | tr -d '\r') || true
  printf 'version %s; %s' \
    "$(sed -n 's/^debug2: Remote version: //p' <<<"$out" | head -1)" \
    "$(sed -n 's/^debug2: Server supports extension "\([^"]*\)".*/\1/p' <<<"$out" | paste -sd ' ')"
}

cmd_check() {
  [[ -n "${1:-}" ]] || die "usage: $0 check DIR [NAME...]"
  local dir
  dir=$(realpath -m "$1")
  shift
  [[ -f "$dir/sftp-servers.json" ]] || die "no $dir/sftp-servers.json: run '$0 start $dir' first"
  command -v sshpass >/dev/null || die "sshpass missing: run '$0 install' first"
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  # shellcheck disable=SC2016 # $SFTP_CHECK_SECRET belongs to the askpass script.
  printf '#!/bin/sh\nprintf "%%s\\n" "$SFTP_CHECK_SECRET"\n' >"$WORK/askpass"
  chmod 700 "$WORK/askpass"
  head -c 300000 /dev/urandom >"$WORK/source.bin"
  SOURCE_SHA=$(sha "$WORK/source.bin")

  local rows name port home data ed_key ed_pass rsa_key legacy_opts want
  rows=$(python - "$dir/sftp-servers.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
k = d["keys"]
print("\t".join([k["ed25519"]["privateKeyFile"], k["ed25519"]["passphrase"], k["rsaPem"]["privateKeyFile"]]))
for i in d["instances"]:
    print("\t".join([i["name"], str(i["port"]), i["homeDirectory"], i["dataDir"], i["username"], i["password"]]))
EOF
  )
  IFS=$'\t' read -r ed_key ed_pass rsa_key <<<"$(head -1 <<<"$rows")"
  while IFS=$'\t' read -r name port home data TEST_USER TEST_PASSWORD; do
    if (($# > 0)) && ! printf '%s\n' "$@" | grep -qx -- "$name"; then continue; fi
    echo "== $name (127.0.0.1:$port, home $home, on disk $data)"
    legacy_opts=()
    [[ $name == openssh-legacy ]] && legacy_opts=("${LEGACY_CLIENT_OPTIONS[@]}")
    report info "banner" "$(read_banner "$port" 2>&1)"
    report info "authentication methods offered" \
      "$(offered_methods "$port" "${legacy_opts[@]}")"
    [[ $name == openssh-nosftp ]] \
      || report info "SFTP" "$(sftp_extensions "$port" "$rsa_key" "${legacy_opts[@]}")"
    want=ok
    [[ $name == openssh-keyonly || $name == openssh-nosftp ]] && want=fail
    expect "$want" "curl (libssh2) password upload+download, sha256" \
      curl_round "$port" "$home" "$data" "curl-pw-$$.bin" -u "$TEST_USER:$TEST_PASSWORD"
    want=ok
    [[ $name == openssh-nosftp ]] && want=fail
    expect "$want" "curl (libssh2) ed25519 key with passphrase upload+download, sha256" \
      curl_round "$port" "$home" "$data" "curl-ed-$$.bin" -u "$TEST_USER:" \
      --key "$ed_key" --pubkey "$ed_key.pub" --pass "$ed_pass"
    # libssh2 1.10 (Debian 12's curl) signs with RSA only as ssh-rsa (SHA-1), which OpenSSH >= 8.8
    # refuses unless PubkeyAcceptedAlgorithms adds it (openssh-legacy does; ProFTPD accepts it).
    observe "curl (libssh2) RSA PEM key upload+download" \
      curl_round "$port" "$home" "$data" "curl-rsa-$$.bin" -u "$TEST_USER:" \
      --key "$rsa_key" --pubkey "$rsa_key.pub"
    expect "$want" "sftp -b ed25519 key with passphrase: pwd, put, get, rm" \
      sftp_round "$port" "$home" "$data" "sftp-ed-$$.bin" "$ed_key" "$ed_pass" "${legacy_opts[@]}"
    expect "$want" "sftp -b RSA PEM key: pwd, put, get, rm" \
      sftp_round "$port" "$home" "$data" "sftp-rsa-$$.bin" "$rsa_key" "" "${legacy_opts[@]}"
    case $name in
      openssh-nosftp)
        expect ok "ssh with the password: authenticated, shell is nologin (exit 1)" \
          ssh_session "$port"
        ;;
      openssh-legacy)
        expect fail "sftp -b without the legacy client options" \
          sftp_round "$port" "$home" "$data" "sftp-modern-$$.bin" "$rsa_key" ""
        ;;
    esac
  done < <(tail -n +2 <<<"$rows")
  ((CHECK_FAILURES == 0)) || { echo "$CHECK_FAILURES check(s) failed"; exit 1; }
  echo "all checks passed"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  check) shift; cmd_check "$@" ;;
  *) usage ;;
esac
