{{/* Chart name, or nameOverride. */}}
{{- define "enhancer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name prefix: fullnameOverride, else <release>-<name> (just <release> when it holds the name). */}}
{{- define "enhancer.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "enhancer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: enhancer
{{- end }}

{{/* Selector of the worker pods; the component keeps them apart from other Deployments of the release. */}}
{{- define "enhancer.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end }}

{{/* Name prefix of the front door's objects: <fullname>-ingest, within the 63 characters of a Service. */}}
{{- define "enhancer.ingestFullname" -}}
{{- printf "%s-ingest" (include "enhancer.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/* Selector of the ingest pods: the component keeps them out of every worker selector, and back. */}}
{{- define "enhancer.ingestSelectorLabels" -}}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ingest
{{- end }}

{{- define "enhancer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "enhancer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding AMQP_URL, DATABASE_URL and RABBITMQ_MANAGEMENT_URL. */}}
{{- define "enhancer.secretName" -}}
{{- default (include "enhancer.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "enhancer.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
A config map of values as environment strings, as JSON (callers `fromJson` it). Empty values are left
out, so the app's own default applies; YAML numbers arrive as float64, so whole ones are printed
without an exponent (1e+06).
*/}}
{{- define "enhancer.envData" -}}
{{- $data := dict }}
{{- range $k, $v := . }}
{{- if and (kindIs "float64" $v) (eq (floor $v) $v) }}
{{- $_ := set $data $k (printf "%.0f" $v) }}
{{- else if ne (toString $v) "" }}
{{- $_ := set $data $k (toString $v) }}
{{- end }}
{{- end }}
{{- toJson $data }}
{{- end }}

{{/* The queue KEDA watches: <QUEUE_PREFIX>.jobs, as the worker's topology names it. */}}
{{- define "enhancer.jobsQueue" -}}
{{- printf "%s.jobs" (.Values.config.QUEUE_PREFIX | default "enhancement") }}
{{- end }}

{{/* Refuses a grace period that would let the kubelet kill a pod still finishing its jobs. */}}
{{- define "enhancer.checkGrace" -}}
{{- $deadline := int64 (.Values.config.JOB_TIMEOUT_MS | default "120000") }}
{{- $drain := int64 (.Values.config.SHUTDOWN_GRACE_MS | default "130000") }}
{{- $kill := mul (int64 .Values.worker.terminationGracePeriodSeconds) 1000 }}
{{- if lt $drain $deadline }}
{{- fail (printf "config.SHUTDOWN_GRACE_MS (%d) must be at least config.JOB_TIMEOUT_MS (%d): a draining worker would abort jobs before their deadline" $drain $deadline) }}
{{- end }}
{{- if le $kill $drain }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d s) must be above config.SHUTDOWN_GRACE_MS (%d ms): the kubelet would kill pods still draining jobs" (int64 .Values.worker.terminationGracePeriodSeconds) $drain) }}
{{- end }}
{{- end }}

{{/* Volumes and mounts every container needs: the root filesystem is read-only, so /tmp is an emptyDir. */}}
{{- define "enhancer.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.worker.tmpSizeLimit }}
{{- end }}
{{- define "enhancer.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* The Secret with the key tenants.json the ingest pods mount: an existing one, or the chart's. */}}
{{- define "enhancer.ingestTenantsSecret" -}}
{{- default (printf "%s-tenants" (include "enhancer.ingestFullname" .)) .Values.ingest.tenants.existingSecret }}
{{- end }}

{{/*
What the schema cannot say about ingest, checked once by its Deployment. The drain time is the app's
(DRAIN_GRACE_MS in src/ingest/run-ingest.ts: 10 s).
*/}}
{{- define "enhancer.checkIngest" -}}
{{- $in := .Values.ingest }}
{{- if and $in.tenants.existingSecret $in.tenants.inline }}
{{- fail "ingest.tenants: give either existingSecret or inline, not both" }}
{{- end }}
{{- if not (or $in.tenants.existingSecret $in.tenants.inline) }}
{{- fail "ingest.enabled needs tenants: set ingest.tenants.existingSecret (a Secret with the key tenants.json) or ingest.tenants.inline (e.g. {acme: {secret: <at least 16 characters>}})" }}
{{- end }}
{{- $need := add (int64 $in.preStopSleepSeconds) 10 }}
{{- if le (int64 $in.terminationGracePeriodSeconds) $need }}
{{- fail (printf "ingest.terminationGracePeriodSeconds (%d s) must be above ingest.preStopSleepSeconds + the 10 s drain (%d s): the kubelet would cut requests in flight" (int64 $in.terminationGracePeriodSeconds) $need) }}
{{- end }}
{{- if $in.autoscaling.enabled }}
{{- if gt (int $in.autoscaling.minReplicas) (int $in.autoscaling.maxReplicas) }}
{{- fail (printf "ingest.autoscaling.minReplicas (%d) is above ingest.autoscaling.maxReplicas (%d)" (int $in.autoscaling.minReplicas) (int $in.autoscaling.maxReplicas)) }}
{{- end }}
{{- if not (dig "requests" "cpu" "" $in.resources) }}
{{- fail "ingest.autoscaling scales on CPU utilisation, a share of the request: set ingest.resources.requests.cpu" }}
{{- end }}
{{- end }}
{{- end }}
