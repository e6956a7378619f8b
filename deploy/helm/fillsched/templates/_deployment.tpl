{{/*
One Deployment of a service. Arguments (dict):
  root       the chart context ($)
  component  gateway | auth | schedule | comparison | config | solver | events-bridge
  svc        the service's values
  mongo      true when the service stores in MongoDB (gets MONGO_URL)
  autoscaled true when an HPA or a ScaledObject owns spec.replicas
  grace      terminationGracePeriodSeconds
  env        extra env entries (YAML list as a string)
  volumes / volumeMounts  extra ones (YAML lists as strings)
  strategy   optional Deployment strategy (dict); default a rolling update without unavailability
*/}}
{{- define "fillsched.deployment" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $ctx := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "fillsched.fullname" $root }}-{{ .component }}
  labels:
    {{- include "fillsched.componentLabels" $ctx | nindent 4 }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    {{- if .strategy }}
    {{- toYaml .strategy | nindent 4 }}
    {{- else }}
    type: RollingUpdate
    rollingUpdate: { maxSurge: 25%, maxUnavailable: 0 }
    {{- end }}
  selector:
    matchLabels:
      {{- include "fillsched.componentSelector" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "fillsched.componentLabels" $ctx | nindent 8 }}
        {{- if eq .component "gateway" }}
        fillsched.io/public: "true"
        {{- end }}
        {{- if .mongo }}
        fillsched.io/mongodb-client: "true"
        {{- end }}
      annotations:
        # Roll the pods when the chart-managed Secret changes.
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- with $svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "fillsched.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ .grace }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "fillsched.topologySpread" $ctx | trim | nindent 6 }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "fillsched.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["node", "services/{{ .component }}/dist/main.js"]
          ports:
            {{- if eq .component "gateway" }}
            - { name: http, containerPort: {{ $svc.port }}, protocol: TCP }
            {{- end }}
            - { name: ops, containerPort: {{ $root.Values.opsPort }}, protocol: TCP }
          env:
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            - name: POD_NAMESPACE
              valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
            - name: SERVICE_INSTANCE
              value: $(POD_NAME)
            - name: LOG_LEVEL
              value: {{ $root.Values.logLevel | quote }}
            - name: OPS_PORT
              value: {{ $root.Values.opsPort | quote }}
            - name: SHUTDOWN_TIMEOUT_MS
              value: {{ $svc.shutdownTimeoutMs | quote }}
            - name: NATS_STREAM_REPLICAS
              value: {{ $root.Values.nats.streamReplicas | quote }}
            # The node process itself: no npm at run time, caches (if any) under /tmp.
            - name: NODE_ENV
              value: production
            {{- include "fillsched.secretEnv" (dict "name" "NATS_URL" "secret" (include "fillsched.secretName" $root) "key" "NATS_URL") | nindent 12 }}
            {{- if has .component (list "gateway" "auth" "schedule" "comparison" "config" "solver" "events-bridge") }}
            # Its own NATS user, limited to its subjects (docs/security.md, deploy/helm/nats-auth-values.yaml).
            - name: NATS_USER
              value: {{ .component | quote }}
            {{- include "fillsched.secretEnv" (dict "name" "NATS_PASSWORD" "secret" (include "fillsched.secretName" $root) "key" (printf "NATS_PASSWORD_%s" (upper .component | replace "-" "_"))) | nindent 12 }}
            {{- end }}
            {{- if .mongo }}
            {{- include "fillsched.secretEnv" (dict "name" "MONGO_URL" "secret" (include "fillsched.secretName" $root) "key" "MONGO_URL") | nindent 12 }}
            {{- end }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- include "fillsched.otelEnv" (dict "root" $root "component" .component "otel" $svc.otel) | nindent 12 }}
            {{- range $k, $v := $root.Values.commonEnv }}
            - { name: {{ $k }}, value: {{ $v | quote }} }
            {{- end }}
            {{- range $k, $v := $svc.env }}
            - { name: {{ $k }}, value: {{ $v | quote }} }
            {{- end }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          startupProbe:
            httpGet: { path: /livez, port: ops }
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          readinessProbe:
            httpGet: { path: /readyz, port: ops }
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          livenessProbe:
            httpGet: { path: /livez, port: ops }
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          {{- if $svc.preStopSleepSeconds }}
          lifecycle:
            # Stay in the endpoints while kube-proxy and the ingress learn the pod is going.
            preStop:
              sleep: { seconds: {{ $svc.preStopSleepSeconds }} }
          {{- end }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
            {{- with .volumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: {{ $root.Values.tmpVolume.sizeLimit }} }
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
{{- end -}}
