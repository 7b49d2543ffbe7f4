{{/*
Tenant files: values under connectorConfig.tenants[] become one `<name>-tenant-config.yaml` each,
in the format of docs/configuration.md. Rules the JSON schema cannot express (names, URLs after
templating, cross-tenant rules) fail the render here with the tenant's position and name.
*/}}

{{/* "tpl" a value of a tenant: template strings may use .Release.Namespace or `fail`. */}}
{{- define "confluence-connector.tpl" -}}
{{- tpl (toString .value) .root }}
{{- end }}

{{/* Fails unless .url is an http(s) URL with a host and no trailing '/'. */}}
{{- define "confluence-connector.checkUrl" -}}
{{- if not (regexMatch "^https?://[^/?#\\s]+([/?#][^\\s]*)?$" .url) }}
{{- fail (printf "%s: %s must be an absolute http(s) URL (got %q)" .where .key .url) }}
{{- end }}
{{- if hasSuffix "/" .url }}
{{- fail (printf "%s: %s must not end with '/' (got %q)" .where .key .url) }}
{{- end }}
{{- end }}

{{/* The auth mapping of `confluence.auth` or `source.auth`. */}}
{{- define "confluence-connector.authBlock" -}}
{{- $a := .auth }}{{ $root := .root }}
{{- $out := dict "mode" $a.mode }}
{{- if eq $a.mode "oauth_2lo" }}
{{- $_ := set $out "clientId" (include "confluence-connector.tpl" (dict "value" $a.clientId "root" $root)) }}
{{- $_ := set $out "clientSecret" $a.clientSecret }}
{{- with $a.tokenUrl }}
{{- $url := include "confluence-connector.tpl" (dict "value" . "root" $root) }}
{{- include "confluence-connector.checkUrl" (dict "url" $url "key" (printf "%s.tokenUrl" $.path) "where" $.where) }}
{{- $_ := set $out "tokenUrl" $url }}
{{- end }}
{{- else if eq $a.mode "pat" }}
{{- $_ := set $out "token" $a.token }}
{{- else if eq $a.mode "basic" }}
{{- $_ := set $out "username" $a.username }}
{{- $_ := set $out "password" $a.password }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* Default Unique base URL built from internalServices.dependencies.<key>. */}}
{{- define "confluence-connector.internalUrl" -}}
{{- $dep := index .root.Values.internalServices.dependencies .key }}
{{- printf "http://%s.%s.svc.cluster.local:%v%s" $dep.name (default .root.Release.Namespace $dep.namespace) (int $dep.servicePort) (default "" $dep.basePath) }}
{{- end }}

{{/* One tenant file as a YAML document. Input: dict "tenant" "index" "root". */}}
{{- define "confluence-connector.tenantFile" -}}
{{- $t := .tenant }}{{ $root := .root }}
{{- $where := printf "connectorConfig.tenants[%d] (%s)" (int .index) $t.name }}
{{- $file := dict }}
{{- with $t.status }}{{ $_ := set $file "status" . }}{{ end }}
{{- /* confluence: a first-party Confluence tenant */}}
{{- with $t.confluence }}
{{- $c := dict "instanceType" .instanceType "apiRateLimitPerMinute" .apiRateLimitPerMinute "ingestSingleLabel" .ingestSingleLabel "ingestAllLabel" .ingestAllLabel }}
{{- $baseUrl := include "confluence-connector.tpl" (dict "value" .baseUrl "root" $root) }}
{{- include "confluence-connector.checkUrl" (dict "url" $baseUrl "key" "confluence.baseUrl" "where" $where) }}
{{- $_ := set $c "baseUrl" $baseUrl }}
{{- if eq .instanceType "cloud" }}
{{- $_ := set $c "cloudId" (include "confluence-connector.tpl" (dict "value" .cloudId "root" $root)) }}
{{- range $key := list "apiBaseUrl" "mediaBaseUrl" }}
{{- with index $t.confluence $key }}
{{- $url := include "confluence-connector.tpl" (dict "value" . "root" $root) }}
{{- include "confluence-connector.checkUrl" (dict "url" $url "key" (printf "confluence.%s" $key) "where" $where) }}
{{- $_ := set $c $key $url }}
{{- end }}
{{- end }}
{{- else if or .apiBaseUrl .mediaBaseUrl }}
{{- fail (printf "%s: confluence.apiBaseUrl and confluence.mediaBaseUrl apply to instanceType cloud only" $where) }}
{{- end }}
{{- $_ := set $c "auth" (include "confluence-connector.authBlock" (dict "auth" .auth "root" $root "path" "confluence.auth" "where" $where) | fromJson) }}
{{- $_ := set $file "confluence" $c }}
{{- with $t.source }}
{{- $extra := without (keys . | sortAlpha) "plugin" }}
{{- if $extra }}
{{- fail (printf "%s: beside confluence, source takes only plugin (got %s); source.config and source.auth belong to third-party plugin tenants, which have no confluence section" $where (join ", " $extra)) }}
{{- end }}
{{- $other := ternary "confluence-data-center" "confluence-cloud" (eq $t.confluence.instanceType "cloud") }}
{{- if eq .plugin $other }}
{{- fail (printf "%s: source.plugin %s is the first-party plugin of the other instance type (instanceType is %s)" $where .plugin $t.confluence.instanceType) }}
{{- end }}
{{- $_ := set $file "source" (dict "plugin" .plugin) }}
{{- end }}
{{- end }}
{{- /* source: a third-party plugin tenant */}}
{{- if and $t.source (not $t.confluence) }}
{{- if has $t.source.plugin (list "confluence-cloud" "confluence-data-center") }}
{{- fail (printf "%s: source.plugin %s is a first-party Confluence plugin: its tenants need a confluence section" $where $t.source.plugin) }}
{{- end }}
{{- $s := dict "plugin" $t.source.plugin }}
{{- with $t.source.config }}{{ $_ := set $s "config" . }}{{ end }}
{{- with $t.source.apiRateLimitPerMinute }}{{ $_ := set $s "apiRateLimitPerMinute" . }}{{ end }}
{{- with $t.source.auth }}
{{- if and (eq .mode "oauth_2lo") (not .tokenUrl) }}
{{- fail (printf "%s: source.auth.tokenUrl is required with mode oauth_2lo (a plugin source has no default token endpoint)" $where) }}
{{- end }}
{{- $_ := set $s "auth" (include "confluence-connector.authBlock" (dict "auth" . "root" $root "path" "source.auth" "where" $where) | fromJson) }}
{{- end }}
{{- $_ := set $file "source" $s }}
{{- end }}
{{- /* unique */}}
{{- $u := $t.unique }}
{{- $unique := dict "serviceAuthMode" $u.authMode }}
{{- if eq $u.authMode "cluster_local" }}
{{- $headers := dict }}
{{- range $name, $value := $u.serviceExtraHeaders }}
{{- $_ := set $headers $name (include "confluence-connector.tpl" (dict "value" $value "root" $root)) }}
{{- end }}
{{- range $required := list "x-company-id" "x-user-id" }}
{{- if not (trim (default "" (get $headers $required))) }}
{{- fail (printf "%s: unique.serviceExtraHeaders.%s is required with authMode cluster_local" $where $required) }}
{{- end }}
{{- end }}
{{- $_ := set $unique "serviceExtraHeaders" $headers }}
{{- else }}
{{- $z := $u.zitadel | default dict }}
{{- range $required := list "oauthTokenUrl" "projectId" "clientId" }}
{{- if not (hasKey $z $required) }}
{{- fail (printf "%s: unique.zitadel.%s is required with authMode external" $where $required) }}
{{- end }}
{{- end }}
{{- $tokenUrl := include "confluence-connector.tpl" (dict "value" $z.oauthTokenUrl "root" $root) }}
{{- include "confluence-connector.checkUrl" (dict "url" $tokenUrl "key" "unique.zitadel.oauthTokenUrl" "where" $where) }}
{{- $_ := set $unique "zitadelOauthTokenUrl" $tokenUrl }}
{{- $_ := set $unique "zitadelProjectId" (include "confluence-connector.tpl" (dict "value" $z.projectId "root" $root)) }}
{{- $_ := set $unique "zitadelClientId" (include "confluence-connector.tpl" (dict "value" $z.clientId "root" $root)) }}
{{- $_ := set $unique "zitadelClientSecret" (default "os.environ/ZITADEL_CLIENT_SECRET" $z.clientSecret) }}
{{- end }}
{{- range $pair := list (list "ingestionServiceBaseUrl" "ingestion") (list "scopeManagementServiceBaseUrl" "scopeManagement") }}
{{- $key := index $pair 0 }}
{{- $url := include "confluence-connector.tpl" (dict "value" (default "" (index $u $key)) "root" $root) }}
{{- if not $url }}{{ $url = include "confluence-connector.internalUrl" (dict "root" $root "key" (index $pair 1)) }}{{ end }}
{{- include "confluence-connector.checkUrl" (dict "url" $url "key" (printf "unique.%s" $key) "where" $where) }}
{{- $_ := set $unique $key $url }}
{{- end }}
{{- with $u.apiRateLimitPerMinute }}{{ $_ := set $unique "apiRateLimitPerMinute" . }}{{ end }}
{{- with $u.ingestionConfig }}{{ $_ := set $unique "ingestionConfig" . }}{{ end }}
{{- $_ := set $file "unique" $unique }}
{{- /* processing: always a mapping (the service requires the key) */}}
{{- $p := $t.processing | default dict }}
{{- $processing := dict }}
{{- with $p.concurrency }}{{ $_ := set $processing "concurrency" . }}{{ end }}
{{- with $p.scanIntervalCron }}{{ $_ := set $processing "scanIntervalCron" . }}{{ end }}
{{- with $p.maxItemsToScan }}{{ $_ := set $processing "maxItemsToScan" . }}{{ end }}
{{- $_ := set $file "processing" $processing }}
{{- /* ingestion */}}
{{- $i := $t.ingestion }}
{{- $ingestion := dict "ingestionMode" (default "flat" $i.ingestionMode) "scopeId" (include "confluence-connector.tpl" (dict "value" $i.scopeId "root" $root)) "storeInternally" (default "enabled" $i.storeInternally) "useV1KeyFormat" (default "disabled" $i.useV1KeyFormat) }}
{{- if not (trim (get $ingestion "scopeId")) }}
{{- fail (printf "%s: ingestion.scopeId must not be empty" $where) }}
{{- end }}
{{- if hasKey $i "attachments" }}
{{- $a := $i.attachments | default dict }}
{{- $attachments := dict "mode" (default "enabled" $a.mode) }}
{{- with $a.allowedMimeTypes }}{{ $_ := set $attachments "allowedMimeTypes" . }}{{ end }}
{{- with $a.maxFileSizeMb }}{{ $_ := set $attachments "maxFileSizeMb" (int .) }}{{ end }}
{{- with $a.imageOcr }}{{ $_ := set $attachments "imageOcr" . }}{{ end }}
{{- $_ := set $ingestion "attachments" $attachments }}
{{- end }}
{{- with $i.pageIngestionConfig }}{{ $_ := set $ingestion "pageIngestionConfig" . }}{{ end }}
{{- $_ := set $file "ingestion" $ingestion }}
{{- toYaml $file }}
{{- end }}

{{/* Rules across tenants (docs/configuration.md §8). Renders nothing; fails on a violation. */}}
{{- define "confluence-connector.checkTenants" -}}
{{- $names := dict }}{{ $instances := dict }}{{ $activeScopes := dict }}{{ $deletedScopes := dict }}
{{- $runnable := 0 }}
{{- range $index, $t := .Values.connectorConfig.tenants }}
{{- $where := printf "connectorConfig.tenants[%d] (%s)" (int $index) $t.name }}
{{- if not (regexMatch "^[a-z0-9]+(-[a-z0-9]+)*$" (toString $t.name)) }}
{{- fail (printf "%s: name must be lower-case letters and digits in words joined by single '-' (^[a-z0-9]+(-[a-z0-9]+)*$)" $where) }}
{{- end }}
{{- if hasKey $names $t.name }}
{{- fail (printf "%s: tenant name %q is also used by connectorConfig.tenants[%v]" $where $t.name (get $names $t.name)) }}
{{- end }}
{{- $_ := set $names $t.name $index }}
{{- $status := default "active" $t.status }}
{{- if ne $status "inactive" }}{{ $runnable = add1 $runnable }}{{ end }}
{{- $scope := toString $t.ingestion.scopeId }}
{{- if eq $status "active" }}
{{- $_ := set $activeScopes $scope $t.name }}
{{- with $t.confluence }}
{{- $instance := ternary (printf "cloud:%v" .cloudId) (printf "data-center:%v" .baseUrl) (eq .instanceType "cloud") }}
{{- if hasKey $instances $instance }}
{{- fail (printf "%s: Confluence instance %s is also synced by active tenant %q; each instance may have one active tenant" $where $instance (get $instances $instance)) }}
{{- end }}
{{- $_ := set $instances $instance $t.name }}
{{- end }}
{{- else if eq $status "deleted" }}
{{- $_ := set $deletedScopes $scope $t.name }}
{{- end }}
{{- end }}
{{- range $scope, $name := $deletedScopes }}
{{- if hasKey $activeScopes $scope }}
{{- fail (printf "tenant %q is deleted but its ingestion.scopeId %q is the root scope of active tenant %q: its cleanup would delete that tenant's content" $name $scope (get $activeScopes $scope)) }}
{{- end }}
{{- end }}
{{- if and .Values.connectorConfig.tenants (eq $runnable 0) }}
{{- fail "connectorConfig.tenants: at least one tenant must be active or deleted (all are inactive)" }}
{{- end }}
{{- end }}
