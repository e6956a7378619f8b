{{/* Names */}}
{{- define "fillsched.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fillsched.fullname" -}}
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

{{- define "fillsched.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "fillsched.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: fillsched
{{- end -}}

{{- define "fillsched.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fillsched.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" "gateway") */}}
{{- define "fillsched.componentLabels" -}}
{{ include "fillsched.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "fillsched.componentSelector" -}}
{{ include "fillsched.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "fillsched.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fillsched.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "fillsched.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if .Values.secrets.create -}}
{{- printf "%s-connections" (include "fillsched.fullname" .) -}}
{{- else -}}
{{- fail "set secrets.existingSecret (a Secret with NATS_URL and MONGO_URL) or secrets.create=true" -}}
{{- end -}}
{{- end -}}

{{- define "fillsched.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if eq $tag "latest" -}}{{- fail "image.tag must be a version, not latest" -}}{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "fillsched.natsNamespace" -}}
{{- default .Release.Namespace .Values.nats.namespace -}}
{{- end -}}

{{/* One secretKeyRef env entry: (dict "name" "NATS_URL" "secret" $name "key" "NATS_URL" "optional" false) */}}
{{- define "fillsched.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* OTEL_* env of a component: (dict "root" $ "component" "gateway" "otel" $svc.otel) */}}
{{- define "fillsched.otelEnv" -}}
{{- $o := merge (deepCopy (default (dict) .otel)) (deepCopy .root.Values.otel) -}}
{{- /* merge treats false as unset: a service's explicit enabled wins over the global one */ -}}
{{- if and .otel (hasKey .otel "enabled") }}{{ $_ := set $o "enabled" .otel.enabled }}{{ end -}}
- name: OTEL_SERVICE_NAME
  value: {{ printf "fillsched-%s" .component | quote }}
{{- if $o.enabled }}
- name: OTEL_SDK_DISABLED
  value: "false"
- name: OTEL_TRACES_EXPORTER
  value: otlp
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "otel.endpoint is required when otel.enabled" $o.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $o.protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $o.sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $o.samplerArg | quote }}
- name: OTEL_PROPAGATORS
  value: tracecontext,baggage
{{- $attrs := list "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" -}}
{{- range $k, $v := $o.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k $v) -}}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- if $o.headersSecret.name }}
{{ include "fillsched.secretEnv" (dict "name" "OTEL_EXPORTER_OTLP_HEADERS" "secret" $o.headersSecret.name "key" $o.headersSecret.key) }}
{{- end }}
{{- else }}
- name: OTEL_SDK_DISABLED
  value: "true"
{{- end }}
{{- end -}}

{{/* Topology spread of a component */}}
{{- define "fillsched.topologySpread" -}}
{{- if .root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ .root.Values.topologySpread.zone }}
    labelSelector:
      matchLabels:
        {{- include "fillsched.componentSelector" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ .root.Values.topologySpread.hostname }}
    labelSelector:
      matchLabels:
        {{- include "fillsched.componentSelector" . | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Components rendered by this release, with the values of each: list of (dict "name" "values") */}}
{{- define "fillsched.components" -}}
{{- $out := list -}}
{{- range $name := list "gateway" "auth" "schedule" "comparison" "config" "solver" -}}
{{- $out = append $out (dict "name" $name "values" (index $.Values.services $name)) -}}
{{- end -}}
{{- if .Values.eventsBridge.enabled -}}
{{- $out = append $out (dict "name" "events-bridge" "values" .Values.eventsBridge) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
