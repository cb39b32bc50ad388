#!/usr/bin/env bash
# Installs the end-to-end tests' npm packages into a cache folder (never
# into the repository): the real RobotJS SDK and playwright-core, which
# drives Debian's Chromium (no browser download).
set -euo pipefail
deps="${NODE_DEPS:?NODE_DEPS must name the cache folder}"
want_sdk="1.3.1"
want_pw="1.65.2"

installed() { # package version
  local pj="$deps/node_modules/$1/package.json"
  [ -f "$pj" ] && grep -q "\"version\": *\"$2\"" "$pj"
}

if installed "@uipath/robot" "$want_sdk" && installed "playwright-core" "$want_pw"; then
  exit 0
fi
mkdir -p "$deps"
[ -f "$deps/package.json" ] || echo '{"private": true}' > "$deps/package.json"
npm install --prefix "$deps" --no-audit --no-fund --loglevel=error \
  "@uipath/robot@$want_sdk" "playwright-core@$want_pw"
