{{/*
Rules on namespaced resources: a ClusterRole when watching all namespaces, a Role in
each watched namespace in namespaced mode. They are the operator's declared
permissions (pixelproof.controller.permissions), no more; a test keeps them equal.
Secrets have their own Roles (rbac.yaml), scoped by rbac.secretNamespaces and
rbac.secretNames.
*/}}
{{- define "pixelproof.namespacedRules" -}}
- apiGroups: ["pixelproof.dev"]
  resources: ["modelrollouts"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["pixelproof.dev"]
  resources: ["modelrollouts/status"]
  verbs: ["patch"]
- apiGroups: ["pixelproof.dev"]
  resources: ["modelrollouts/finalizers"]
  verbs: ["update"]
- apiGroups: ["pixelproof.dev"]
  resources: ["gatesets"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "patch", "create", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments/scale"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["serving.kserve.io"]
  resources: ["inferenceservices"]
  verbs: ["get", "list", "watch", "patch"]
{{- if .Values.rbac.namespaced }}
- apiGroups: ["kopf.dev"]
  resources: ["kopfpeerings"]
  verbs: ["get", "list", "watch", "patch"]
{{- end }}
{{- end -}}

{{/* The one rule on Secrets, limited to rbac.secretNames when given. */}}
{{- define "pixelproof.secretRule" -}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
  {{- with .Values.rbac.secretNames }}
  resourceNames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
