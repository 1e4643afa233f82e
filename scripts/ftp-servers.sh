#!/usr/bin/env bash
# Real FTP servers on loopback for interop testing: vsftpd 3.0.3, ProFTPD 1.3.8 (mod_tls) and
# pure-ftpd 1.0.50, side by side, on free high ports of 127.0.0.1.
#
#   scripts/ftp-servers.sh install     # once per machine (root, Debian 12); quick when already done
#   scripts/ftp-servers.sh start DIR   # DIR: a fresh folder; writes DIR/servers.json, logs, configs
#   scripts/ftp-servers.sh stop DIR    # stops exactly the processes that `start DIR` recorded
#   scripts/ftp-servers.sh check DIR [NAME...]  # end-to-end checks with Python's ftplib
#   scripts/ftp-servers.sh start-special DIR NAME...  # extra single-purpose vsftpd instances
#                          (TLS failures, NAT, Latin-1); writes DIR/special.json; `stop DIR` stops them
#
# See test/interop/README.md for the servers.json format and what was verified per server.
#
# Environment:
#   FTP_INTEROP_CACHE     where ProFTPD and pure-ftpd are unpacked (default /var/cache/ftp-interop)
#   FTP_INTEROP_USER      test user (default ftpinterop); one local account, also the virtual users
#   FTP_INTEROP_PASSWORD  its password (default interop-Pass-1)
#   FTP_INTEROP_PASV      passive ports per server (default 20)
#   FTP_INTEROP_TIMEOUT   seconds to wait for each server's banner (default 20)
set -euo pipefail
SCRIPT_NAME="ftp-servers.sh"
# shellcheck source=scripts/lib/loopback-servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/loopback-servers.sh"

CACHE="${FTP_INTEROP_CACHE:-/var/cache/ftp-interop}"
TEST_USER="${FTP_INTEROP_USER:-ftpinterop}"
TEST_PASSWORD="${FTP_INTEROP_PASSWORD:-interop-Pass-1}"
PASV_COUNT="${FTP_INTEROP_PASV:-20}"
TEST_HOME=/var/lib/ftp-interop-home
START_TIMEOUT="${FTP_INTEROP_TIMEOUT:-20}"

# ProFTPD and pure-ftpd conflict with vsftpd as Debian packages (all "Provide: ftp-server"), so
# they are downloaded and unpacked here instead of installed.
PROFTPD_DIR="$CACHE/proftpd"
PUREFTPD_DIR="$CACHE/pure-ftpd"
DOWNLOADED_PACKAGES=(proftpd-core proftpd-mod-crypto pure-ftpd)
# vsftpd, the tools this script uses, and the libraries the unpacked proftpd needs.
APT_PACKAGES=(vsftpd openssl python3 util-linux
  libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23)
# vsftpd authenticates local users through PAM. A service of our own lets the test user keep
# /usr/sbin/nologin as shell (Debian's /etc/pam.d/vsftpd runs pam_shells, which rejects it).
PAM_SERVICE=ftp-interop



require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (useradd, PAM, chroot and privileged daemons)"
}


# ---------------------------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------------------------


unpacked() {
  [[ -x "$PROFTPD_DIR/usr/sbin/proftpd" && -f "$PROFTPD_DIR/usr/lib/proftpd/mod_tls.so" \
    && -x "$PUREFTPD_DIR/usr/sbin/pure-ftpd" && -x "$PUREFTPD_DIR/usr/bin/pure-pw" ]]
}

download_and_unpack() {
  local debs="$CACHE/debs" pkg deb
  rm -rf "$debs"
  mkdir -p "$debs"
  # APT::Sandbox::User=root: the _apt user cannot write into a root-owned cache folder.
  (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${DOWNLOADED_PACKAGES[@]}")
  rm -rf "$PROFTPD_DIR" "$PUREFTPD_DIR"
  for pkg in proftpd-core proftpd-mod-crypto; do
    for deb in "$debs/${pkg}"_*.deb; do dpkg-deb -x "$deb" "$PROFTPD_DIR"; done
  done
  for deb in "$debs"/pure-ftpd_*.deb; do dpkg-deb -x "$deb" "$PUREFTPD_DIR"; done
}

ensure_pam_service() {
  local file="/etc/pam.d/$PAM_SERVICE"
  [[ -f "$file" ]] && return 0
  cat >"$file" <<'EOF'
# Written by n8n-nodes-ftp-automation scripts/ftp-servers.sh for its vsftpd test instances.
# Like /etc/pam.d/vsftpd without pam_shells and /etc/ftpusers: the test user's shell is nologin.
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_unix.so
EOF
}

# One local account serves vsftpd (PAM) and gives its uid/gid to the ProFTPD and pure-ftpd
# virtual users, so every uploaded file on disk is owned by the same user.
ensure_test_user() {
  if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir "$TEST_HOME" --shell /usr/sbin/nologin \
      --user-group --comment "FTP interop test user" "$TEST_USER"
  fi
  # vsftpd changes into the home before local_root, so it must exist; it stays empty.
  mkdir -p "$(getent passwd "$TEST_USER" | cut -d: -f6)"
  echo "$TEST_USER:$TEST_PASSWORD" | chpasswd
  getent passwd ftp >/dev/null || die "no 'ftp' user: anonymous FTP needs it (the vsftpd package creates it)"
}

cmd_install() {
  require_root
  if apt_packages_missing; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${APT_PACKAGES[@]}"
  fi
  unpacked || download_and_unpack
  ensure_pam_service
  ensure_test_user
  echo "ftp-servers.sh: installed: vsftpd $(dpkg-query -W -f='${Version}' vsftpd)," \
    "$("$PROFTPD_DIR/usr/sbin/proftpd" -v 2>&1)," \
    "$("$PUREFTPD_DIR/usr/sbin/pure-ftpd" --help 2>&1 | head -1 || true)"
}

# ---------------------------------------------------------------------------------------------
# start helpers
# ---------------------------------------------------------------------------------------------

# Prints the first port of COUNT consecutive ports that are all free on 127.0.0.1 right now.
# Below 32768 so that the kernel's ephemeral ports (used by clients) do not collide with them.
find_free_block() {
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
    print(base)
    sys.exit(0)
sys.exit("no block of %d free ports found" % count)
EOF
}

# Connects once and prints the 220 banner (through TLS for implicit FTPS); fails otherwise.
read_banner() { # PORT implicit|explicit CAFILE
  python - "$1" "$2" "$3" <<'EOF'
import socket, ssl, sys
port, security, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sock = socket.create_connection(("127.0.0.1", port), timeout=5)
if security == "implicit":
    ctx = ssl.create_default_context(cafile=cafile)
    sock = ctx.wrap_socket(sock, server_hostname="localhost")
reader = sock.makefile("rb")
line = reader.readline().decode("utf-8", "replace").strip()
# Multi-line greetings ("220-..." lines) end with "220 ...".
while line[:4] == "220-":
    last = reader.readline().decode("utf-8", "replace").strip()
    if not last or last.startswith("220 "):
        break
# A polite goodbye keeps "connection terminated without SSL shutdown" out of the logs.
sock.sendall(b"QUIT\r\n")
reader.readline()
if security == "implicit":
    try:
        sock.unwrap()
    except (OSError, ValueError):
        pass
sock.close()
if not line.startswith("220"):
    sys.exit("unexpected greeting: %r" % line)
print(line)
EOF
}

# Waits until the server answers with a banner; on failure shows its log and exits non-zero.
wait_for_banner() { # NAME PID PORT SECURITY LOG...
  local name=$1 pid=$2 port=$3 security=$4 deadline banner err=""
  shift 4
  deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null || [[ $(process_state "$pid") == Z ]]; then
      err="process $pid exited"
      break
    fi
    if banner=$(read_banner "$port" "$security" "$RUN_DIR/cert.pem" 2>&1); then
      echo "$name (pid $pid) on 127.0.0.1:$port: $banner"
      return 0
    fi
    err=$banner
    sleep 0.2
  done
  echo "ftp-servers.sh: $name did not start on 127.0.0.1:$port: ${err:-timeout}" >&2
  local log
  for log in "$@"; do
    [[ -s "$log" ]] && { echo "---- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}




# servers.json rows, one per line: name server port security tlsAllowsPlain root anonymousRoot pid
add_server() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"${SERVERS_TSV:-$RUN_DIR/servers.tsv}"
}
# Environment for the vsftpd processes (start-special sets it per instance).
VSFTPD_ENV=()

write_servers_json() {
  TEST_USER="$TEST_USER" TEST_PASSWORD="$TEST_PASSWORD" \
    python - "$RUN_DIR/servers.tsv" "$RUN_DIR/cert.pem" >"$RUN_DIR/servers.json" <<'EOF'
import json, os, sys
rows = []
for line in open(sys.argv[1]):
    name, server, port, security, plain, root, anon, pid = line.rstrip("\n").split("\t")
    rows.append({"name": name, "server": server, "host": "127.0.0.1", "port": int(port),
                 "security": security, "tlsAllowsPlain": plain == "true",
                 "username": os.environ["TEST_USER"], "password": os.environ["TEST_PASSWORD"],
                 "root": root, "anonymousRoot": anon, "pid": int(pid),
                 "caCertificate": sys.argv[2]})
json.dump(rows, sys.stdout, indent=2)
print()
EOF
}

make_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$RUN_DIR/key.pem" -out "$RUN_DIR/cert.pem" -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$RUN_DIR/openssl.log" 2>&1 \
    || { cat "$RUN_DIR/openssl.log" >&2; die "openssl req failed"; }
  chmod 600 "$RUN_DIR/key.pem"
  chmod 644 "$RUN_DIR/cert.pem"
}

# The user's root: writable by the test user. The anonymous root: read-only (owned by root,
# which vsftpd insists on for its chroot), with one file to download.
make_roots() { # NAME -> creates RUN_DIR/NAME/{home,anon}
  local base="$RUN_DIR/$1"
  mkdir -p "$base/home" "$base/anon"
  chown "$TEST_USER:$TEST_USER" "$base/home"
  chmod 755 "$base" "$base/home" "$base/anon"
  echo "anonymous download test file" >"$base/anon/readme.txt"
  chmod 644 "$base/anon/readme.txt"
}

# ---------------------------------------------------------------------------------------------
# vsftpd: one process per port, so explicit and implicit FTPS are two instances.
# ---------------------------------------------------------------------------------------------

start_vsftpd() { # NAME PORT PASV_LOW SECURITY [EXTRA_CONFIG]
  local name=$1 port=$2 low=$3 security=$4 extra=${5:-} implicit=NO plain=true pid
  local conf="$RUN_DIR/$name.conf" log="$RUN_DIR/$name.log" base="$RUN_DIR/$name"
  if [[ $security == implicit ]]; then implicit=YES plain=false; fi
  make_roots "$name"
  mkdir -p "$base/empty"
  cat >"$conf" <<EOF
# $name: generated by scripts/ftp-servers.sh
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
# Stay in the foreground: \$! is then the listener's PID (vsftpd writes no pidfile).
background=NO
# /var/run/vsftpd/empty exists only with systemd; any empty root-owned folder will do.
secure_chroot_dir=$base/empty
pam_service_name=$PAM_SERVICE

local_enable=YES
write_enable=YES
local_umask=022
local_root=$base/home
chroot_local_user=YES
# The chroot is the user's own (writable) root.
allow_writeable_chroot=YES

anonymous_enable=YES
anon_root=$base/anon
no_anon_password=YES

pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$low
pasv_max_port=$((low + PASV_COUNT - 1))
port_enable=YES
connect_from_port_20=NO

ssl_enable=YES
implicit_ssl=$implicit
rsa_cert_file=$RUN_DIR/cert.pem
rsa_private_key_file=$RUN_DIR/key.pem
allow_anon_ssl=YES
# Plain FTP stays allowed on the explicit instance, so clients can be tested both ways.
force_local_logins_ssl=NO
force_local_data_ssl=NO
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
ssl_sslv2=NO
ssl_sslv3=NO
# Default, stated for the reader: data connections must resume the control TLS session.
require_ssl_reuse=YES

xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$log
EOF
  # start-special: lines that override the above (vsftpd keeps the last value of a setting).
  [[ -z "$extra" ]] || printf '\n# start-special overrides\n%s\n' "$extra" >>"$conf"
  # vsftpd refuses a config that is not owned by root or is writable by others.
  chown root:root "$conf"
  chmod 600 "$conf"
  # VSFTPD_ENV (start-special): e.g. OPENSSL_CONF=... for one instance; empty for `start`.
  setsid env "${VSFTPD_ENV[@]}" /usr/sbin/vsftpd "$conf" </dev/null >"$RUN_DIR/$name.stderr" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for_banner "$name" "$pid" "$port" "$security" "$RUN_DIR/$name.stderr" "$log"
  add_server "$name" vsftpd "$port" "$security" "$plain" "$base/home" "$base/anon" "$pid"
}

# ---------------------------------------------------------------------------------------------
# ProFTPD: one process, explicit FTPS on the main server, implicit FTPS on a <VirtualHost>.
# ---------------------------------------------------------------------------------------------

proftpd_server_block() { # NAME PASV_LOW [implicit]
  local base="$RUN_DIR/$1" low=$2
  cat <<EOF
  PassivePorts $low $((low + PASV_COUNT - 1))
  # Virtual user from AuthUserFile, jailed in its root.
  AuthUserFile $RUN_DIR/proftpd.passwd
  AuthOrder mod_auth_file.c mod_auth_unix.c
  RequireValidShell off
  DefaultRoot $base/home
  Umask 022
  AllowOverwrite on
  TLSEngine on
  TLSLog $RUN_DIR/proftpd-tls.log
  TLSProtocol TLSv1.2 TLSv1.3
  TLSRSACertificateFile $RUN_DIR/cert.pem
  TLSRSACertificateKeyFile $RUN_DIR/key.pem
  TLSVerifyClient off
  TLSRenegotiate none
  # Plain FTP allowed on the explicit port. Session reuse for data connections is required by
  # default (no NoSessionReuseRequired option).
  TLSRequired off
${3:+  TLSOptions UseImplicitSSL}
  # The implicit instance shows links as the folders they point to (as IIS junctions and ftp-srv do), so the
  # interop suite meets a real server that hides links; the explicit one shows them as links (the default).
${3:+  ShowSymlinks off}
  <Anonymous $base/anon>
    User ftp
    Group nogroup
    UserAlias anonymous ftp
    RequireValidShell off
    <Limit WRITE>
      DenyAll
    </Limit>
  </Anonymous>
EOF
}

start_proftpd() { # PORT_EXPLICIT PORT_IMPLICIT PASV_LOW_EXPLICIT PASV_LOW_IMPLICIT
  local port_e=$1 port_i=$2 low_e=$3 low_i=$4 pid hash uid gid
  local conf="$RUN_DIR/proftpd.conf" log="$RUN_DIR/proftpd.log"
  make_roots proftpd-explicit
  make_roots proftpd-implicit
  uid=$(id -u "$TEST_USER")
  gid=$(id -g "$TEST_USER")
  hash=$(openssl passwd -6 "$TEST_PASSWORD")
  # passwd(5) format; the home is replaced by DefaultRoot, but must exist.
  echo "$TEST_USER:$hash:$uid:$gid::$RUN_DIR/proftpd-explicit/home:/usr/sbin/nologin" \
    >"$RUN_DIR/proftpd.passwd"
  # Keep the password hash private. an AuthUserFile readable by others.
  chmod 600 "$RUN_DIR/proftpd.passwd"
  {
    cat <<EOF
# generated by scripts/ftp-servers.sh
ServerName "proftpd interop"
ServerType standalone
ModulePath $PROFTPD_DIR/usr/lib/proftpd
LoadModule mod_tls.c
# mod_digest: HASH (with OPTS HASH) and XCRC/XMD5/XSHA1/XSHA256/XSHA512, listed in FEAT, for Verify Checksum.
# DigestEngine and DigestAlgorithms (all) are on by default; the size limit is the one its documentation recommends.
LoadModule mod_digest.c
DigestMaxSize 1 GB
# With SocketBindTight each server binds only its own address:port (DefaultServer is ignored).
DefaultAddress 127.0.0.1
SocketBindTight on
Port $port_e
User nobody
Group nogroup
UseIPv6 off
UseReverseDNS off
WtmpLog off
# Everything a default build would put under /run/proftpd goes into this run's folder.
PidFile $RUN_DIR/proftpd.pid
ScoreboardFile $RUN_DIR/proftpd.scoreboard
DelayTable $RUN_DIR/proftpd.delay
TransferLog $RUN_DIR/proftpd-xfer.log
ExtendedLog $RUN_DIR/proftpd-commands.log ALL
EOF
    proftpd_server_block proftpd-explicit "$low_e"
    echo "<VirtualHost 127.0.0.1>"
    echo "  Port $port_i"
    proftpd_server_block proftpd-implicit "$low_i" implicit
    echo "</VirtualHost>"
  } >"$conf"
  chmod 644 "$conf"
  # -n: foreground, and the system log goes to stderr (so into proftpd.log).
  setsid "$PROFTPD_DIR/usr/sbin/proftpd" -n -c "$conf" </dev/null >"$log" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for_banner proftpd-explicit "$pid" "$port_e" explicit "$log"
  wait_for_banner proftpd-implicit "$pid" "$port_i" implicit "$log" \
    "$RUN_DIR/proftpd-tls.log"
  add_server proftpd-explicit proftpd "$port_e" explicit true \
    "$RUN_DIR/proftpd-explicit/home" "$RUN_DIR/proftpd-explicit/anon" "$pid"
  add_server proftpd-implicit proftpd "$port_i" implicit false \
    "$RUN_DIR/proftpd-implicit/home" "$RUN_DIR/proftpd-implicit/anon" "$pid"
}

# ---------------------------------------------------------------------------------------------
# pure-ftpd: command-line options only; explicit TLS only (no implicit mode).
# ---------------------------------------------------------------------------------------------

start_pureftpd() { # PORT PASV_LOW
  local name=pure-ftpd-explicit port=$1 low=$2 pid uid gid hash
  local base="$RUN_DIR/pure-ftpd-explicit" log="$RUN_DIR/pure-ftpd.log"
  local ftp_home anon_root launcher=()
  make_roots "$name"
  uid=$(id -u "$TEST_USER")
  gid=$(id -g "$TEST_USER")
  # A SHA-512 crypt hash written by hand: `pure-pw useradd` would hash with argon2id, and each
  # login then takes about 5 s.
  hash=$(openssl passwd -6 "$TEST_PASSWORD")
  # Fields: user:hash:uid:gid:gecos:home, then 12 empty limit fields. "/./" marks the chroot.
  echo "$TEST_USER:$hash:$uid:$gid::$base/home/./::::::::::::" >"$RUN_DIR/pureftpd.passwd"
  chmod 600 "$RUN_DIR/pureftpd.passwd"
  "$PUREFTPD_DIR/usr/bin/pure-pw" mkdb "$RUN_DIR/pureftpd.pdb" -f "$RUN_DIR/pureftpd.passwd" \
    >>"$log" 2>&1 || { cat "$log" >&2; die "pure-pw mkdb failed"; }

  # pure-ftpd's anonymous root is always the home of the system user 'ftp' (/srv/ftp). In a
  # private mount namespace that folder is replaced by this run's anon root, so runs stay
  # independent; without CAP_SYS_ADMIN, fall back to the shared home of 'ftp'.
  ftp_home=$(getent passwd ftp | cut -d: -f6)
  anon_root="$base/anon"
  if [[ -d "$ftp_home" ]] && unshare --mount --propagation private true 2>/dev/null; then
    # shellcheck disable=SC2016 # $1, $2 and $@ belong to the inner sh.
    launcher=(unshare --mount --propagation private
      sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$anon_root" "$ftp_home")
  else
    echo "ftp-servers.sh: note: no mount namespace; pure-ftpd serves anonymous from $ftp_home" >&2
    anon_root=$ftp_home
  fi

  # -S bind, -p passive range, -P passive IP, -Y 1 TLS optional, -2 cert,key, -l auth, -A chroot
  # everyone, -H no DNS, -j create home, -O transfer log. Other messages go to syslog only.
  setsid "${launcher[@]}" "$PUREFTPD_DIR/usr/sbin/pure-ftpd" \
    -S "127.0.0.1,$port" -p "$low:$((low + PASV_COUNT - 1))" -P 127.0.0.1 \
    -Y 1 -2 "$RUN_DIR/cert.pem,$RUN_DIR/key.pem" -l "puredb:$RUN_DIR/pureftpd.pdb" \
    -A -H -j -O "clf:$RUN_DIR/pure-ftpd-xfer.log" -g "$RUN_DIR/pure-ftpd.pid" \
    </dev/null >>"$log" 2>&1 &
  pid=$!
  record_pid "$pid"
  wait_for_banner "$name" "$pid" "$port" explicit "$log"
  add_server "$name" pure-ftpd "$port" explicit true "$base/home" "$anon_root" "$pid"
}

# ---------------------------------------------------------------------------------------------
# check: end-to-end checks of every server in DIR/servers.json with Python's ftplib.
# ---------------------------------------------------------------------------------------------

cmd_check() {
  [[ -n "${1:-}" ]] || die "usage: $0 check DIR [NAME...]"
  local dir
  dir=$(realpath -m "$1")
  shift
  [[ -f "$dir/servers.json" ]] || die "no $dir/servers.json: run '$0 start $dir' first"
  python - "$dir/servers.json" "$@" <<'EOF'
import ftplib, hashlib, json, os, socket, ssl, sys, time

class ImplicitFTP_TLS(ftplib.FTP_TLS):
    """Implicit FTPS: TLS from the first byte of the control connection."""
    def connect(self, host="", port=0, timeout=-999, source_address=None):
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        sock = socket.create_connection((host, port), self.timeout)
        self.af = sock.family
        self.sock = self.context.wrap_socket(sock, server_hostname=host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

class Reuse:
    """Data connections resume the control connection's TLS session, as vsftpd and ProFTPD
    require by default. Python's ftplib does not do this by itself."""
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size

class ReuseExplicit(Reuse, ftplib.FTP_TLS): pass
class ReuseImplicit(Reuse, ImplicitFTP_TLS): pass

def context(cafile, version=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx

def connect(srv, mode, version=None, reuse=True):
    """mode: plain | explicit | implicit. Returns a logged-out client."""
    ctx = context(srv["caCertificate"], version)
    if mode == "plain":
        ftp = ftplib.FTP(timeout=10)
    elif mode == "explicit":
        ftp = (ReuseExplicit if reuse else ftplib.FTP_TLS)(context=ctx, timeout=10)
    else:
        ftp = (ReuseImplicit if reuse else ImplicitFTP_TLS)(context=ctx, timeout=10)
    ftp.connect(srv["host"], srv["port"])
    return ftp

def login(ftp, mode, user, password):
    ftp.login(user, password)   # FTP_TLS.login sends AUTH TLS first on explicit
    if mode != "plain":
        ftp.prot_p()

def sha(data):
    return hashlib.sha256(data).hexdigest()

def transfer_round(srv, mode, passive):
    """Upload, list, download, compare with the download and with the file on disk, delete."""
    ftp = connect(srv, mode)
    login(ftp, mode, srv["username"], srv["password"])
    ftp.set_pasv(passive)
    data = os.urandom(300_000)
    name = "check-%s-%s-%d.bin" % (mode, "pasv" if passive else "port", os.getpid())
    import io
    ftp.storbinary("STOR " + name, io.BytesIO(data))
    lines = []
    ftp.retrlines("LIST", lines.append)
    assert any(name in l for l in lines), "uploaded file missing from LIST: %r" % lines
    got = bytearray()
    ftp.retrbinary("RETR " + name, got.extend)
    assert sha(got) == sha(data), "downloaded sha256 differs"
    with open(os.path.join(srv["root"], name), "rb") as f:
        assert sha(f.read()) == sha(data), "file on disk under root differs"
    ftp.delete(name)
    ftp.quit()

def anonymous(srv, mode):
    ftp = connect(srv, mode)
    login(ftp, mode, "anonymous", "check@example.com")
    got = bytearray()
    ftp.retrbinary("RETR readme.txt", got.extend)
    with open(os.path.join(srv["anonymousRoot"], "readme.txt"), "rb") as f:
        assert sha(got) == sha(f.read()), "anonymous download differs from anonymousRoot/readme.txt"
    ftp.quit()

def mlsd(srv, mode):
    ftp = connect(srv, mode)
    login(ftp, mode, srv["username"], srv["password"])
    try:
        entries = list(ftp.mlsd())
        return "yes (%d entries)" % len(entries)
    except ftplib.error_perm as e:
        return "no (%s)" % str(e).strip()
    finally:
        ftp.quit()

def tls_version(srv, mode, version):
    ftp = connect(srv, mode, version)
    login(ftp, mode, srv["username"], srv["password"])
    ftp.nlst()
    got = ftp.sock.version()
    ftp.quit()
    return "yes (%s)" % got

def without_reuse(srv, mode):
    ftp = connect(srv, mode, reuse=False)
    login(ftp, mode, srv["username"], srv["password"])
    try:
        ftp.nlst()
        return "not required (LIST works without it)"
    except (ftplib.Error, OSError) as e:
        return "required (%s: %s)" % (type(e).__name__, str(e).strip() or "connection closed")
    finally:
        try:
            ftp.close()
        except Exception:
            pass

def wrong_password(srv, mode):
    ftp = connect(srv, mode)
    t = time.monotonic()
    try:
        login(ftp, mode, srv["username"], "wrong-" + srv["password"])
        return "ACCEPTED?!"
    except ftplib.error_perm as e:
        return "%s after %.1f s" % (str(e).strip()[:3], time.monotonic() - t)
    finally:
        ftp.close()

servers = json.load(open(sys.argv[1]))
only = set(sys.argv[2:])
failures = 0
for srv in servers:
    if only and srv["name"] not in only:
        continue
    tls_mode = srv["security"]
    checks = []
    if srv["tlsAllowsPlain"]:
        checks += [("plain, passive", lambda: transfer_round(srv, "plain", True)),
                   ("plain, active", lambda: transfer_round(srv, "plain", False))]
    checks += [
        (tls_mode + " TLS, passive", lambda: transfer_round(srv, tls_mode, True)),
        (tls_mode + " TLS, active", lambda: transfer_round(srv, tls_mode, False)),
        ("anonymous over " + tls_mode + " TLS", lambda: anonymous(srv, tls_mode)),
    ]
    if srv["tlsAllowsPlain"]:
        checks.append(("anonymous, plain", lambda: anonymous(srv, "plain")))
    observations = [
        ("MLSD", lambda: mlsd(srv, tls_mode)),
        ("TLS 1.2", lambda: tls_version(srv, tls_mode, ssl.TLSVersion.TLSv1_2)),
        ("TLS 1.3", lambda: tls_version(srv, tls_mode, ssl.TLSVersion.TLSv1_3)),
        ("data TLS session reuse", lambda: without_reuse(srv, tls_mode)),
        ("wrong password", lambda: wrong_password(srv, tls_mode)),
    ]
    print("== %s (%s, 127.0.0.1:%d)" % (srv["name"], srv["server"], srv["port"]))
    for label, fn in checks:
        try:
            fn()
            print("  ok    %s" % label)
        except Exception as e:
            failures += 1
            print("  FAIL  %s: %s: %s" % (label, type(e).__name__, e))
    for label, fn in observations:
        try:
            print("  info  %s: %s" % (label, fn()))
        except Exception as e:
            print("  info  %s: no (%s: %s)" % (label, type(e).__name__, e))
sys.exit(1 if failures else 0)
EOF
}

# ---------------------------------------------------------------------------------------------
# start-special: single-purpose vsftpd instances for the TLS-failure, NAT and Latin-1 interop tests
# (test/interop/tlsFailures.test.ts, test/interop/natAndEncoding.test.ts). Each is the explicit
# vsftpd instance of `start` plus a few overriding config lines.
# ---------------------------------------------------------------------------------------------

SPECIAL_NAMES=(vsftpd-self-signed vsftpd-expired vsftpd-wrong-host vsftpd-mutual-tls
  vsftpd-plain-only vsftpd-tls-required vsftpd-tls12-only vsftpd-nat vsftpd-latin1)

# The address vsftpd-nat reports in its PASV replies. Nothing listens there: the passive sockets
# are bound to the control connection's local address, 127.0.0.1 (`start-special` checks this).
NAT_PASV_ADDRESS=127.0.0.2

openssl_or_die() { # LOG ARGS...
  local log=$1
  shift
  openssl "$@" >>"$log" 2>&1 || { cat "$log" >&2; die "openssl $1 failed"; }
}

# A CA that signs with `openssl ca`, the one OpenSSL 3.0 tool that sets arbitrary validity dates
# (`openssl x509 -req` has only -days; -not_before/-not_after came with OpenSSL 3.4).
make_ca() { # DIR CN
  local dir=$1 cn=$2 log=$1/openssl.log
  mkdir -p "$dir/issued"
  : >"$dir/index.txt"
  echo 1000 >"$dir/serial"
  cat >"$dir/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
default_md = sha256
policy = policy_any
# Keep the subjectAltName of the request.
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EOF
  openssl_or_die "$log" req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

issue() { # CA_DIR OUT_PREFIX CN SAN server_ext|client_ext STARTDATE ENDDATE
  local ca=$1 out=$2 cn=$3 san=$4 ext=$5 start=$6 end=$7 log=$1/openssl.log
  local san_args=()
  [[ -z "$san" ]] || san_args=(-addext "subjectAltName=$san")
  openssl_or_die "$log" req -new -newkey rsa:2048 -nodes -keyout "$out.key" -out "$out.csr" \
    -subj "/CN=$cn" "${san_args[@]}"
  openssl_or_die "$log" ca -batch -notext -config "$ca/ca.cnf" -cert "$ca/ca.pem" \
    -keyfile "$ca/ca.key" -extensions "$ext" -startdate "$start" -enddate "$end" \
    -in "$out.csr" -out "$out.pem"
  chmod 600 "$out.key"
  chmod 644 "$out.pem"
}

self_signed() { # OUT_PREFIX CN SAN
  openssl_or_die "$SPECIAL_DIR/openssl.log" req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" -addext "subjectAltName=$3"
  chmod 600 "$1.key"
  chmod 644 "$1.pem"
}

# DIR/special/: server-ca (signs the expired and the mutual-TLS server certificates), client-ca
# (signs client.pem; the mutual-TLS instance trusts only it), self-signed.pem (CN=localhost,
# SAN localhost + 127.0.0.1), wrong-host.pem (self-signed, CN and SAN other.example only).
make_special_certificates() {
  local now_plus_10y
  now_plus_10y=$(date -u -d '+10 years' +%Y%m%d%H%M%SZ)
  make_ca "$SPECIAL_DIR/server-ca" "FTP interop test server CA"
  make_ca "$SPECIAL_DIR/client-ca" "FTP interop test client CA"
  issue "$SPECIAL_DIR/server-ca" "$SPECIAL_DIR/expired" localhost "DNS:localhost,IP:127.0.0.1" \
    server_ext 20200101000000Z 20210101000000Z
  issue "$SPECIAL_DIR/server-ca" "$SPECIAL_DIR/mutual-tls-server" localhost \
    "DNS:localhost,IP:127.0.0.1" server_ext "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$now_plus_10y"
  issue "$SPECIAL_DIR/client-ca" "$SPECIAL_DIR/client" "$TEST_USER" "" client_ext \
    "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$now_plus_10y"
  self_signed "$SPECIAL_DIR/self-signed" localhost "DNS:localhost,IP:127.0.0.1"
  self_signed "$SPECIAL_DIR/wrong-host" other.example "DNS:other.example"
  # An OpenSSL configuration that caps the protocol at TLS 1.2 for the process that loads it:
  # vsftpd 3.0.3 has only ssl_tlsv1 (= every TLS 1.x) and ssl_ciphers (which does not touch the
  # TLS 1.3 cipher suites), so it cannot be limited to TLS 1.2 from its own config.
  cat >"$SPECIAL_DIR/openssl-tls12.cnf" <<'EOF'
openssl_conf = openssl_init
[ openssl_init ]
ssl_conf = ssl_module
[ ssl_module ]
system_default = tls12_only
[ tls12_only ]
MinProtocol = TLSv1.2
MaxProtocol = TLSv1.2
EOF
  chmod 644 "$SPECIAL_DIR/openssl-tls12.cnf"
}

# Per instance: security (explicit|none), the certificate the test should trust as CA Certificate
# (empty: none), and the overriding config lines.
special_security() {
  case $1 in
    vsftpd-plain-only | vsftpd-nat | vsftpd-latin1) echo none ;;
    *) echo explicit ;;
  esac
}
special_trust() {
  case $1 in
    vsftpd-expired | vsftpd-mutual-tls) echo "$SPECIAL_DIR/server-ca/ca.pem" ;;
    vsftpd-wrong-host) echo "$SPECIAL_DIR/wrong-host.pem" ;;
    vsftpd-plain-only) echo "" ;;
    *) echo "$SPECIAL_DIR/self-signed.pem" ;;
  esac
}
special_certificate() {
  case $1 in
    vsftpd-expired) echo "$SPECIAL_DIR/expired" ;;
    vsftpd-mutual-tls) echo "$SPECIAL_DIR/mutual-tls-server" ;;
    vsftpd-wrong-host) echo "$SPECIAL_DIR/wrong-host" ;;
    *) echo "$SPECIAL_DIR/self-signed" ;;
  esac
}
special_config() { # NAME
  local cert
  cert=$(special_certificate "$1")
  echo "rsa_cert_file=$cert.pem"
  echo "rsa_private_key_file=$cert.key"
  case $1 in
    vsftpd-mutual-tls)
      # Ask for a client certificate, refuse the handshake without one, and verify it against
      # the client CA only.
      echo "ssl_request_cert=YES"
      echo "require_cert=YES"
      echo "validate_cert=YES"
      echo "ca_certs_file=$SPECIAL_DIR/client-ca/ca.pem"
      ;;
    vsftpd-plain-only) echo "ssl_enable=NO" ;;
    vsftpd-tls-required)
      echo "force_local_logins_ssl=YES"
      echo "force_local_data_ssl=YES"
      ;;
    vsftpd-nat) echo "pasv_address=$NAT_PASV_ADDRESS" ;;
  esac
}

# Fails unless the control port listens on 127.0.0.1 only (not 0.0.0.0, which would also accept
# connections to NAT_PASV_ADDRESS). The passive sockets are checked by the test itself.
assert_bound_to_loopback_only() { # NAME PORT
  local bad
  bad=$(ss -Hltn "sport = :$2" | awk '{ print $4 }' | grep -v '^127\.0\.0\.1:' || true)
  [[ -z "$bad" ]] || die "$1 listens on $bad, not only on 127.0.0.1"
}

cmd_start_special() {
  require_root
  [[ -n "${1:-}" ]] || die "usage: $0 start-special DIR NAME... (names: ${SPECIAL_NAMES[*]})"
  RUN_DIR=$(realpath -m "$1")
  shift
  (($# > 0)) || die "usage: $0 start-special DIR NAME... (names: ${SPECIAL_NAMES[*]})"
  local name known known_name
  for name in "$@"; do
    known=false
    for known_name in "${SPECIAL_NAMES[@]}"; do [[ $name == "$known_name" ]] && known=true; done
    $known || die "unknown special instance '$name' (names: ${SPECIAL_NAMES[*]})"
  done
  mkdir -p "$RUN_DIR"
  # May share DIR with a `start` run (its pids file is appended to), but only once.
  [[ ! -e "$RUN_DIR/special.json" && ! -e "$RUN_DIR/special" ]] \
    || die "$RUN_DIR already holds special instances; stop them and use a fresh folder"
  [[ -x /usr/sbin/vsftpd ]] || die "vsftpd not installed: run '$0 install' first"
  ensure_pam_service
  ensure_test_user
  chmod 755 "$RUN_DIR"
  [[ -f "$RUN_DIR/pids" ]] || : >"$RUN_DIR/pids"
  SPECIAL_DIR="$RUN_DIR/special"
  mkdir -p "$SPECIAL_DIR"
  chmod 755 "$SPECIAL_DIR"
  SERVERS_TSV="$SPECIAL_DIR/servers.tsv"
  : >"$SERVERS_TSV"
  : >"$SPECIAL_DIR/extra.tsv"
  make_special_certificates

  local base port low i=0 security
  base=$(find_free_block $(($# * (1 + PASV_COUNT))))
  trap 'echo "ftp-servers.sh: start-special failed; stopping what was started" >&2; stop_pids' EXIT
  for name in "$@"; do
    port=$((base + i))
    low=$((base + $# + i * PASV_COUNT))
    security=$(special_security "$name")
    VSFTPD_ENV=()
    [[ $name != vsftpd-tls12-only ]] || VSFTPD_ENV=("OPENSSL_CONF=$SPECIAL_DIR/openssl-tls12.cnf")
    start_vsftpd "$name" "$port" "$low" "$security" "$(special_config "$name")"
    [[ $name != vsftpd-nat ]] || assert_bound_to_loopback_only "$name" "$port"
    printf '%s\t%s\t%s\t%s\n' "$name" "$(special_trust "$name")" \
      "$(special_certificate "$name")" "$low" >>"$SPECIAL_DIR/extra.tsv"
    i=$((i + 1))
  done
  VSFTPD_ENV=()
  trap - EXIT
  write_special_json
  echo "special servers: $RUN_DIR/special.json"
}

# Like servers.json (same fields; security may also be "none", caCertificate may be ""), plus:
# certificate / privateKey (the server's), pasvPorts [low, high], pasvAddress (what PASV reports),
# and at the top level the client certificate for the mutual-TLS instance.
write_special_json() {
  TEST_USER="$TEST_USER" TEST_PASSWORD="$TEST_PASSWORD" PASV_COUNT="$PASV_COUNT" \
    NAT_PASV_ADDRESS="$NAT_PASV_ADDRESS" \
    python - "$SPECIAL_DIR" >"$RUN_DIR/special.json" <<'EOF'
import json, os, sys
special = sys.argv[1]
extra = {}
for line in open(os.path.join(special, "extra.tsv")):
    name, trust, cert, low = line.rstrip("\n").split("\t")
    extra[name] = (trust, cert, int(low))
rows = []
for line in open(os.path.join(special, "servers.tsv")):
    name, server, port, security, plain, root, anon, pid = line.rstrip("\n").split("\t")
    trust, cert, low = extra[name]
    rows.append({"name": name, "server": server, "host": "127.0.0.1", "port": int(port),
                 "security": security, "tlsAllowsPlain": plain == "true",
                 "username": os.environ["TEST_USER"], "password": os.environ["TEST_PASSWORD"],
                 "root": root, "anonymousRoot": anon, "pid": int(pid),
                 "caCertificate": trust, "certificate": cert + ".pem", "privateKey": cert + ".key",
                 "pasvPorts": [low, low + int(os.environ["PASV_COUNT"]) - 1],
                 "pasvAddress": os.environ["NAT_PASV_ADDRESS"] if name == "vsftpd-nat" else "127.0.0.1"})
json.dump({"servers": rows,
           "serverCa": os.path.join(special, "server-ca", "ca.pem"),
           "clientCa": os.path.join(special, "client-ca", "ca.pem"),
           "clientCertificate": os.path.join(special, "client.pem"),
           "clientPrivateKey": os.path.join(special, "client.key")}, sys.stdout, indent=2)
print()
EOF
}

# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------

cmd_start() {
  require_root
  [[ -n "${1:-}" ]] || die "usage: $0 start DIR"
  RUN_DIR=$(realpath -m "$1")
  mkdir -p "$RUN_DIR"
  [[ ! -e "$RUN_DIR/servers.json" && ! -e "$RUN_DIR/pids" ]] \
    || die "$RUN_DIR already holds a run; stop it and use a fresh folder"
  if ! unpacked || [[ ! -x /usr/sbin/vsftpd ]]; then
    die "servers not installed: run '$0 install' first"
  fi
  ensure_pam_service
  ensure_test_user
  # The servers chroot as root, but their workers (the test user, ftp, nobody) must be able to
  # reach the roots below DIR; mktemp -d creates it 0700.
  chmod 755 "$RUN_DIR"
  : >"$RUN_DIR/pids"
  : >"$RUN_DIR/servers.tsv"
  make_certificate

  # One block of free ports, carved into control ports and passive ranges.
  local base p=0
  base=$(find_free_block $((5 + 4 * PASV_COUNT)))
  local ctl_ve=$base ctl_vi=$((base + 1)) ctl_pe=$((base + 2)) ctl_pi=$((base + 3))
  local ctl_pure=$((base + 4))
  p=$((base + 5))

  # A failure below exits non-zero; stop what already started first.
  trap 'echo "ftp-servers.sh: start failed; stopping what was started" >&2; stop_pids' EXIT
  start_vsftpd vsftpd-explicit "$ctl_ve" "$p" explicit
  start_vsftpd vsftpd-implicit "$ctl_vi" $((p + PASV_COUNT)) implicit
  start_proftpd "$ctl_pe" "$ctl_pi" $((p + 2 * PASV_COUNT)) $((p + 3 * PASV_COUNT))
  start_pureftpd "$ctl_pure" $((p + 4 * PASV_COUNT))
  trap - EXIT
  write_servers_json
  rm -f "$RUN_DIR/servers.tsv"
  echo "servers: $RUN_DIR/servers.json"
}



case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  check) shift; cmd_check "$@" ;;
  start-special) shift; cmd_start_special "$@" ;;
  *) usage ;;
esac
