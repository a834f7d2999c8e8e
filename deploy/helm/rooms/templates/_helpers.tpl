{{/* Names and labels. */}}
{{- define "rooms.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rooms.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rooms.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "rooms.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one role: dict "root" $ "role" "websocket". */}}
{{- define "rooms.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rooms.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "rooms.roleLabels" -}}
{{ include "rooms.labels" .root }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "rooms.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "rooms.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "rooms.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "rooms.secretName" -}}
{{- default (include "rooms.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/*
One role's config file: config, with the role's own settings over it, its role and listen address, and the
bundled services' endpoints when those are enabled. dict "root" $ "role" "websocket".
*/}}
{{- define "rooms.roleConfig" -}}
{{- $v := .root.Values -}}
{{- $roleValues := index $v .role -}}
{{- $c := mergeOverwrite (deepCopy $v.config) (deepCopy (default (dict) $roleValues.config)) -}}
{{- $_ := set $c "role" .role -}}
{{- $_ := set $c "listen" (printf "0.0.0.0:%v" $roleValues.port) -}}
{{- if $v.redis.enabled -}}
{{- $_ := set $c.redis "address" (printf "%s-redis-master:6379" .root.Release.Name) -}}
{{- end -}}
{{- if $v.kafka.enabled -}}
{{- $_ := set $c.kafka "brokers" (printf "%s-kafka:9092" .root.Release.Name) -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}

{{/* The PostgreSQL DSN the chart's Secret holds. */}}
{{- define "rooms.postgresDsn" -}}
{{- if .Values.postgresql.enabled -}}
{{- $a := .Values.postgresql.auth -}}
{{- $password := required "postgresql.auth.password is required with postgresql.enabled" $a.password -}}
{{- printf "postgresql://%s:%s@%s-postgresql:5432/%s" $a.username (urlquery $password) .Release.Name $a.database -}}
{{- else -}}
{{- required "secrets.postgresDsn (or secrets.existingSecret) is required: the libpq URI of PostgreSQL" .Values.secrets.postgresDsn -}}
{{- end -}}
{{- end -}}

{{/* Environment every rooms container gets: the secrets (one Secret, optional keys may be absent). */}}
{{- define "rooms.secretEnv" -}}
- name: ROOMS_POSTGRES_DSN
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: postgres-dsn
{{- if .withJwt }}
- name: ROOMS_AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: jwt-secret
{{- end }}
- name: ROOMS_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
{{- if .root.Values.redis.enabled }}
      name: {{ .root.Release.Name }}-redis
      key: redis-password
{{- else }}
      name: {{ .secretName }}
      key: redis-password
{{- end }}
      optional: true
{{- end -}}

{{/* Required or preferred anti-affinity of one role's pods on kubernetes.io/hostname. */}}
{{- define "rooms.affinity" -}}
{{- $roleValues := index .root.Values .role -}}
{{- $mode := default .root.Values.antiAffinity $roleValues.antiAffinity -}}
podAntiAffinity:
{{- if eq $mode "required" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "rooms.selectorLabels" . | nindent 10 }}
{{- else if eq $mode "preferred" }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "rooms.selectorLabels" . | nindent 12 }}
{{- else }}
{{- fail (printf "antiAffinity of %s must be required or preferred, not %q" .role $mode) }}
{{- end }}
{{- end -}}

{{/*
The pod template of one role: dict "root" $ "role" "websocket" "command" (list ...). The config file is the
role's key of the ConfigMap, mounted at /etc/rooms.
*/}}
{{- define "rooms.podTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $r := index $v .role -}}
metadata:
  labels:
    {{- include "rooms.selectorLabels" . | nindent 4 }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed configuration rolls the pods.
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- if $v.metrics.podAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $r.port | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with $v.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "rooms.serviceAccountName" $root }}
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ $r.terminationGracePeriodSeconds }}
  affinity:
    {{- include "rooms.affinity" . | nindent 4 }}
  {{- with (default $v.nodeSelector $r.nodeSelector) }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: rooms
      image: {{ include "rooms.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      command:
        {{- toYaml .command | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ $r.port }}
          protocol: TCP
      env:
        {{- include "rooms.secretEnv" (dict "root" $root "secretName" (include "rooms.secretName" $root) "withJwt" (ne .role "consumer")) | nindent 8 }}
        {{- with .extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $r.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      readinessProbe:
        httpGet: {path: /readyz, port: http}
        {{- toYaml $v.probes.readiness | nindent 8 }}
      livenessProbe:
        httpGet: {path: /healthz, port: http}
        {{- toYaml $v.probes.liveness | nindent 8 }}
      startupProbe:
        httpGet: {path: /healthz, port: http}
        {{- toYaml $v.probes.startup | nindent 8 }}
      {{- if gt (int $r.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", "{{ $r.preStopSleepSeconds }}"]
      {{- end }}
      resources:
        {{- toYaml $r.resources | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/rooms
          readOnly: true
        - name: tmp
          mountPath: /tmp
        - name: data
          mountPath: /data
  volumes:
    - name: config
      configMap:
        name: {{ include "rooms.fullname" $root }}
    - name: tmp
      emptyDir: {}
    - name: data
      emptyDir: {}
{{- end -}}

{{/*
When the hook Jobs run. Pre-install normally, so no pod starts before the schema and topics exist; with a
bundled PostgreSQL or Kafka (installed with the release, after pre-install hooks) post-install instead.
*/}}
{{- define "rooms.hookEvents" -}}
{{- if or .Values.postgresql.enabled .Values.kafka.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end -}}
