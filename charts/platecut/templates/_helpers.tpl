{{/* Names -------------------------------------------------------------------------------- */}}

{{- define "platecut.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<release>-platecut", or the release name when it already holds the chart name; at most 40
characters, so that "<fullname>-<suffix>" names stay DNS-1123 labels. */}}
{{- define "platecut.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "platecut.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* This release's name on its split Jobs (platecut.io/owner, PLATECUT_K8S_OWNER): releases sharing
the jobs namespace each see their own. */}}
{{- define "platecut.jobOwner" -}}
{{- printf "%s.%s" .Release.Namespace .Release.Name | trunc 63 | trimSuffix "-" | trimSuffix "." -}}
{{- end -}}

{{- define "platecut.jobsNamespace" -}}
{{- default .Release.Namespace .Values.jobs.namespace -}}
{{- end -}}

{{- define "platecut.apiServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-api" (include "platecut.fullname" .)) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "platecut.jobServiceAccountName" -}}
{{- default (printf "%s-split" (include "platecut.fullname" .)) .Values.jobs.serviceAccount.name -}}
{{- end -}}

{{/* Labels ------------------------------------------------------------------------------- */}}

{{- define "platecut.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platecut.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of an object: call with (dict "root" $ "component" "api"). */}}
{{- define "platecut.labels" -}}
{{ include "platecut.selectorLabels" . }}
helm.sh/chart: {{ include "platecut.chart" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: platecut
platecut.io/site: {{ .root.Values.site | quote }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Images ------------------------------------------------------------------------------- */}}

{{/* repository:tag or repository@digest: call with (dict "root" $ "image" .Values.image). */}}
{{- define "platecut.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Generated secrets ----------------------------------------------------------------------- */}}

{{/* A random value kept across upgrades: the one already in Secret .secret (key .key) in the
release namespace, else a new one, the same for every template of this render.
Call with (dict "root" $ "secret" NAME "key" KEY). */}}
{{- define "platecut.generated" -}}
{{- $root := .root -}}
{{- if not (hasKey $root.Values "__generated") -}}
{{- $_ := set $root.Values "__generated" (dict) -}}
{{- end -}}
{{- $cache := get $root.Values "__generated" -}}
{{- $id := printf "%s/%s" .secret .key -}}
{{- if not (hasKey $cache $id) -}}
{{- $value := randAlphaNum 40 -}}
{{- $existing := lookup "v1" "Secret" $root.Release.Namespace .secret -}}
{{- if and $existing (hasKey $existing "data") -}}
{{- if hasKey $existing.data .key -}}
{{- $value = index $existing.data .key | b64dec -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cache $id $value -}}
{{- end -}}
{{- get $cache $id -}}
{{- end -}}

{{- define "platecut.postgresqlPassword" -}}
{{- if .Values.postgresql.password -}}
{{- .Values.postgresql.password -}}
{{- else -}}
{{- include "platecut.generated" (dict "root" . "secret" (printf "%s-postgresql" (include "platecut.fullname" .)) "key" "password") -}}
{{- end -}}
{{- end -}}

{{- define "platecut.rabbitmqPassword" -}}
{{- if .Values.rabbitmq.password -}}
{{- .Values.rabbitmq.password -}}
{{- else -}}
{{- include "platecut.generated" (dict "root" . "secret" (printf "%s-rabbitmq" (include "platecut.fullname" .)) "key" "password") -}}
{{- end -}}
{{- end -}}

{{- define "platecut.minioPassword" -}}
{{- if .Values.minio.rootPassword -}}
{{- .Values.minio.rootPassword -}}
{{- else -}}
{{- include "platecut.generated" (dict "root" . "secret" (printf "%s-minio" (include "platecut.fullname" .)) "key" "root-password") -}}
{{- end -}}
{{- end -}}

{{/* Where each secret comes from -------------------------------------------------------------- */}}

{{/* The chart's own Secret of the control plane: database-url, broker-url, signing-secret, for
those that do not come from a Secret of yours. */}}
{{- define "platecut.secretName" -}}
{{- include "platecut.fullname" . -}}
{{- end -}}

{{/* secretKeyRef {name, key} of a bundled service's password: your existingSecret, else the chart's
Secret "<fullname>-<service>". Call with (dict "root" $ "service" "postgresql"|"rabbitmq"). */}}
{{- define "platecut.bundledPasswordRef" -}}
{{- $values := index .root.Values .service -}}
{{- if $values.existingSecret -}}
name: {{ $values.existingSecret }}
key: {{ $values.existingSecretKey }}
{{- else -}}
name: {{ printf "%s-%s" (include "platecut.fullname" .root) .service }}
key: password
{{- end -}}
{{- end -}}

{{/* The environment of a URL whose password is in a Secret of yours (a bundled service's
existingSecret): the password first, then the URL built from it by Kubernetes' $(VAR) expansion.
Call with (dict "root" $ "name" "PLATECUT_DATABASE_URL" "service" "postgresql" "url" "scheme://user:%s@host/..."). */}}
{{- define "platecut.urlFromPasswordEnv" -}}
{{- $password := printf "%s_PASSWORD" (upper .service) -}}
- name: {{ $password }}
  valueFrom:
    secretKeyRef:
      {{- include "platecut.bundledPasswordRef" (dict "root" .root "service" .service) | nindent 6 }}
- name: {{ .name }}
  value: {{ printf .url (printf "$(%s)" $password) | quote }}
{{- end -}}

{{/* PLATECUT_DATABASE_URL and PLATECUT_BROKER_URL of the control plane's pods. */}}
{{- define "platecut.databaseEnv" -}}
{{- if and .Values.postgresql.enabled .Values.postgresql.existingSecret -}}
{{- $pg := .Values.postgresql -}}
{{- $url := printf "postgresql+psycopg://%s:%%s@%s-postgresql:5432/%s" $pg.username (include "platecut.fullname" .) $pg.database -}}
{{- include "platecut.urlFromPasswordEnv" (dict "root" . "name" "PLATECUT_DATABASE_URL" "service" "postgresql" "url" $url) -}}
{{- else -}}
- name: PLATECUT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- include "platecut.databaseRef" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{- define "platecut.brokerEnv" -}}
{{- if and .Values.rabbitmq.enabled .Values.rabbitmq.existingSecret -}}
{{- $url := printf "amqp://%s:%%s@%s-rabbitmq:5672//" .Values.rabbitmq.username (include "platecut.fullname" .) -}}
{{- include "platecut.urlFromPasswordEnv" (dict "root" . "name" "PLATECUT_BROKER_URL" "service" "rabbitmq" "url" $url) -}}
{{- else -}}
- name: PLATECUT_BROKER_URL
  valueFrom:
    secretKeyRef:
      {{- include "platecut.brokerRef" . | nindent 6 }}
{{- end -}}
{{- end -}}

{{- define "platecut.databaseUrl" -}}
{{- if and .Values.postgresql.enabled .Values.postgresql.existingSecret -}}
{{- else if .Values.postgresql.enabled -}}
{{- $pg := .Values.postgresql -}}
{{- printf "postgresql+psycopg://%s:%s@%s-postgresql:5432/%s" $pg.username (include "platecut.postgresqlPassword" .) (include "platecut.fullname" .) $pg.database -}}
{{- else -}}
{{- .Values.database.url -}}
{{- end -}}
{{- end -}}

{{- define "platecut.brokerUrl" -}}
{{- if and .Values.rabbitmq.enabled .Values.rabbitmq.existingSecret -}}
{{- else if .Values.rabbitmq.enabled -}}
{{- printf "amqp://%s:%s@%s-rabbitmq:5672//" .Values.rabbitmq.username (include "platecut.rabbitmqPassword" .) (include "platecut.fullname" .) -}}
{{- else -}}
{{- .Values.broker.url -}}
{{- end -}}
{{- end -}}

{{/* secretKeyRef {name, key} of the database URL. */}}
{{- define "platecut.databaseRef" -}}
{{- if include "platecut.databaseUrl" . -}}
name: {{ include "platecut.secretName" . }}
key: database-url
{{- else if .Values.database.existingSecret -}}
name: {{ .Values.database.existingSecret }}
key: {{ .Values.database.existingSecretKey }}
{{- else -}}
{{- fail "platecut needs a database: set database.url, database.existingSecret or postgresql.enabled" -}}
{{- end -}}
{{- end -}}

{{- define "platecut.brokerRef" -}}
{{- if include "platecut.brokerUrl" . -}}
name: {{ include "platecut.secretName" . }}
key: broker-url
{{- else if .Values.broker.existingSecret -}}
name: {{ .Values.broker.existingSecret }}
key: {{ .Values.broker.existingSecretKey }}
{{- else -}}
{{- fail "platecut needs a Celery broker: set broker.url, broker.existingSecret or rabbitmq.enabled" -}}
{{- end -}}
{{- end -}}

{{- define "platecut.signingRef" -}}
{{- if .Values.signingSecret.existingSecret -}}
name: {{ .Values.signingSecret.existingSecret }}
key: {{ .Values.signingSecret.existingSecretKey }}
{{- else -}}
name: {{ include "platecut.secretName" . }}
key: signing-secret
{{- end -}}
{{- end -}}

{{/* "chart": the chart makes the S3 Secret (bundled MinIO or keys in values); "existing": a Secret
of yours; "": no keys at all (boto3's credential chain, e.g. an IAM role). */}}
{{- define "platecut.s3CredentialSource" -}}
{{- if and .Values.minio.enabled .Values.minio.existingSecret -}}
existing
{{- else if or .Values.minio.enabled (and .Values.s3.accessKeyId .Values.s3.secretAccessKey) -}}
chart
{{- else if .Values.s3.existingSecret -}}
existing
{{- end -}}
{{- end -}}

{{- define "platecut.s3SecretName" -}}
{{- $source := include "platecut.s3CredentialSource" . -}}
{{- if eq $source "chart" -}}
{{- printf "%s-s3" (include "platecut.fullname" .) -}}
{{- else if eq $source "existing" -}}
{{- ternary .Values.minio.existingSecret .Values.s3.existingSecret (and .Values.minio.enabled (ne .Values.minio.existingSecret "")) -}}
{{- end -}}
{{- end -}}

{{/* The Secret the split Jobs get whole (envFrom); "" for none. */}}
{{- define "platecut.jobEnvSecret" -}}
{{- default (include "platecut.s3SecretName" .) .Values.jobs.envSecret -}}
{{- end -}}

{{- define "platecut.s3Endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "http://%s-minio.%s.svc:9000" (include "platecut.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- .Values.s3.endpoint -}}
{{- end -}}
{{- end -}}

{{- define "platecut.s3PublicEndpoint" -}}
{{- if .Values.s3.publicEndpoint -}}
{{- .Values.s3.publicEndpoint -}}
{{- else if and .Values.minio.enabled .Values.minio.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.minio.ingress.tls.enabled) .Values.minio.ingress.host -}}
{{- else -}}
{{- include "platecut.s3Endpoint" . -}}
{{- end -}}
{{- end -}}

{{- define "platecut.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s-api.%s.svc:%d" (include "platecut.fullname" .) .Release.Namespace (int .Values.api.service.port) -}}
{{- end -}}
{{- end -}}

{{/* Pod parts ---------------------------------------------------------------------------------- */}}

{{/* Secret environment of the control plane (the rest is in the ConfigMap, by envFrom). */}}
{{- define "platecut.secretEnv" -}}
{{ include "platecut.databaseEnv" . }}
{{ include "platecut.brokerEnv" . }}
- name: PLATECUT_SIGNING_SECRET
  valueFrom:
    secretKeyRef:
      {{- include "platecut.signingRef" . | nindent 6 }}
{{- with include "platecut.s3SecretName" . }}
- name: PLATECUT_S3_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: AWS_ACCESS_KEY_ID
- name: PLATECUT_S3_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: AWS_SECRET_ACCESS_KEY
{{- end }}
{{- with .Values.trackers.kitsu }}
{{- if .existingSecret }}
- name: PLATECUT_KITSU_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .existingSecretKey }}
{{- end }}
{{- end }}
{{- with .Values.trackers.shotgrid }}
{{- if .existingSecret }}
- name: PLATECUT_SHOTGRID_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .existingSecretKey }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration or a Secret the chart makes changes
(generated values are read back from the cluster, so they stay the same across upgrades). */}}
{{- define "platecut.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secrets.yaml") . | sha256sum }}
{{- end -}}

{{- define "platecut.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* The writable /tmp of the control-plane containers (their root filesystem is read-only). */}}
{{- define "platecut.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
{{- end -}}
