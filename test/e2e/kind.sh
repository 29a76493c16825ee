#!/usr/bin/env bash
# End-to-end check on a real Kubernetes: a kind cluster with KEDA, the dev RabbitMQ and Postgres (k8s/)
# and charts/enhancer. It posts 20 signed tickets through the webhook (enhancer-ingest, port-forwarded to
# 127.0.0.1), enqueues 200 slow jobs, waits until all of them are completed in Postgres, and checks that
# KEDA scaled the worker above one replica and back down to its minimum.
#
#   test/e2e/kind.sh [--keep] [--dry-run]
#
#   --keep     leave the cluster running afterwards (a later run reuses it)
#   --dry-run  print every command instead of running it, with simulated answers; needs no docker or kind
#
# Progress goes to stderr. stdout gets one final line, `kind e2e: PASS (...)` or `kind e2e: FAIL (...)`,
# and the exit code is 0 or 1 (2 for a usage error). In --dry-run, stdout also gets the plan, one `+ cmd`
# line per command.
set -Eeuo pipefail

readonly CLUSTER=enhancer-e2e
readonly CONTEXT="kind-${CLUSTER}"
readonly NAMESPACE=enhancer-e2e
readonly IMAGE_REPO=enhancer
readonly IMAGE_TAG=e2e
readonly KEDA_CHART_VERSION="${KEDA_CHART_VERSION:-2.16.1}"
readonly JOBS=200
# Long enough that one replica cannot drain the backlog before KEDA reacts (200 x 2 s / 2 slots = 200 s).
readonly JOB_SLEEP_MS=2000
readonly WORKER_CONCURRENCY=2
readonly MIN_REPLICAS=1
readonly MAX_REPLICAS=4
readonly COMPLETE_TIMEOUT_S="${E2E_COMPLETE_TIMEOUT_S:-600}"
# N -> 1 follows the HPA's scale-down window: 30 s in k8s/dev-values.yaml (the chart's default is 300 s).
readonly SCALE_DOWN_TIMEOUT_S="${E2E_SCALE_DOWN_TIMEOUT_S:-300}"
readonly POLL_S=3
# The webhook part: tenant `dev` of k8s/secrets.yaml (enhancer-dev-tenants) signs; the chart tests check
# that this is its secret there.
readonly WEBHOOK_SERVICE=svc/enhancer-ingest
readonly WEBHOOK_TENANT=dev
readonly WEBHOOK_SECRET=dev-webhook-secret-0123456789
readonly WEBHOOK_TICKETS=20
readonly WEBHOOK_READY_TIMEOUT_S=60

# Ticket ids are unique per run, so a reused cluster's (--keep) earlier rows are not counted again.
RUN_ID="$(date -u +%Y%m%d%H%M%S)-$$"
readonly RUN_ID

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly ROOT

DRY_RUN=0
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --keep) KEEP=1 ;;
    -h | --help)
      sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      echo "kind.sh: unknown option ${arg} (try --help)" >&2
      exit 2
      ;;
  esac
done
readonly DRY_RUN KEEP

# The plan is written to the original stdout even from inside $(...).
exec 3>&1

VERDICT_PRINTED=0
JOBS_FILE=""
SIM_TICK=0
PF_PID=""
PF_LOG=""
WEBHOOK_URL=""
WEBHOOK_JOB_IDS=()

log() { printf 'kind.sh: %s\n' "$*" >&2; }

# Shell-quotes only what needs it, so a plan line can be pasted into a terminal.
quote() {
  local arg out=()
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
      out+=("$arg")
    else
      out+=("'${arg//\'/\'\\\'\'}'")
    fi
  done
  printf '%s' "${out[*]}"
}

show() { printf '+ %s\n' "$(quote "$@")" >&3; }

# Runs a command with its output on stderr (stdout is kept for the verdict), or only shows it.
run() {
  if ((DRY_RUN)); then
    show "$@"
  else
    "$@" >&2 || fail_with "$?" "$@"
  fi
}

# Runs a command with a file on stdin, or only shows it.
run_with_input() {
  local input="$1"
  shift
  if ((DRY_RUN)); then
    printf '+ %s < %s  # %s lines, the first: %s\n' "$(quote "$@")" "$input" \
      "$(wc -l <"$input" | tr -d ' ')" "$(head -n 1 "$input")" >&3
  else
    "$@" <"$input" >&2 || fail_with "$?" "$@"
  fi
}

# Prints a command's stdout; in a dry run shows the command and prints the simulated answer ($1).
capture() {
  local simulated="$1"
  shift
  if ((DRY_RUN)); then
    show "$@"
    printf '%s\n' "$simulated"
  else
    "$@"
  fi
}

pause() { ((DRY_RUN)) || sleep "$1"; }

kube() { run kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"; }
kube_capture() {
  local simulated="$1"
  shift
  capture "$simulated" kubectl --context "$CONTEXT" --namespace "$NAMESPACE" "$@"
}

# Cleans up first, so the verdict is the last line on stdout in a dry run too.
verdict() {
  local outcome="$1" detail="$2" suffix=""
  ((DRY_RUN)) && suffix=" [dry run: simulated answers]"
  VERDICT_PRINTED=1
  cleanup
  printf 'kind e2e: %s (%s)%s\n' "$outcome" "$detail" "$suffix"
}

fail() {
  diagnose
  verdict FAIL "$1"
  exit 1
}

# Best effort: what the cluster looked like when it failed.
diagnose() {
  ((DRY_RUN)) && return 0
  kubectl --context "$CONTEXT" --namespace "$NAMESPACE" get pods,hpa,scaledobjects -o wide >&2 || true
  kubectl --context "$CONTEXT" --namespace "$NAMESPACE" logs deploy/enhancer --tail=20 >&2 || true
}

# Names the command itself; the ERR trap would only see the wrapper's line.
fail_with() {
  local status="$1"
  shift
  FAILED_COMMAND="'$(quote "$@")' exited ${status}"
  return "$status"
}

FAILED_COMMAND=""
on_error() {
  local status=$? line="$1" command="$2"
  # Inside $(...) the outer shell reports the failure itself.
  ((BASH_SUBSHELL > 0)) && exit "$status"
  ((VERDICT_PRINTED)) && exit "$status"
  diagnose
  [[ -n "$FAILED_COMMAND" ]] || FAILED_COMMAND="line ${line}: '${command}' exited ${status}"
  verdict FAIL "$FAILED_COMMAND"
  exit 1
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

CLEANED=0
# Set once the cluster may exist: a run that stops at the tool check has nothing to delete.
CLUSTER_TOUCHED=0
cleanup() {
  ((CLEANED)) && return 0
  CLEANED=1
  [[ -n "$JOBS_FILE" ]] && rm -f "$JOBS_FILE"
  stop_port_forward
  if ((!CLUSTER_TOUCHED)); then
    return 0
  elif ((KEEP)); then
    log "keeping cluster ${CLUSTER} (kubectl --context ${CONTEXT} -n ${NAMESPACE} ...)"
  else
    run kind delete cluster --name "$CLUSTER" || true
  fi
}
trap cleanup EXIT
# Ctrl-C or a kill still runs cleanup (the cluster, the background port-forward).
trap 'exit 130' INT
trap 'exit 143' TERM

check_tools() {
  local missing=()
  for tool in docker kind kubectl helm curl openssl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]} > 0)); then
    if ((DRY_RUN)); then
      log "not installed here: ${missing[*]} (fine for --dry-run)"
    else
      verdict FAIL "missing tools: ${missing[*]}"
      exit 1
    fi
  fi
  run docker info --format '{{.ServerVersion}}'
}

create_cluster() {
  local clusters
  CLUSTER_TOUCHED=1
  clusters="$(capture "" kind get clusters)"
  if grep -qx "$CLUSTER" <<<"$clusters"; then
    log "reusing cluster ${CLUSTER}"
  else
    run kind create cluster --name "$CLUSTER" --wait 120s
  fi
}

load_image() {
  run docker build --tag "${IMAGE_REPO}:${IMAGE_TAG}" "$ROOT"
  run kind load docker-image "${IMAGE_REPO}:${IMAGE_TAG}" --name "$CLUSTER"
}

install_keda() {
  # --repo rather than `helm repo add`: the user's Helm repository list stays as it was.
  run helm upgrade --install keda keda --repo https://kedacore.github.io/charts --version "$KEDA_CHART_VERSION" \
    --kube-context "$CONTEXT" --namespace keda --create-namespace --wait --timeout 5m
}

deploy_services() {
  local namespaces
  namespaces="$(capture "" kubectl --context "$CONTEXT" get namespaces --output name)"
  grep -qx "namespace/${NAMESPACE}" <<<"$namespaces" || run kubectl --context "$CONTEXT" create namespace "$NAMESPACE"
  # The chart points KEDA at RabbitMQ in the release's namespace (k8s/dev-values.yaml): nothing to patch.
  kube apply --kustomize "${ROOT}/k8s"
  kube wait --for=condition=Available deployment/rabbitmq deployment/postgres --timeout=300s
}

install_chart() {
  # --wait covers the pre-install migration Job and a ready worker before any job is enqueued.
  run helm upgrade --install enhancer "${ROOT}/charts/enhancer" \
    --kube-context "$CONTEXT" --namespace "$NAMESPACE" \
    --values "${ROOT}/k8s/dev-values.yaml" \
    --set-string image.repository="$IMAGE_REPO" --set-string image.tag="$IMAGE_TAG" \
    --set-string config.WORKER_CONCURRENCY="$WORKER_CONCURRENCY" \
    --set keda.minReplicaCount="$MIN_REPLICAS" --set keda.maxReplicaCount="$MAX_REPLICAS" \
    --set-string keda.queueLength=20 --set keda.pollingInterval=5 --set keda.cooldownPeriod=30 \
    --set keda.scaleDown.stabilizationWindowSeconds=30 \
    --wait --timeout 5m
  kube wait --for=condition=Ready scaledobjects --all --timeout=120s
}

enqueue_jobs() {
  JOBS_FILE="$(mktemp)"
  local i
  for ((i = 1; i <= JOBS; i++)); do
    printf '{"tenant_id":"e2e","ticket_id":"e2e-%s-%d","description":"","priority":"medium","simulate":{"sleep_ms":%d}}\n' \
      "$RUN_ID" "$i" "$JOB_SLEEP_MS"
  done >"$JOBS_FILE"
  # The worker pod already has the broker settings, so enqueue runs there; `--file /dev/stdin` reads the pipe.
  run_with_input "$JOBS_FILE" kubectl --context "$CONTEXT" --namespace "$NAMESPACE" \
    exec -i deploy/enhancer -- node dist/cli.js enqueue --file /dev/stdin
}

completed_count() {
  local simulated=$((SIM_TICK * JOBS / 2 > JOBS ? JOBS : SIM_TICK * JOBS / 2))
  kube_capture "$simulated" exec deploy/postgres -- \
    psql -U postgres -d enhancer -tAc "select count(*) from enhancement_history where status = 'completed' \
and tenant_id = 'e2e' and ticket_id like 'e2e-${RUN_ID}-%'" |
    tr -d '[:space:]' || true
}

# The webhook's tickets that are completed, by the job_ids its 202 answers named.
webhook_completed_count() {
  local simulated=$((SIM_TICK * WEBHOOK_TICKETS / 2 > WEBHOOK_TICKETS ? WEBHOOK_TICKETS : SIM_TICK * WEBHOOK_TICKETS / 2))
  local ids
  ids="$(printf ",'%s'" "${WEBHOOK_JOB_IDS[@]}")"
  kube_capture "$simulated" exec deploy/postgres -- \
    psql -U postgres -d enhancer -tAc "select count(*) from enhancement_history where status = 'completed' \
and tenant_id = '${WEBHOOK_TENANT}' and job_id in (${ids#,})" |
    tr -d '[:space:]' || true
}

replicas() {
  local simulated="$1"
  local n
  # A failed poll (API server busy, pod restarting) counts as no answer; the deadline decides.
  n="$(kube_capture "$simulated" get deployment enhancer --output 'jsonpath={.status.replicas}' || true)"
  printf '%s\n' "${n:-0}"
}

# docs/ingest.md: the hex HMAC-SHA256 of `<timestamp>.<body>` under the tenant's secret. The
# chart tests run this function and compare it with src/ingest/signature.ts.
webhook_signature() {
  local secret="$1" ts="$2" body="$3"
  printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1
}

# The local port `kubectl port-forward ... :80` picked, once it has said so.
forwarded_port() {
  sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$PF_LOG" | sed -n 1p
}

# The webhook from the host: the ingest Service's port 80 on a free local port, until stop_port_forward.
start_port_forward() {
  local deadline port
  local cmd=(kubectl --context "$CONTEXT" --namespace "$NAMESPACE" port-forward "$WEBHOOK_SERVICE" :80
    --address 127.0.0.1)
  if ((DRY_RUN)); then
    show "${cmd[@]}"
    port=18000
  else
    PF_LOG="$(mktemp)"
    "${cmd[@]}" </dev/null >"$PF_LOG" 2>&1 &
    PF_PID=$!
    deadline=$((SECONDS + 30))
    while port="$(forwarded_port)"; [[ -z "$port" ]]; do
      kill -0 "$PF_PID" 2>/dev/null || fail "kubectl port-forward ${WEBHOOK_SERVICE} exited: $(tail -n 1 "$PF_LOG")"
      ((SECONDS < deadline)) || fail "kubectl port-forward ${WEBHOOK_SERVICE} opened no local port within 30 s"
      sleep 1
    done
  fi
  WEBHOOK_URL="http://127.0.0.1:${port}"
  log "webhook at ${WEBHOOK_URL} (port-forward of ${WEBHOOK_SERVICE})"
  deadline=$((SECONDS + WEBHOOK_READY_TIMEOUT_S))
  until capture ready curl -fs --max-time 5 --output /dev/null "${WEBHOOK_URL}/readyz" >/dev/null; do
    ((SECONDS < deadline)) || fail "the webhook did not answer ${WEBHOOK_URL}/readyz within ${WEBHOOK_READY_TIMEOUT_S} s"
    pause 2
  done
}

stop_port_forward() {
  [[ -n "$PF_PID" ]] || return 0
  kill "$PF_PID" 2>/dev/null || true
  wait "$PF_PID" 2>/dev/null || true
  PF_PID=""
  rm -f "$PF_LOG"
}

# Dry-run answers: what the webhook would say, and a made-up job_id per ticket.
simulated_answer() { printf '%s\n%s' "$2" "$1"; }
fake_job_id() { printf '00000000-0000-4000-8000-%012d' "$1"; }

# POSTs one signed ticket; prints the answer's body, a newline and the HTTP code (000: no answer).
post_ticket() {
  local secret="$1" body="$2" simulated="$3" ts sig
  ts="$(date +%s)"
  if ((DRY_RUN)) && ! command -v openssl >/dev/null 2>&1; then
    sig=openssl-not-installed
  else
    sig="$(webhook_signature "$secret" "$ts" "$body")"
  fi
  capture "$simulated" curl -sS --max-time 10 --write-out '\n%{http_code}' \
    -X POST "${WEBHOOK_URL}/webhook/servicedesk" -H 'Content-Type: application/json' \
    -H "X-Tenant-ID: ${WEBHOOK_TENANT}" -H "X-Timestamp: ${ts}" -H "X-Signature: sha256=${sig}" \
    --data-binary "$body" || true
}

# post_ticket, again (freshly signed) after no answer, 429 or 503: the webhook's dedup gives a retried
# ticket its first job_id.
post_until_answered() {
  local attempt answer code
  for attempt in 1 2 3; do
    answer="$(post_ticket "$@")"
    code="${answer##*$'\n'}"
    if [[ "$code" != 000 && "$code" != 429 && "$code" != 503 ]] || ((attempt == 3)); then
      break
    fi
    log "webhook answered ${code}, posting again"
    pause 2
  done
  printf '%s\n' "$answer"
}

answer_code() { printf '%s\n' "${1##*$'\n'}"; }
# The answer's body, shortened for a verdict line.
answer_body() {
  local body="${1%$'\n'*}"
  [[ "$1" == *$'\n'* ]] || body=""
  printf '%s\n' "${body:0:200}"
}
# The job_id of a 202's body, in lower case; nothing if there is none.
answer_job_id() {
  local re='"job_id"[[:space:]]*:[[:space:]]*"([0-9a-fA-F-]{36})"'
  if [[ "$(answer_body "$1")" =~ $re ]]; then
    printf '%s\n' "${BASH_REMATCH[1],,}"
  fi
}

# WEBHOOK_TICKETS signed tickets, each 202 with its own job_id (kept for the completion check); the
# first one again, which must get the same job_id; and one signed with a wrong secret, which must get 401.
post_webhook_tickets() {
  local i ticket body answer code job_id first_body="" distinct simulated
  local priorities=(Low Normal High Urgent)
  local sim_code="${KIND_E2E_SIM_WEBHOOK_CODE:-202}"
  for ((i = 1; i <= WEBHOOK_TICKETS; i++)); do
    ticket="E2E-WEBHOOK-${RUN_ID}-${i}"
    body="$(printf '{"ticket_id":"%s","description":"kind e2e: webhook ticket %d of %d","priority":"%s"}' \
      "$ticket" "$i" "$WEBHOOK_TICKETS" "${priorities[i % ${#priorities[@]}]}")"
    [[ -n "$first_body" ]] || first_body="$body"
    simulated="$(simulated_answer "$sim_code" '{"error":"simulated"}')"
    [[ "$sim_code" != 202 ]] || simulated="$(simulated_answer 202 "{\"job_id\":\"$(fake_job_id "$i")\"}")"
    answer="$(post_until_answered "$WEBHOOK_SECRET" "$body" "$simulated")"
    code="$(answer_code "$answer")"
    job_id="$(answer_job_id "$answer")"
    [[ "$code" == 202 ]] || fail "webhook ticket ${ticket}: HTTP ${code}, not 202: $(answer_body "$answer")"
    [[ -n "$job_id" ]] || fail "webhook ticket ${ticket}: 202 without a job_id: $(answer_body "$answer")"
    WEBHOOK_JOB_IDS+=("$job_id")
  done
  distinct="$(printf '%s\n' "${WEBHOOK_JOB_IDS[@]}" | sort -u | wc -l | tr -d ' ')"
  ((distinct == WEBHOOK_TICKETS)) ||
    fail "${WEBHOOK_TICKETS} webhook tickets got only ${distinct} distinct job_ids"
  log "webhook: ${WEBHOOK_TICKETS} tickets accepted (202)"

  answer="$(post_until_answered "$WEBHOOK_SECRET" "$first_body" \
    "$(simulated_answer 202 "{\"job_id\":\"$(fake_job_id 1)\"}")")"
  code="$(answer_code "$answer")"
  job_id="$(answer_job_id "$answer")"
  [[ "$code" == 202 && "$job_id" == "${WEBHOOK_JOB_IDS[0]}" ]] ||
    fail "webhook duplicate of E2E-WEBHOOK-${RUN_ID}-1: HTTP ${code}, job_id '${job_id}', not 202 and ${WEBHOOK_JOB_IDS[0]}"
  log "webhook: the duplicate got the first job_id"

  ticket="E2E-WEBHOOK-${RUN_ID}-forged"
  body="$(printf '{"ticket_id":"%s","description":"kind e2e: signed with a wrong secret","priority":"High"}' "$ticket")"
  answer="$(post_until_answered "not-${WEBHOOK_SECRET}" "$body" \
    "$(simulated_answer 401 '{"error":"bad_signature","message":"signature does not match"}')")"
  code="$(answer_code "$answer")"
  [[ "$code" == 401 ]] || fail "webhook ticket ${ticket} with a wrong signature: HTTP ${code}, not 401"
  log "webhook: the wrong signature got 401"
}

COMPLETED=0
WEBHOOK_COMPLETED=0
MAX_SEEN=0
FINAL_REPLICAS=0

wait_for_completion() {
  local deadline=$((SECONDS + COMPLETE_TIMEOUT_S)) n
  while :; do
    SIM_TICK=$((SIM_TICK + 1))
    n="$(replicas "${KIND_E2E_SIM_MAX_REPLICAS:-$MAX_REPLICAS}")"
    ((n > MAX_SEEN)) && MAX_SEEN=$n
    COMPLETED="$(completed_count)"
    COMPLETED="${COMPLETED:-0}"
    if ((WEBHOOK_COMPLETED < WEBHOOK_TICKETS)); then
      WEBHOOK_COMPLETED="$(webhook_completed_count)"
      WEBHOOK_COMPLETED="${WEBHOOK_COMPLETED:-0}"
    fi
    log "completed ${COMPLETED}/${JOBS}, webhook tickets ${WEBHOOK_COMPLETED}/${WEBHOOK_TICKETS}, replicas ${n} (max ${MAX_SEEN})"
    ((COMPLETED >= JOBS && WEBHOOK_COMPLETED >= WEBHOOK_TICKETS)) && return 0
    ((SECONDS >= deadline)) &&
      fail "${COMPLETED}/${JOBS} completed, ${WEBHOOK_COMPLETED}/${WEBHOOK_TICKETS} webhook tickets completed after ${COMPLETE_TIMEOUT_S} s, max replicas ${MAX_SEEN}"
    pause "$POLL_S"
  done
}

wait_for_scale_down() {
  local deadline=$((SECONDS + SCALE_DOWN_TIMEOUT_S))
  while :; do
    FINAL_REPLICAS="$(replicas "$MIN_REPLICAS")"
    log "replicas ${FINAL_REPLICAS}, waiting for ${MIN_REPLICAS}"
    ((FINAL_REPLICAS <= MIN_REPLICAS)) && return 0
    ((SECONDS >= deadline)) &&
      fail "${JOBS}/${JOBS} completed, ${WEBHOOK_TICKETS}/${WEBHOOK_TICKETS} webhook tickets completed, max replicas ${MAX_SEEN}, still ${FINAL_REPLICAS} after ${SCALE_DOWN_TIMEOUT_S} s"
    pause "$POLL_S"
  done
}

main() {
  check_tools
  create_cluster
  load_image
  install_keda
  deploy_services
  install_chart
  # First, so the webhook's tickets are not queued behind the backlog; they complete at once.
  start_port_forward
  post_webhook_tickets
  stop_port_forward
  enqueue_jobs
  wait_for_completion
  ((MAX_SEEN > 1)) || fail "${COMPLETED}/${JOBS} completed but the worker never scaled above 1 replica"
  wait_for_scale_down
  verdict PASS "${COMPLETED}/${JOBS} completed, ${WEBHOOK_COMPLETED}/${WEBHOOK_TICKETS} webhook tickets completed, \
max replicas ${MAX_SEEN}, back to ${FINAL_REPLICAS}"
}

main
