#!/usr/bin/env bash
# Installs code-server (VS Code in the browser) for `npm run test:vscode`, offline-safe: only the
# npm registry and Debian's apt are reached. Into its own folder, not the project's package.json,
# so that `npm ci` stays fast. Does nothing when it is installed already.
#
#   scripts/install-code-server.sh [dest]     (default: .vscode-test/code-server, git-ignored)
#   CODE_SERVER_VERSION=4.90.3 scripts/install-code-server.sh
#                                             the oldest VS Code that engines.vscode allows (1.90.2),
#                                             into .vscode-test/code-server-4.90.3
#
# 4.100.3 (VS Code 1.100.3) is the last code-server for Node 20 (4.103+ need Node 22). The install
# runs native builds and three postinstall steps that fail offline or as root; each has its fix below.
set -euo pipefail
VERSION=${CODE_SERVER_VERSION:-4.100.3}
case "$VERSION" in      # @vscode/ripgrep in that code-server's lib/vscode (its npm-shrinkwrap.json)
  4.100.3) RG_PKG=1.15.11 ;;
  # its kerberos module's node-addon-api predates Node 20.19's const napi_env finalizers: g++ then
  # rejects a pointer conversion that -fpermissive accepts (kerberos is not used by the tests)
  4.90.3) RG_PKG=1.15.9; export CXXFLAGS="${CXXFLAGS:-} -fpermissive" ;;
  *) echo "code-server $VERSION: not known to install offline (known: 4.100.3, 4.90.3)" >&2; exit 2 ;;
esac
RG_VERSION=v13.0.0-10   # the rg release that both ripgrep packages download
cd "$(dirname "$0")/.."
if [ "$VERSION" = 4.100.3 ]; then DEST=${1:-.vscode-test/code-server}; else DEST=${1:-.vscode-test/code-server-$VERSION}; fi
BIN="$DEST/node_modules/.bin/code-server"
RG="$DEST/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"

if [ -x "$BIN" ] && [ -x "$RG" ] && [ "$(node -p "require(require('path').resolve('$DEST/node_modules/code-server/package.json')).version" 2>/dev/null)" = "$VERSION" ]; then
  echo "code-server $VERSION is installed in $DEST"
  exit 0
fi

# System packages: ripgrep (stands in for @vscode/ripgrep's download), libkrb5-dev (gssapi.h for
# the kerberos module's source build), chromium (the browser Playwright drives).
missing=()
for p in ripgrep libkrb5-dev chromium; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "install these Debian packages first: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub; it looks in this cache first.
RGCACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG"
mkdir -p "$RGCACHE"
T=$(mktemp -d)
cp "$(command -v rg)" "$T/rg"
tar czf "$RGCACHE/ripgrep-$RG_VERSION-x86_64-unknown-linux-musl.tar.gz" -C "$T" rg
rm -rf "$T"

mkdir -p "$DEST"
cd "$DEST"
[ -f package.json ] || echo '{ "name": "code-server-for-tests", "private": true }' > package.json
echo "installing code-server $VERSION into $DEST (about 1.5 minutes: native modules are built)"
# unsafe_perm: code-server's postinstall refuses to run as root without it;
# yes: node-pty's postinstall runs `npx node-gyp` without a terminal to confirm the download.
npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error "code-server@$VERSION"
cd - >/dev/null
test -x "$RG" || { echo "code-server install incomplete: $RG is missing" >&2; exit 1; }
echo "code-server $VERSION installed in $DEST"
