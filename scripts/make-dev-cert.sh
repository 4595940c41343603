#!/usr/bin/env bash
# Makes a self-signed certificate + key for https://localhost and https://127.0.0.1,
# for local use only (browsers will warn; it is not signed by anyone they trust).
#   bash scripts/make-dev-cert.sh [DIR]      default DIR: data/tls in the repository
# Writes DIR/cert.pem and DIR/key.pem (EC P-256, valid 825 days) and prints the
# environment variables that make monotube serve HTTPS with them.
set -euo pipefail
caller_dir=$(pwd)
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
esac
command -v openssl >/dev/null 2>&1 || { echo "error: openssl not found (apt-get install openssl)" >&2; exit 1; }

dir=${1:-data/tls}
case "$dir" in
  /*) ;;
  *) [ -z "${1:-}" ] || dir=$caller_dir/$dir ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cert=$dir/cert.pem
key=$dir/key.pem

(
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$key" -out "$cert" 2>/dev/null
)
chmod 644 "$cert"

echo "wrote $cert and $key (valid 825 days, for localhost and 127.0.0.1)"
echo
echo "To serve HTTPS with them:"
echo "  export MONOTUBE_TLS_CERT=$cert"
echo "  export MONOTUBE_TLS_KEY=$key"
echo "  export MONOTUBE_HTTP_REDIRECT_LISTEN=0.0.0.0:8081   # optional: plain HTTP that redirects to HTTPS"
echo "then open https://localhost:8080/ (accept the browser warning once)."
echo "curl: curl --cacert $cert https://localhost:8080/healthz"
