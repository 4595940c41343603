# shellcheck shell=bash disable=SC2034
# The one place that lists monotube's Debian 12 packages, and the helpers that
# install them. Sourced by scripts/setup.sh, scripts/test.sh, bench/ and the Dockerfile:
#   . scripts/deps.sh && install_packages "${BUILD_PACKAGES[@]}"
# To add a dependency: add it here (and, when the binary links a new shared library,
# its runtime package to RUNTIME_PACKAGES so the Docker image gets it).

# Compilers, build tools and -dev packages: what `cmake --build` needs.
BUILD_PACKAGES=(
  g++ cmake ninja-build ccache pkg-config
  libboost-dev libssl-dev libsoci-dev libsqlite3-dev libpq-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsodium-dev libcurl4-openssl-dev
  libxapian-dev
)

# What the test suite needs on top of BUILD_PACKAGES. Node.js/npm are handled by
# node_packages below because the machine may already have a Node.js of its own.
# python3-aiosmtpd: the SMTP server the mail tests send to (tests/support/smtp_server.cpp);
# ffmpeg: the avatar tests make their images with it (and the binary runs it).
# awscli: the S3 storage tests check with it what monotube stored in s3rver (tests/s3).
# wamerican: the word list `monotube dev gen-catalog` draws titles from (bench/search).
# sqlite3: bench/analytics bulk-inserts its view events with the SQLite shell (its smoke
# run is in CTest).
TEST_PACKAGES=(
  catch2 postgresql chromium curl openssl python3 python3-aiosmtpd ffmpeg ca-certificates awscli wamerican sqlite3
)

# The benchmarks (bench/): load generator and the reference server; hyperfine times the
# transcoding runs (bench/transcode falls back to a loop without it).
BENCH_PACKAGES=(
  wrk nginx-light hyperfine wamerican sqlite3
)

# Shared libraries the built binary loads, for the slim runtime image (Dockerfile).
# Verified on Debian 12 with ldd + dpkg -S on a program linking every library we use.
# libsoci-postgresql4.0 is also what SOCI loads by name for postgresql:// URLs.
# ffmpeg is not linked but run: ffprobe/ffmpeg convert avatars (and will transcode videos).
RUNTIME_PACKAGES=(
  ca-certificates
  libsoci-core4.0 libsoci-sqlite3-4.0 libsoci-postgresql4.0
  libsqlite3-0 libpq5 libssl3 libcurl4
  libspdlog1.10 libfmt9 libsodium23 libtomlplusplus3 libxapian30
  ffmpeg
)

# Prints the Node.js packages to install: Debian's nodejs + npm only when there is
# no `node` at all (a machine may carry its own Node.js, which we must not replace).
node_packages() {
  if ! command -v node >/dev/null 2>&1; then
    echo nodejs npm
  fi
}

# Prints the packages among "$@" that are not installed.
missing_packages() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || echo "$pkg"
  done
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: '$*' needs root; run this script as root or install sudo." >&2
    return 1
  fi
}

# Installs whichever of "$@" are missing; does nothing (and needs no root) when all
# are present. Idempotent.
install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "installing: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "error: these Debian packages are missing and installing them needs root:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    echo "run this script as root, install sudo, or install them yourself." >&2
    return 1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}
