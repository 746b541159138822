{{- define "taskbound.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "taskbound.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "taskbound.selectorLabels" -}}
app.kubernetes.io/name: {{ include "taskbound.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "taskbound.labels" -}}
{{ include "taskbound.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "taskbound.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "taskbound.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The issuer's configuration: the user's config with what the chart owns laid over it. */}}
{{- define "taskbound.issuerConfig" -}}
{{- $owned := dict
  "listen" "0.0.0.0:8443"
  "data_dir" "/var/lib/taskbound"
  "tls" (dict "cert_file" "/etc/taskbound/tls/tls.crt" "key_file" "/etc/taskbound/tls/tls.key")
  "store" (dict "postgres_url" .Values.postgresql.url "postgres_user" .Values.postgresql.user "password_env" "TASKBOUND_DB_PASSWORD")
-}}
{{- if .Values.sharedKeys.existingSecret }}
{{- $_ := set $owned.store "key_encryption_env" "TASKBOUND_KEY_ENCRYPTION_KEY" -}}
{{- else if gt (int .Values.replicaCount) 1 }}
{{- fail "replicaCount > 1 needs sharedKeys.existingSecret: replicas without shared keys retire each other's keys (docs/replicas.md)" -}}
{{- end }}
{{- if .Values.policy }}
{{- $_ := set $owned "policy" (dict "file" "/etc/taskbound/policy/policy.yaml") -}}
{{- end }}
{{- if hasKey .Values.config "dev" }}
{{- fail "config.dev: dev mode serves plain HTTP on loopback only; it has no place in a cluster" -}}
{{- end }}
{{- toYaml (mergeOverwrite (deepCopy .Values.config) $owned) -}}
{{- end -}}
