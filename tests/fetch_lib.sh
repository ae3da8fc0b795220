# Servers for the download tests (sourced after tests/lib.sh and lib_init).
#
#   need_tool nginx openssl ...   missing: a failure under CI=true, else
#                                 "SKIP: ..." and exit 0
#   web_start [RATE]              Debian's nginx on 127.0.0.1 with a private
#                                 prefix and config, serving $WWW:
#                                   $HTTP/NAME          (Range, ETag, If-Range)
#                                   $HTTP/slow/NAME     limit_rate RATE (default 4m)
#                                   $HTTP/moved/NAME    302 to $HTTP/NAME
#                                   $HTTPS/NAME         TLS, cert from the test CA ($CA)
#                                   $BADTLS/NAME        TLS, a self-signed cert
#                                 $T/nginx/logs/timed.log: "MSEC STATUS BYTES URI"
#                                 per response, MSEC when its last byte went
#   faults_start                  tests/http_faults.py on $WWW: $FAULTS
#                                 (/cut/AT/NAME, /stall/AT/NAME); its
#                                 requests in $T/requests.log
#   fetch_env [STALL_S]           the cache and config in $T, quick retries
#                                 (100 ms), a stall timeout (2 s), neither
#                                 the user's catalog nor CA bundle
#   md5_of FILE                   its MD5
#   free_port                     a free TCP port of 127.0.0.1
#
# Every server is stopped by the EXIT trap (by its pid).  The system's
# nginx configuration and service are never touched.

WWW="$T/www"
mkdir -p "$WWW"
FETCH_PIDS=""

fetch_cleanup() {
	for _k in $FETCH_PIDS; do
		kill "$_k" 2>/dev/null
	done
	wait 2>/dev/null
	lib_cleanup
}
trap fetch_cleanup EXIT

need_tool() {
	for _t in "$@"; do
		if ! command -v "$_t" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$_t" ]; then
			if [ "${CI:-}" = true ]; then
				echo "FAIL: $_t is not installed (tools/deps.sh)"
				exit 1
			fi
			echo "SKIP: $_t is not installed (make deps)"
			exit 0
		fi
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

md5_of() { md5sum "$1" | cut -c1-32; }

fetch_env() {
	export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
	export ROMFLASH_RETRY_DELAY_MS=100 ROMFLASH_STALL_TIMEOUT=${1:-2}
	unset ROMFLASH_CATALOG ROMFLASH_CACERT
}

# The test CA, a server certificate it signed for 127.0.0.1, and a
# self-signed one it did not.
make_certs() {
	_c="$T/certs"
	mkdir -p "$_c"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=romflash test CA" \
		-keyout "$_c/ca.key" -out "$_c/ca.pem" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$_c/srv.key" -out "$_c/srv.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=IP:127.0.0.1\n' >"$_c/ext"
	openssl x509 -req -in "$_c/srv.csr" -CA "$_c/ca.pem" -CAkey "$_c/ca.key" \
		-CAcreateserial -days 2 -extfile "$_c/ext" -out "$_c/srv.pem" >/dev/null 2>&1 || return 1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$_c/bad.key" -out "$_c/bad.pem" >/dev/null 2>&1 || return 1
	CA="$_c/ca.pem"
}

web_start() {
	_rate=${1:-4m}
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	make_certs || { echo "FAIL: openssl could not make the test certificates"; exit 1; }
	_n="$T/nginx"
	mkdir -p "$_n/tmp" "$_n/logs"
	for _try in 1 2 3 4 5; do
		_p1=$(free_port) _p2=$(free_port) _p3=$(free_port)
		_user=""
		# as root, workers would run as nobody and not read $T (0700)
		[ "$(id -u)" = 0 ] && _user="user root;"
		cat >"$_n/nginx.conf" <<EOF
$_user
daemon off;
worker_processes 1;
pid $_n/nginx.pid;
error_log $_n/logs/error.log;
events { worker_connections 64; }
http {
	access_log $_n/logs/access.log;
	# when each response ended (its last byte sent), for the timing tests
	log_format timed '\$msec \$status \$body_bytes_sent \$request_uri';
	access_log $_n/logs/timed.log timed;
	client_body_temp_path $_n/tmp/body;
	proxy_temp_path $_n/tmp/proxy;
	fastcgi_temp_path $_n/tmp/fastcgi;
	uwsgi_temp_path $_n/tmp/uwsgi;
	scgi_temp_path $_n/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	server {
		listen 127.0.0.1:$_p1;
		root $WWW;
		location /slow/ { alias $WWW/; limit_rate $_rate; }
		location /moved/ { rewrite ^/moved/(.*)\$ /\$1 redirect; }
	}
	server {
		listen 127.0.0.1:$_p2 ssl;
		ssl_certificate $_c/srv.pem;
		ssl_certificate_key $_c/srv.key;
		root $WWW;
	}
	server {
		listen 127.0.0.1:$_p3 ssl;
		ssl_certificate $_c/bad.pem;
		ssl_certificate_key $_c/bad.key;
		root $WWW;
	}
}
EOF
		"$NGINX" -p "$_n" -e "$_n/logs/error.log" -c "$_n/nginx.conf" >"$_n/out" 2>&1 &
		_pid=$!
		FETCH_PIDS="$FETCH_PIDS $_pid"
		_i=0
		while [ $_i -lt 100 ]; do
			if curl -s -o /dev/null "http://127.0.0.1:$_p1/"; then
				HTTP="http://127.0.0.1:$_p1" HTTPS="https://127.0.0.1:$_p2"
				BADTLS="https://127.0.0.1:$_p3" NGINX_PID=$_pid
				return 0
			fi
			kill -0 "$_pid" 2>/dev/null || break
			sleep 0.05
			_i=$((_i + 1))
		done
		kill "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
	done
	echo "FAIL: nginx did not start:"
	cat "$_n/out" "$_n/logs/error.log" 2>/dev/null
	exit 1
}

faults_start() {
	rm -f "$T/faults.port"
	python3 "$ROOT/tests/http_faults.py" "$WWW" "$T/faults.port" >"$T/faults.log" 2>&1 &
	FETCH_PIDS="$FETCH_PIDS $!"
	_i=0
	while [ ! -s "$T/faults.port" ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s "$T/faults.port" ] || { echo "FAIL: http_faults.py did not start"; cat "$T/faults.log"; exit 1; }
	FAULTS="http://127.0.0.1:$(cat "$T/faults.port")"
}
