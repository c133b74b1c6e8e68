#!/usr/bin/env bash
# A --target that answers differently from what the scenario expects must fail the run (exit 1)
# with messages that say what was expected and seen. The gateway is nginx (Debian nginx-light)
# when KIND is nginx or nginx-echo, a small python3 server otherwise. nginx and python answer
# every request with a 404 that is not an echo document; nginx-echo answers 200 with the echo
# document of another pod (deployment "other", path /wrong). Exit 77 (skipped) when nginx is
# asked for and not installed.
# Usage: wrong_gateway.sh nginx|nginx-echo|python MESHSIM SCENARIO
set -uo pipefail
kind="${1:?usage: wrong_gateway.sh nginx|nginx-echo|python MESHSIM SCENARIO}"
meshsim="${2:?}"
scenario="${3:?}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-wrong.XXXXXX")"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
if [ "$kind" = nginx ] || [ "$kind" = nginx-echo ]; then
  nginx_bin="$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)"
  if [ -z "$nginx_bin" ]; then
    echo "skipped: nginx is not installed (Debian nginx-light: ./tools/setup --all)"; exit 77
  fi
  location='location / { return 404 "not the mesh\n"; }'
  if [ "$kind" = nginx-echo ]; then
    location='location / { default_type application/json; return 200 '"'"'{"pod": "other-6b8d9c7f5-q7x2z", "namespace": "default", "serviceAccount": "default", "labels": {"app": "other"}, "ip": "10.244.0.9", "request": {"method": "GET", "host": "elsewhere.example", "path": "/wrong", "headers": {}}}'"'"'; }'
  fi
  cat >"$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $tmp;
  server {
    listen 127.0.0.1:$port;
    $location
  }
}
CONF
  "$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" >"$tmp/nginx.log" 2>&1 &
  pid=$!
else
  python3 - "$port" >"$tmp/py.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"not the mesh\n"
        self.send_response(404)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  pid=$!
fi
for _ in $(seq 1 50); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.1
done
"$meshsim" run --target "http://127.0.0.1:$port" "$scenario" 2>&1
code=$?
echo "exit $code"
[ $code -eq 1 ]
