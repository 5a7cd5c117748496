{{- define "pixelproof.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pixelproof.fullname" -}}
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

{{- define "pixelproof.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "pixelproof.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pixelproof
{{- end -}}

{{- define "pixelproof.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pixelproof.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "pixelproof.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pixelproof.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pixelproof.peeringName" -}}
{{- default (include "pixelproof.fullname" .) .Values.peering.name -}}
{{- end -}}

{{- define "pixelproof.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Namespaces that hold evaluator ServiceAccounts. */}}
{{- define "pixelproof.evaluatorNamespaces" -}}
{{- $ns := .Values.evaluator.serviceAccount.namespaces | default .Values.watchNamespaces | default (list .Release.Namespace) -}}
{{- toJson $ns -}}
{{- end -}}

{{- define "pixelproof.validate" -}}
{{- if and .Values.rbac.namespaced (not .Values.watchNamespaces) -}}
{{- fail "rbac.namespaced: true needs watchNamespaces: list the namespaces whose ModelRollouts the operator handles" -}}
{{- end -}}
{{- if and .Values.rbac.readSecrets (not .Values.rbac.secretNamespaces) (not .Values.watchNamespaces) (not .Values.rbac.secretNames) -}}
{{- fail "rbac.readSecrets while watching all namespaces needs rbac.secretNames (the webhook Secrets' names) or rbac.secretNamespaces: the chart does not grant reading every Secret in the cluster" -}}
{{- end -}}
{{- include "pixelproof.validateDisruptionBudget" . -}}
{{- end -}}

{{/* What evaluator Jobs may run: the operator's --evaluator-* options. */}}
{{- define "pixelproof.evaluatorImagePrefixes" -}}
{{- toJson (.Values.evaluator.allowedImagePrefixes | default (list .Values.evaluator.image.repository)) -}}
{{- end -}}

{{- define "pixelproof.evaluatorServiceAccounts" -}}
{{- toJson (.Values.evaluator.allowedServiceAccounts | default (list .Values.evaluator.serviceAccount.name)) -}}
{{- end -}}

{{/* The schema checks each PDB value alone; whether one lets any pod go depends on replicaCount. */}}
{{- define "pixelproof.validateDisruptionBudget" -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- $replicas := int .Values.replicaCount -}}
{{- if and $pdb.enabled (gt $replicas 1) (eq (toString $pdb.maxUnavailable) "") -}}
{{- $min := toString $pdb.minAvailable -}}
{{- $needed := int $min -}}
{{- if hasSuffix "%" $min -}}
{{- /* Kubernetes rounds a minAvailable percentage up. */ -}}
{{- $needed = div (add (mul (int (trimSuffix "%" $min)) $replicas) 99) 100 -}}
{{- end -}}
{{- if ge (int $needed) $replicas -}}
{{- fail (printf "podDisruptionBudget.minAvailable %s keeps all %d replicas, so no node could ever be drained: lower it below replicaCount or set maxUnavailable" $min $replicas) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Namespace of the campaign freezes for every rollout: freezeNamespace, else the release
namespace when the operator may read ConfigMaps everywhere, else none.
*/}}
{{- define "pixelproof.freezeNamespace" -}}
{{- if .Values.freezeNamespace -}}
{{- .Values.freezeNamespace -}}
{{- else if not .Values.rbac.namespaced -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}
