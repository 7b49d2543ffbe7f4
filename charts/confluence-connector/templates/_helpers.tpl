{{/* Names, labels and the image reference shared by every template. */}}

{{- define "confluence-connector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "confluence-connector.fullname" -}}
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

{{- define "confluence-connector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "confluence-connector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.selectorComponentLabel }}
{{- end }}

{{- define "confluence-connector.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "confluence-connector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "confluence-connector.serviceAccountName" -}}
{{- if .Values.serviceAccount.enabled }}
{{- default (include "confluence-connector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "confluence-connector.image" -}}
{{- $registry := .Values.image.registry }}
{{- with .Values.global }}{{ with .image }}{{ if .registry }}{{ $registry = .registry }}{{ end }}{{ end }}{{ end }}
{{- $ref := printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $ref }}{{ end }}
{{- if .Values.image.useDigest }}
{{- if not .Values.image.digest }}{{ fail "image.useDigest is true but image.digest is empty: set image.digest to sha256:<64 hex>" }}{{ end }}
{{- $ref = printf "%s@%s" $ref .Values.image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{/* Whether the chart renders the tenant ConfigMap. */}}
{{- define "confluence-connector.rendersTenants" -}}
{{- if and .Values.connectorConfig.enabled (not .Values.connectorConfig.existingConfigMap) .Values.connectorConfig.tenants }}true{{ end }}
{{- end }}

{{/* The ConfigMap mounted at /app/tenant-configs, or empty when none is mounted. */}}
{{- define "confluence-connector.tenantConfigMapName" -}}
{{- if .Values.connectorConfig.existingConfigMap }}
{{- .Values.connectorConfig.existingConfigMap }}
{{- else if include "confluence-connector.rendersTenants" . }}
{{- printf "%s-tenant-config" (include "confluence-connector.fullname" .) }}
{{- end }}
{{- end }}

{{/* Selector placed in every alert expression. */}}
{{- define "confluence-connector.metricSelector" -}}
{{- default (printf "namespace=%q" .Release.Namespace) .Values.prometheus.rules.metricSelector }}
{{- end }}
