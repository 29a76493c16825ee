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

{{/*
<fullname><suffix> within the 63 characters of a DNS label, for any release name: the prefix is cut
to make room for the suffix. Called as (include "enhancer.suffixed" (list . "-migrate")).
*/}}
{{- define "enhancer.suffixed" -}}
{{- $root := index . 0 }}
{{- $suffix := index . 1 }}
{{- printf "%s%s" (include "enhancer.fullname" $root | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{- define "enhancer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- /* The tag names the version, never the digest; a label value is at most 63 characters, alphanumeric at both ends. */}}
app.kubernetes.io/version: {{ regexReplaceAll "^[^A-Za-z0-9]+|[^A-Za-z0-9]+$" (include "enhancer.imageTag" . | trunc 63) "" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: enhancer
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector of the worker pods; the component keeps them apart from other Deployments of the release. */}}
{{- define "enhancer.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end }}

{{/* Name prefix of the front door's objects: <fullname>-ingest, within the 63 characters of a Service. */}}
{{- define "enhancer.ingestFullname" -}}
{{- include "enhancer.suffixed" (list . "-ingest") }}
{{- end }}

{{/* Selector of the ingest pods: the component keeps them out of every worker selector, and back. */}}
{{- define "enhancer.ingestSelectorLabels" -}}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ingest
{{- end }}

{{/* Selector of the migration hook's pod (its own NetworkPolicy selects it). */}}
{{- define "enhancer.migrationsSelectorLabels" -}}
app.kubernetes.io/name: {{ include "enhancer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: migrations
{{- end }}

{{- define "enhancer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "enhancer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "enhancer.migrationsServiceAccountName" -}}
{{- $sa := .Values.migrations.serviceAccount }}
{{- if $sa.create }}
{{- default (include "enhancer.suffixed" (list . "-migrate")) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{- define "enhancer.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/* registry/repository:tag, or registry/repository@digest when a digest is given. */}}
{{- define "enhancer.image" -}}
{{- $img := .Values.image }}
{{- $ref := $img.repository }}
{{- with $img.registry }}
{{- $ref = printf "%s/%s" (trimSuffix "/" .) $img.repository }}
{{- end }}
{{- if $img.digest }}
{{- printf "%s@%s" $ref $img.digest }}
{{- else }}
{{- printf "%s:%s" $ref (include "enhancer.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
Where each URL comes from, as JSON {"amqp": {"secret", "key"}, "database": ..., "rabbitmqManagement": ...};
a URL without a source is absent. Its own Secret first, then secrets.existingSecret, then the chart's
Secret made from the inline URL (under the canonical key).
*/}}
{{- define "enhancer.secretRefs" -}}
{{- $s := .Values.secrets }}
{{- $own := include "enhancer.fullname" . }}
{{- $refs := dict }}
{{- $inline := dict "amqp" $s.amqpUrl "database" $s.databaseUrl "rabbitmqManagement" $s.rabbitmqManagementUrl }}
{{- $canonical := dict "amqp" "AMQP_URL" "database" "DATABASE_URL" "rabbitmqManagement" "RABBITMQ_MANAGEMENT_URL" }}
{{- range $name := list "amqp" "database" "rabbitmqManagement" }}
{{- $per := index $s $name }}
{{- if $per.existingSecret }}
{{- $_ := set $refs $name (dict "secret" $per.existingSecret "key" $per.key) }}
{{- else if $s.existingSecret }}
{{- $_ := set $refs $name (dict "secret" $s.existingSecret "key" $per.key) }}
{{- else if index $inline $name }}
{{- $_ := set $refs $name (dict "secret" $own "key" (index $canonical $name) "inline" true) }}
{{- end }}
{{- end }}
{{- toJson $refs }}
{{- end }}

{{/*
The broker URL as container env: one secretKeyRef, or with secrets.amqp.fromParts the RabbitMQ
operator's username/password/host/port keys and AMQP_URL composed from them by Kubernetes' $(VAR)
expansion (the operator's values are URL-safe).
*/}}
{{- define "enhancer.amqpEnv" -}}
{{- $ref := (include "enhancer.secretRefs" . | fromJson).amqp }}
{{- $a := .Values.secrets.amqp }}
{{- if $a.fromParts }}
{{- range $var, $key := dict "RABBITMQ_USERNAME" "username" "RABBITMQ_PASSWORD" "password" "RABBITMQ_HOST" "host" "RABBITMQ_PORT" "port" }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $key }}
{{- end }}
- name: AMQP_URL
  value: {{ printf "%s://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@$(RABBITMQ_HOST):$(RABBITMQ_PORT)/%s" $a.scheme $a.vhost | quote }}
{{- else }}
- name: AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}

{{/* DATABASE_URL as container env, from where secretRefs says (the migration hook reads its own copy). */}}
{{- define "enhancer.databaseEnv" -}}
{{- $ref := (include "enhancer.secretRefs" . | fromJson).database }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $ref.key }}
{{- end }}

{{/* What every container adds from the values: extraEnv after the chart's own env. */}}
{{- define "enhancer.extraEnv" -}}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
"true" when the workers are scaled by KEDA: keda.enabled true (refused where the cluster does not serve
KEDA's API), or auto where it does.
*/}}
{{- define "enhancer.kedaEnabled" -}}
{{- $served := .Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject" }}
{{- $mode := .Values.keda.enabled | toString }}
{{- if eq $mode "true" }}
{{- if not $served }}
{{- fail "keda.enabled is true but this cluster does not serve keda.sh/v1alpha1 ScaledObjects: install KEDA first (helm install keda keda --repo https://kedacore.github.io/charts --namespace keda --create-namespace), or set keda.enabled=auto to fall back to a CPU HorizontalPodAutoscaler where KEDA is missing" }}
{{- end }}
{{- true }}
{{- else if and (eq $mode "auto") $served }}
{{- true }}
{{- end }}
{{- end }}

{{/* "true" when the chart's CPU HorizontalPodAutoscaler scales the workers (no KEDA, autoscaling.enabled). */}}
{{- define "enhancer.hpaEnabled" -}}
{{- if and (not (include "enhancer.kedaEnabled" .)) .Values.autoscaling.enabled }}
{{- true }}
{{- end }}
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

{{/*
Settings without which the install cannot work, refused at template time with what to set, so that
`helm install` stops at once instead of waiting on a pod that cannot start. Run once, by the worker
Deployment (always rendered).
*/}}
{{- define "enhancer.checkRequired" -}}
{{- $refs := include "enhancer.secretRefs" . | fromJson }}
{{- $missing := list }}
{{- if not .Values.image.repository }}
{{- $missing = append $missing "image.repository: there is no public image; build the repository's Dockerfile, push it where the cluster can pull it and name it here (with image.registry and image.tag), e.g. --set image.registry=ghcr.io --set image.repository=acme/enhancer --set image.tag=0.1.0" }}
{{- end }}
{{- if not (hasKey $refs "amqp") }}
{{- $missing = append $missing "the broker URL: secrets.amqpUrl (amqp://user:pass@host:5672/%2F), or an existing Secret in secrets.existingSecret or secrets.amqp.existingSecret (key secrets.amqp.key, AMQP_URL by default)" }}
{{- end }}
{{- if not (hasKey $refs "database") }}
{{- $missing = append $missing "the database URL: secrets.databaseUrl (postgres://user:pass@host:5432/db), or an existing Secret in secrets.existingSecret or secrets.database.existingSecret (key secrets.database.key, DATABASE_URL by default; CloudNativePG's <cluster>-app has it as uri)" }}
{{- end }}
{{- if include "enhancer.kedaEnabled" . }}
{{- if and (not .Values.keda.rabbitmq.host) (not (hasKey $refs "rabbitmqManagement")) }}
{{- $missing = append $missing "the RabbitMQ management API for KEDA: keda.rabbitmq.host (http://rabbitmq.<namespace>.svc.cluster.local:15672/%2F) with keda.rabbitmq.credentials, or secrets.rabbitmqManagementUrl / a RABBITMQ_MANAGEMENT_URL key in the existing Secret; or keda.enabled=false" }}
{{- end }}
{{- if and .Values.keda.rabbitmq.host (not (include "enhancer.kedaCredentialsSecret" .)) }}
{{- $missing = append $missing "keda.rabbitmq.credentials.existingSecret: keda.rabbitmq.host has no credentials; name the Secret with the management user (keys keda.rabbitmq.credentials.usernameKey and passwordKey)" }}
{{- end }}
{{- end }}
{{- if and .Values.config.LLM_BASE_URL (not .Values.config.LLM_MODEL) }}
{{- $missing = append $missing "config.LLM_MODEL: config.LLM_BASE_URL is set, so the workers need the name of the model its server knows (e.g. gpt-4o-mini on OpenAI, llama3.1:8b on Ollama); without it every worker refuses to start" }}
{{- end }}
{{- if $missing }}
{{- fail (printf "\n\nenhancer cannot be installed yet; set:\n  - %s\n\nSee docs/deployment.md (First install)." (join "\n  - " $missing)) }}
{{- end }}
{{- if and .Values.secrets.amqp.fromParts (hasKey $refs.amqp "inline") }}
{{- fail "secrets.amqp.fromParts reads username, password, host and port from an existing Secret: set secrets.amqp.existingSecret (e.g. the RabbitMQ operator's <cluster>-default-user) or secrets.existingSecret" }}
{{- end }}
{{- if and .Values.llm.apiKey.existingSecret (not .Values.config.LLM_BASE_URL) }}
{{- fail "llm.apiKey.existingSecret is set but config.LLM_BASE_URL is not, so the workers would never use the key: set config.LLM_BASE_URL (and config.LLM_MODEL), or leave llm.apiKey.existingSecret empty" }}
{{- end }}
{{- if .Values.llm.apiKey.existingSecret }}
{{- range .Values.extraEnv }}
{{- if eq .name "LLM_API_KEY" }}
{{- fail "extraEnv sets LLM_API_KEY and llm.apiKey.existingSecret mounts a key file: the workers refuse both at once; keep one (llm.apiKey keeps the key out of the environment)" }}
{{- end }}
{{- end }}
{{- end }}
{{- include "enhancer.checkTokenFiles" . }}
{{- if and .Values.rbac.create (eq (include "enhancer.serviceAccountName" .) "default") }}
{{- fail "rbac.create would bind the worker's Role to the namespace's default ServiceAccount, which every pod without its own uses: set serviceAccount.create=true, or serviceAccount.name to a ServiceAccount of its own, or rbac.create=false" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled .Values.networkPolicy.kubernetesApi.enabled (not .Values.networkPolicy.kubernetesApi.cidrs) }}
{{- fail "networkPolicy.kubernetesApi.enabled needs networkPolicy.kubernetesApi.cidrs, the API server's addresses (e.g. [10.0.0.1/32] from `kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`); or set networkPolicy.kubernetesApi.enabled=false and config.LEADER_ELECTION=false" }}
{{- end }}
{{- if include "enhancer.hpaEnabled" . }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if not (dig "requests" "cpu" "" .Values.worker.resources) }}
{{- fail "autoscaling scales on CPU utilisation, a share of the request: set worker.resources.requests.cpu (or autoscaling.enabled=false)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret with the management API user and password for KEDA's TriggerAuthentication. */}}
{{- define "enhancer.kedaCredentialsSecret" -}}
{{- $c := .Values.keda.rabbitmq.credentials }}
{{- if $c.existingSecret }}
{{- $c.existingSecret }}
{{- else if .Values.secrets.amqp.fromParts }}
{{- with (include "enhancer.secretRefs" . | fromJson).amqp }}{{ .secret }}{{ end }}
{{- end }}
{{- end }}

{{/* Refuses a grace period that would let the kubelet kill a pod still finishing its jobs, and a prefetch the worker refuses. */}}
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
{{- $concurrency := int64 (.Values.config.WORKER_CONCURRENCY | default "8") }}
{{- with .Values.config.WORKER_PREFETCH }}
{{- if lt (int64 .) $concurrency }}
{{- fail (printf "config.WORKER_PREFETCH (%d) must be at least config.WORKER_CONCURRENCY (%d): the worker refuses to start otherwise" (int64 .) $concurrency) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes and mounts every container needs: the root filesystem is read-only, so /tmp is an emptyDir. */}}
{{- define "enhancer.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.worker.tmpSizeLimit }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- define "enhancer.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Where the worker finds the LLM API key: llm.apiKey's Secret, mounted as a directory (no subPath). */}}
{{- define "enhancer.llmKeyFile" -}}
/etc/enhancer/llm/api-key
{{- end }}

{{/*
The worker's files as env: TENANTS_FILE when tenants are configured, LLM_API_KEY_FILE when llm.apiKey names
a Secret (the key itself is never in the environment).
*/}}
{{- define "enhancer.workerFileEnv" -}}
{{- if (include "enhancer.tenants" . | fromJson).secret }}
- name: TENANTS_FILE
  value: {{ include "enhancer.tenantsFile" . | quote }}
{{- end }}
{{- if .Values.llm.apiKey.existingSecret }}
- name: LLM_API_KEY_FILE
  value: {{ include "enhancer.llmKeyFile" . | quote }}
{{- end }}
{{- end }}

{{/*
The worker's own volumes and mounts, beside /tmp and extraVolumes: the tenants file, the LLM key, and
worker.extraVolumes (e.g. the ServiceDesk Plus tokens the tenants name by token_file).
*/}}
{{- define "enhancer.workerVolumes" -}}
{{- if (include "enhancer.tenants" . | fromJson).secret }}
{{ include "enhancer.tenantsVolume" . }}
{{- end }}
{{- with .Values.llm.apiKey.existingSecret }}
- name: llm-api-key
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $.Values.llm.apiKey.key }}
        path: {{ include "enhancer.llmKeyFile" $ | base }}
{{- end }}
{{- with .Values.worker.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- define "enhancer.workerMounts" -}}
{{- if (include "enhancer.tenants" . | fromJson).secret }}
{{ include "enhancer.tenantsMount" . }}
{{- end }}
{{- if .Values.llm.apiKey.existingSecret }}
- name: llm-api-key
  mountPath: {{ include "enhancer.llmKeyFile" . | dir }}
  readOnly: true
{{- end }}
{{- with .Values.worker.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Where tenants.json comes from, as JSON {"secret", "inline" (when the chart makes the Secret), "from"}; "{}"
when no tenants are configured. `tenants` first; the older ingest.tenants still works alone (refused
beside `tenants`, so one release never reads two tenant lists).
*/}}
{{- define "enhancer.tenants" -}}
{{- $new := .Values.tenants }}
{{- $old := .Values.ingest.tenants }}
{{- $newSet := or $new.existingSecret $new.inline }}
{{- $oldSet := or $old.existingSecret $old.inline }}
{{- if and $newSet $oldSet }}
{{- fail "tenants and ingest.tenants are both set: ingest.tenants is the older name of tenants (now also mounted into the workers); move it to tenants and leave ingest.tenants empty" }}
{{- end }}
{{- $t := $new }}
{{- $from := "tenants" }}
{{- if $oldSet }}
{{- $t = $old }}
{{- $from = "ingest.tenants" }}
{{- end }}
{{- if and $t.existingSecret $t.inline }}
{{- fail (printf "%s: give either existingSecret or inline, not both" $from) }}
{{- end }}
{{- if $t.existingSecret }}
{{- toJson (dict "secret" $t.existingSecret "from" $from) }}
{{- else if $t.inline }}
{{- toJson (dict "secret" (include "enhancer.suffixed" (list . "-tenants")) "inline" $t.inline "from" $from) }}
{{- else }}
{{- "{}" }}
{{- end }}
{{- end }}

{{/* TENANTS_FILE in every pod that mounts the tenants Secret (a directory: the app watches it). */}}
{{- define "enhancer.tenantsFile" -}}
/etc/enhancer/tenants/tenants.json
{{- end }}

{{/* The tenants volume and its mount: the whole directory, never a subPath (the kubelet's `..data` swap). */}}
{{- define "enhancer.tenantsVolume" -}}
- name: tenants
  secret:
    secretName: {{ (include "enhancer.tenants" . | fromJson).secret }}
    items:
      - key: tenants.json
        path: {{ include "enhancer.tenantsFile" . | base }}
{{- end }}
{{- define "enhancer.tenantsMount" -}}
- name: tenants
  mountPath: {{ include "enhancer.tenantsFile" . | dir }}
  readOnly: true
{{- end }}

{{/*
Every servicedesk.token_file of the inline tenants must lie on a volume the worker mounts (extraVolumeMounts
or worker.extraVolumeMounts), or each write-back of that tenant fails as it reads the token. Tenants from an
existing Secret cannot be read here.
*/}}
{{- define "enhancer.checkTokenFiles" -}}
{{- $mounts := concat .Values.extraVolumeMounts .Values.worker.extraVolumeMounts }}
{{- $inline := (include "enhancer.tenants" . | fromJson).inline | default dict }}
{{- range $id := keys $inline | sortAlpha }}
{{- $file := dig "servicedesk" "token_file" "" (index $inline $id) }}
{{- if $file }}
{{- $on := false }}
{{- range $mounts }}
{{- $dir := trimSuffix "/" .mountPath }}
{{- if or (eq $file .mountPath) (hasPrefix (printf "%s/" $dir) $file) }}{{ $on = true }}{{ end }}
{{- end }}
{{- if not $on }}
{{- fail (printf "tenants.inline.%s.servicedesk.token_file (%s) is on no volume the workers mount, so every write-back of %s would fail reading its token: mount the Secret holding it with worker.extraVolumes and worker.extraVolumeMounts (docs/deployment.md, Tenants and ServiceDesk Plus)" $id $file $id) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
NetworkPolicyPeers of one egress peer block: its `to` and its `cidrs` as ipBlocks; empty when both are
(the rule then allows any destination on its ports).
*/}}
{{- define "enhancer.peers" -}}
{{- $peers := list }}
{{- range .to }}{{ $peers = append $peers . }}{{ end }}
{{- range .cidrs }}{{ $peers = append $peers (dict "ipBlock" (dict "cidr" .)) }}{{ end }}
{{- with $peers }}{{ toYaml . }}{{ end }}
{{- end }}

{{/* One egress rule: the peer block's ports, and its peers when it has any. */}}
{{- define "enhancer.egressRule" -}}
- ports:
    {{- toYaml .ports | nindent 4 }}
  {{- with include "enhancer.peers" . }}
  to:
    {{- . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The port an http(s) URL connects to: its own, else 443 or 80 by scheme. */}}
{{- define "enhancer.urlPort" -}}
{{- $u := urlParse . }}
{{- $port := regexFind ":[0-9]+$" $u.host | trimPrefix ":" }}
{{- $port | default (ternary "443" "80" (eq $u.scheme "https")) }}
{{- end }}

{{/*
"true" when a peer block's ports may admit the port (dict "ports" LIST "port" STRING): equal, within
port..endPort, or a named port (which only the destination pod resolves).
*/}}
{{- define "enhancer.portCovered" -}}
{{- $want := int .port }}
{{- range .ports }}
{{- if not (regexMatch "^[0-9]+$" (toString .port)) }}true
{{- else if eq (int .port) $want }}true
{{- else if and .endPort (le (int .port) $want) (le $want (int .endPort)) }}true
{{- end }}
{{- end }}
{{- end }}

{{/*
What the workers' NetworkPolicy leaves out that the values say the workers need, as NOTES lines: the model
at LLM_BASE_URL and the inline tenants' ServiceDesk Plus servers. A template cannot resolve a host, so only
the absence of peers and the ports are checked, never whether the addresses are the host's.
*/}}
{{- define "enhancer.egressNotes" -}}
{{- $np := .Values.networkPolicy }}
{{- if $np.enabled }}
{{- with .Values.config.LLM_BASE_URL }}
{{- $port := include "enhancer.urlPort" . }}
{{- if not (or $np.llm.to $np.llm.cidrs) }}

NOTE: config.LLM_BASE_URL is {{ . }}, but the workers' NetworkPolicy has no rule for it
(networkPolicy.llm has no peers), so every model call will time out and notes fall back to extractive.
A NetworkPolicy cannot name hosts: give the addresses of {{ (urlParse .).hostname }} in networkPolicy.llm.cidrs,
or the in-cluster server's pods (or an egress proxy) in networkPolicy.llm.to, on port {{ $port }}.
{{- else if not (include "enhancer.portCovered" (dict "ports" $np.llm.ports "port" $port)) }}

NOTE: config.LLM_BASE_URL is {{ . }}, on port {{ $port }}, which networkPolicy.llm.ports does not admit,
so model calls may time out (notes then fall back to extractive). Add it; behind a Service that forwards to
another port, a NetworkPolicy sees the pod's port: list that one.
{{- end }}
{{- end }}
{{- $t := include "enhancer.tenants" . | fromJson }}
{{- $blocked := list }}
{{- $ports := list }}
{{- $inline := $t.inline | default dict }}
{{- range $id := keys $inline | sortAlpha }}
{{- with dig "servicedesk" "url" "" (index $inline $id) }}
{{- $port := include "enhancer.urlPort" . }}
{{- if not (or $np.servicedesk.to $np.servicedesk.cidrs) }}
{{- $blocked = append $blocked (printf "%s (%s)" $id (urlParse .).hostname) }}
{{- else if not (include "enhancer.portCovered" (dict "ports" $np.servicedesk.ports "port" $port)) }}
{{- $ports = append $ports (printf "%s (%s, port %s)" $id (urlParse .).hostname $port) }}
{{- end }}
{{- end }}
{{- end }}
{{- with $blocked }}

NOTE: the workers' NetworkPolicy has no rule for the ServiceDesk Plus of these tenants (networkPolicy.servicedesk
has no peers), so their write-backs will fail: {{ join ", " . }}.
Give the servers' addresses in networkPolicy.servicedesk.cidrs, or an egress proxy in networkPolicy.servicedesk.to.
{{- end }}
{{- with $ports }}

NOTE: networkPolicy.servicedesk.ports does not admit the port of these tenants' ServiceDesk Plus, so their
write-backs will fail: {{ join ", " . }}.
{{- end }}
{{- if and $t.secret (not $t.inline) (not (or $np.servicedesk.to $np.servicedesk.cidrs)) }}

NOTE: the tenants come from Secret {{ $t.secret }}, which the chart cannot read. If a tenant has a
servicedesk, the workers' NetworkPolicy blocks its write-backs until networkPolicy.servicedesk names the
servers (cidrs) or an egress proxy (to).
{{- end }}
{{- end }}
{{- end }}

{{/*
The Postgres connections the workers may open, for NOTES: per pod DATABASE_POOL_MAX, plus CONTEXT_POOL_MAX
with the context pipeline (its own pool), times the most pods the scaler allows.
*/}}
{{- define "enhancer.connectionNotes" -}}
{{- $c := .Values.config }}
{{- $db := int ($c.DATABASE_POOL_MAX | default "4") }}
{{- $context := eq (toString ($c.ENHANCER_PIPELINE | default "context")) "context" }}
{{- $ctx := ternary (int ($c.CONTEXT_POOL_MAX | default "4")) 0 $context }}
{{- $pods := int .Values.worker.replicas }}
{{- $by := "worker.replicas" }}
{{- if include "enhancer.kedaEnabled" . }}
{{- $pods = int .Values.keda.maxReplicaCount }}
{{- $by = "keda.maxReplicaCount" }}
{{- else if include "enhancer.hpaEnabled" . }}
{{- $pods = int .Values.autoscaling.maxReplicas }}
{{- $by = "autoscaling.maxReplicas" }}
{{- end }}
{{- $per := add $db $ctx }}
Postgres connections: each worker pod opens up to {{ $per }}{{ if $context }} (DATABASE_POOL_MAX {{ $db }} + CONTEXT_POOL_MAX {{ $ctx }}){{ else }} (DATABASE_POOL_MAX){{ end }},
so {{ mul $per $pods }} at {{ $pods }} pods ({{ $by }}), more while a rollout's surge and draining pods overlap.
Postgres' max_connections (100 by default) must cover that beside its other clients (docs/deployment.md).
{{- end }}

{{/* The DNS egress rule: UDP and TCP 53 to the cluster DNS (networkPolicy.dns.to). */}}
{{- define "enhancer.dnsEgress" -}}
{{- $dns := .Values.networkPolicy.dns }}
{{- if $dns.enabled }}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with $dns.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
What the schema cannot say about ingest, checked once by its Deployment. The drain time is the app's
(DRAIN_GRACE_MS in src/ingest/run-ingest.ts: 10 s).
*/}}
{{- define "enhancer.checkIngest" -}}
{{- $in := .Values.ingest }}
{{- if not (include "enhancer.tenants" . | fromJson).secret }}
{{- fail "ingest.enabled needs tenants: set tenants.existingSecret (a Secret with the key tenants.json) or tenants.inline (e.g. {acme: {secret: <at least 16 characters>}})" }}
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

{{/*
An alert's count of counter increments within a window that also sees the first increment of a new
series. A labelled prom-client counter has no series until its first inc(), so Prometheus first sees
it at 1 and `increase()` over its only sample(s) misses that first event. Per series: increase() where
the series already existed a window ago, else its whole value (every increment happened since it
appeared). Called with (dict "metric" NAME "sel" MATCHERS "window" W "by" "reason").
*/}}
{{- define "enhancer.newSafeIncrease" -}}
{{- $s := printf "%s{%s}" .metric .sel }}
{{- $new := printf "(%s unless %s offset %s)" $s $s .window }}
{{- printf "sum%s((increase(%s[%s]) unless %s) or %s)" (ternary (printf " by (%s) " .by) "" (ne (.by | default "") "")) $s .window $new $new }}
{{- end }}

{{/* The scrape settings both ServiceMonitor endpoints share. */}}
{{- define "enhancer.scrapeSettings" -}}
{{- $sm := .Values.serviceMonitor }}
interval: {{ $sm.interval }}
scrapeTimeout: {{ $sm.scrapeTimeout }}
honorLabels: {{ $sm.honorLabels }}
{{- with $sm.relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $sm.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
