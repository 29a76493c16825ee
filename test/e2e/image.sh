#!/usr/bin/env bash
# The project's image, proven on this machine rather than only rendered: builds the Dockerfile (on a local
# stand-in for node:<major>-bookworm-slim when no registry is reachable) and runs its commands as a pod of
# the chart would: read-only root filesystem, a tmpfs /tmp, every capability dropped, no new privileges,
# uid 1000. Against the local RabbitMQ and Postgres it runs `migrate`, a `worker` that completes a batch of
# jobs, `ingest` answering a signed webhook post (and refusing a forged one) whose job the worker
# completes, then `docker stop` on both while jobs are in flight: each must drain and exit 0.
#
#   test/e2e/image.sh [--keep-image]      (npm run test:image)
#
#   --keep-image  leave the built image (enhancer:e2e-image) behind
#
# Needs root (the stand-in installs docker.io and debootstrap with apt and starts dockerd), the local
# services of .ci/services, psql, curl and openssl. Uses its own database and queue prefix, both removed
# afterwards. The stand-in comes from ../shared/tools/standin-node-image.sh (STANDIN_SCRIPT overrides it);
# a base image already present is used as it is. Progress goes to stderr; stdout gets the timings and one
# final line, `image e2e: PASS (...)` or `image e2e: FAIL (...)`; the exit code is 0 or 1 (2: usage).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly ROOT
readonly IMAGE=enhancer:e2e-image
readonly AMQP_URL="${IMAGE_E2E_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}"
readonly PG_ROOT="${IMAGE_E2E_PG_URL:-postgres://postgres@127.0.0.1:5432}"
readonly JOBS=40
readonly DRAIN_JOBS=4
readonly DRAIN_SLEEP_MS=3000
readonly TENANT_SECRET=image-e2e-webhook-secret-0123456789
readonly TIMEOUT_S="${IMAGE_E2E_TIMEOUT_S:-120}"

KEEP_IMAGE=0
for arg in "$@"; do
  case "$arg" in
    --keep-image) KEEP_IMAGE=1 ;;
    -h | --help)
      sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      echo "image.sh: unknown option ${arg} (try --help)" >&2
      exit 2
      ;;
  esac
done
readonly KEEP_IMAGE

RUN_ID="$(date -u +%H%M%S)$$"
readonly RUN_ID
readonly PREFIX="image_e2e_${RUN_ID}"
readonly DB="enhancer_image_e2e_${RUN_ID}"
readonly DATABASE_URL="${PG_ROOT}/${DB}"
readonly WORKER="enhancer-image-e2e-worker-${RUN_ID}"
readonly INGEST="enhancer-image-e2e-ingest-${RUN_ID}"
TMP="$(mktemp -d)"
readonly TMP
STARTED=$SECONDS
VERDICT_PRINTED=0

log() { printf 'image.sh: %s\n' "$*" >&2; }

# The flags every container of the chart runs with (charts/enhancer values: podSecurityContext,
# containerSecurityContext, and the /tmp emptyDir).
HARDENED=(--network host --read-only --tmpfs "/tmp:rw,size=64m" --cap-drop ALL
  --security-opt no-new-privileges --user 1000:1000)
readonly HARDENED
COMMON_ENV=(-e "AMQP_URL=${AMQP_URL}" -e "QUEUE_PREFIX=${PREFIX}" -e LOG_FORMAT=json -e LOG_LEVEL=info)
readonly COMMON_ENV

verdict() {
  VERDICT_PRINTED=1
  printf 'image e2e: %s (%s)\n' "$1" "$2"
}

fail() {
  log "FAILED: $1"
  for c in "$WORKER" "$INGEST"; do
    docker logs --tail 20 "$c" >&2 2>&1 || true
  done
  verdict FAIL "$1"
  exit 1
}
on_error() {
  local status=$? line="$1" command="$2"
  # Inside $(...) the outer shell reports the failure itself.
  ((BASH_SUBSHELL > 0)) && exit "$status"
  ((VERDICT_PRINTED)) || verdict FAIL "line ${line}: '${command}' exited ${status}"
  exit 1
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

cleanup() {
  docker rm -f "$WORKER" "$INGEST" >/dev/null 2>&1 || true
  # The topology is deleted by the image's own code, so exactly what the worker declared goes.
  docker run --rm "${HARDENED[@]}" -e "AMQP_URL=${AMQP_URL}" -e "PREFIX=${PREFIX}" --entrypoint node "$IMAGE" -e '
    const amqp = require("amqplib");
    const { deleteTopology, describeTopology } = require("./dist/adapters/amqp/topology.js");
    (async () => {
      const conn = await amqp.connect(process.env.AMQP_URL);
      await deleteTopology(await conn.createChannel(), describeTopology(process.env.PREFIX, 5));
      await conn.close();
    })().catch((err) => { console.error(err.message); process.exit(1); });' >/dev/null 2>&1 ||
    log "could not delete the queues of ${PREFIX}"
  psql "${PG_ROOT}/postgres" -qtAc "drop database if exists ${DB} with (force)" >/dev/null 2>&1 ||
    log "could not drop database ${DB}"
  ((KEEP_IMAGE)) || docker rmi "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on (the containers share the host network, as they reach the local services).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  return 1
}

sql() { psql "$DATABASE_URL" -qtAc "$1" | tr -d '[:space:]'; }

# Polls a shell condition until it holds, or fails after TIMEOUT_S.
wait_until() {
  local what="$1" deadline=$((SECONDS + TIMEOUT_S))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || fail "${what} not within ${TIMEOUT_S} s"
    sleep 1
  done
}

ready() { curl -fs --max-time 2 --output /dev/null "http://127.0.0.1:$1/readyz"; }

completed_at_least() {
  local n
  n="$(sql "select count(*) from enhancement_history where status = 'completed' and tenant_id = '$1'")"
  [[ -n "$n" ]] && ((n >= $2))
}

in_flight() {
  curl -fs --max-time 2 "http://127.0.0.1:${WORKER_PORT}/metrics" |
    awk '$1 == "enhancement_tasks_in_flight" && $2 > 0 { found = 1 } END { exit !found }'
}

exit_code() { docker inspect --format '{{.State.ExitCode}}' "$1"; }

stop_and_check() {
  local name="$1" what="$2" code
  # Well above SHUTDOWN_GRACE_MS, as terminationGracePeriodSeconds is in the chart.
  docker stop --time 60 "$name" >/dev/null
  code="$(exit_code "$name")"
  printf '%s exit code after docker stop: %s\n' "$what" "$code"
  [[ "$code" == 0 ]] || fail "${what} exited ${code} after docker stop, not 0"
}

# The hex HMAC-SHA256 of `<timestamp>.<body>`, as docs/ingest.md and kind.sh sign.
sign() { printf '%s.%s' "$2" "$3" | openssl dgst -sha256 -hmac "$1" -r | cut -d' ' -f1; }

post() {
  local secret="$1" body="$2" ts
  ts="$(date +%s)"
  curl -sS --max-time 10 --write-out '\n%{http_code}' -X POST "http://127.0.0.1:${INGEST_PORT}/webhook/servicedesk" \
    -H 'Content-Type: application/json' -H "X-Tenant-ID: image-e2e" -H "X-Timestamp: ${ts}" \
    -H "X-Signature: sha256=$(sign "$secret" "$ts" "$body")" --data-binary "$body"
}

base_image() {
  local major
  major="$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9][0-9]*\).*/\1/p' "${ROOT}/Dockerfile")"
  [[ -n "$major" ]] || fail "no node:<major> in the Dockerfile's ARG NODE_IMAGE"
  BASE="node:${major}-bookworm-slim"
  if docker info >/dev/null 2>&1 && docker image inspect "$BASE" >/dev/null 2>&1; then
    log "using the local ${BASE}"
    return 0
  fi
  local standin="${STANDIN_SCRIPT:-${ROOT}/../shared/tools/standin-node-image.sh}"
  [[ -f "$standin" ]] || fail "no ${BASE} and no stand-in script at ${standin} (set STANDIN_SCRIPT)"
  log "building a local stand-in for ${BASE}"
  # The stand-in copies npm from `npm root -g`. With .ci/node's Node first on the PATH that root is
  # under the cached node, which holds no npm; point it at the prefix of the npm that actually runs.
  local npm_prefix
  npm_prefix="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/../../../.." && pwd)"
  npm_config_prefix="$npm_prefix" bash "$standin" "$major" >&2
}

build() {
  local started=$SECONDS
  # The classic builder: BuildKit would pull its frontend for the `# syntax=` line from a registry.
  DOCKER_BUILDKIT=0 docker build --network host --build-arg "NODE_IMAGE=${BASE}" --tag "$IMAGE" "$ROOT" >&2
  printf 'build: %d s (base %s)\n' "$((SECONDS - started))" "$BASE"
  docker run --rm --entrypoint node "$IMAGE" -p 'process.version' | sed 's/^/image node: /'
}

migrate() {
  docker run --rm "${HARDENED[@]}" -e "DATABASE_URL=${DATABASE_URL}" -e LOG_FORMAT=json "$IMAGE" migrate >&2
  printf 'migrate exit code: 0\n'
  [[ "$(sql "select to_regclass('enhancement_history') is not null")" == t ]] ||
    fail "migrate made no enhancement_history table"
}

start_worker() {
  WORKER_PORT="$(free_port)"
  docker run -d --name "$WORKER" "${HARDENED[@]}" "${COMMON_ENV[@]}" -e "DATABASE_URL=${DATABASE_URL}" \
    -e ENHANCER_PIPELINE=simulate -e WORKER_CONCURRENCY=8 -e "HTTP_PORT=${WORKER_PORT}" \
    -e SHUTDOWN_GRACE_MS=30000 -e JOB_TIMEOUT_MS=20000 -e JOB_SOFT_TIMEOUT_MS=15000 "$IMAGE" worker >/dev/null
  wait_until "worker /readyz" ready "$WORKER_PORT"
  log "worker ready on :${WORKER_PORT}"
}

# Jobs as `enhancer enqueue --file` reads them, one JSON object a line.
enqueue() {
  local tenant="$1" count="$2" sleep_ms="$3" file="${TMP}/jobs-$1.jsonl" i
  for ((i = 1; i <= count; i++)); do
    printf '{"tenant_id":"%s","ticket_id":"%s-%d","description":"image e2e","priority":"medium","simulate":{"sleep_ms":%d}}\n' \
      "$tenant" "$tenant" "$i" "$sleep_ms"
  done >"$file"
  docker run --rm -i "${HARDENED[@]}" "${COMMON_ENV[@]}" "$IMAGE" enqueue --file /dev/stdin <"$file" >&2
}

start_ingest() {
  INGEST_PORT="$(free_port)"
  mkdir -p "${TMP}/tenants"
  printf '{"tenants": {"image-e2e": {"secret": "%s"}}}\n' "$TENANT_SECRET" >"${TMP}/tenants/tenants.json"
  chmod 755 "$TMP" "${TMP}/tenants" && chmod 644 "${TMP}/tenants/tenants.json"
  docker run -d --name "$INGEST" "${HARDENED[@]}" "${COMMON_ENV[@]}" -e "INGEST_PORT=${INGEST_PORT}" \
    -e TENANTS_FILE=/etc/enhancer/tenants/tenants.json -v "${TMP}/tenants:/etc/enhancer/tenants:ro" \
    "$IMAGE" ingest >/dev/null
  wait_until "ingest /readyz" ready "$INGEST_PORT"
  log "ingest ready on :${INGEST_PORT}"
}

webhook() {
  local body answer code job_id
  body="$(printf '{"ticket_id":"IMG-%s","description":"image e2e: a signed post","priority":"High"}' "$RUN_ID")"
  answer="$(post "$TENANT_SECRET" "$body")"
  code="${answer##*$'\n'}"
  [[ "$code" == 202 ]] || fail "webhook answered ${code}, not 202: ${answer%$'\n'*}"
  job_id="$(sed -n 's/.*"job_id" *: *"\([0-9a-f-]\{36\}\)".*/\1/p' <<<"${answer%$'\n'*}")"
  [[ -n "$job_id" ]] || fail "webhook 202 without a job_id: ${answer%$'\n'*}"
  printf 'webhook signed post: HTTP %s, job_id %s\n' "$code" "$job_id"
  answer="$(post "not-${TENANT_SECRET}" "$body")"
  code="${answer##*$'\n'}"
  [[ "$code" == 401 ]] || fail "a forged signature got ${code}, not 401"
  printf 'webhook forged post: HTTP %s\n' "$code"
  wait_until "the webhook's job completed" \
    test_sql "select count(*) from enhancement_history where job_id = '${job_id}' and status = 'completed'" 1
  printf 'webhook job completed by the worker\n'
}

test_sql() { [[ "$(sql "$1")" == "$2" ]]; }

main() {
  for tool in docker psql curl openssl; do
    command -v "$tool" >/dev/null 2>&1 || [[ "$tool" == docker ]] || fail "missing tool: ${tool}"
  done
  base_image
  build
  migrate
  start_worker
  local started=$SECONDS
  enqueue image-e2e "$JOBS" 20
  wait_until "${JOBS} jobs completed" completed_at_least image-e2e "$JOBS"
  printf 'worker: %d/%d jobs completed in %d s\n' "$JOBS" "$JOBS" "$((SECONDS - started))"
  start_ingest
  webhook
  # Jobs still running when SIGTERM comes: the worker stops consuming, finishes them, acks, exits 0.
  enqueue image-e2e-drain "$DRAIN_JOBS" "$DRAIN_SLEEP_MS"
  wait_until "drain jobs in flight" in_flight
  stop_and_check "$INGEST" ingest
  stop_and_check "$WORKER" worker
  test_sql "select count(*) from enhancement_history where tenant_id = 'image-e2e-drain' and status = 'completed'" \
    "$DRAIN_JOBS" || fail "jobs in flight at docker stop were not completed by the drain"
  printf 'drain: %d/%d in-flight jobs completed before exit\n' "$DRAIN_JOBS" "$DRAIN_JOBS"
  verdict PASS "${JOBS}/${JOBS} jobs, webhook 202 and 401, drain ${DRAIN_JOBS}/${DRAIN_JOBS}, exit codes 0, $((SECONDS - STARTED)) s in all"
}

main
