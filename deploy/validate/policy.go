package main

import (
	"fmt"
	"regexp"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The pod label that marks the one component allowed to take traffic from outside the release.
const publicComponentLabel = "fillsched.io/public"

// Environment variables whose value is, or may embed, a credential: only from a Secret.
var sensitiveEnv = regexp.MustCompile(`(?i)((PASSWORD|SECRET|_TOKEN|PRIVATE_KEY|_PEM|CREDENTIALS|_CREDS)$|^(MONGO_URL|NATS_URL|KAFKA_SASL_USERNAME|OTEL_EXPORTER_OTLP(_TRACES)?_HEADERS)$)`)

type workload struct {
	obj         *Object
	template    *corev1.PodTemplateSpec
	replicasSet bool
}

func podTemplate(o *Object) (*corev1.PodTemplateSpec, bool) {
	switch t := o.Typed.(type) {
	case *appsv1.Deployment:
		return &t.Spec.Template, t.Spec.Replicas != nil
	case *appsv1.StatefulSet:
		return &t.Spec.Template, t.Spec.Replicas != nil
	case *appsv1.DaemonSet:
		return &t.Spec.Template, false
	case *batchv1.Job:
		return &t.Spec.Template, false
	case *batchv1.CronJob:
		return &t.Spec.JobTemplate.Spec.Template, false
	case *corev1.Pod:
		return &corev1.PodTemplateSpec{ObjectMeta: t.ObjectMeta, Spec: t.Spec}, false
	}
	return nil, false
}

func selectorMatches(sel *metav1.LabelSelector, lbls map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(lbls))
}

// CheckPolicies runs this platform's review rules over typed objects.
func CheckPolicies(objs []*Object, rep *Report) {
	var workloads []workload
	deployments := map[string]*appsv1.Deployment{}
	serviceAccounts := map[string]*corev1.ServiceAccount{}
	services := map[string]*corev1.Service{}
	seen := map[string]string{}
	for _, o := range objs {
		key := o.GVK.GroupKind().String() + "/" + o.Namespace + "/" + o.Name
		if prev, dup := seen[key]; dup {
			rep.Addf("%s: %s is rendered twice (also %s)", o.Source, o.ID(), prev)
		}
		seen[key] = o.Source
		if t, replicas := podTemplate(o); t != nil {
			workloads = append(workloads, workload{obj: o, template: t, replicasSet: replicas})
		}
		switch t := o.Typed.(type) {
		case *appsv1.Deployment:
			deployments[t.Name] = t
		case *corev1.ServiceAccount:
			serviceAccounts[t.Name] = t
			if t.AutomountServiceAccountToken == nil || *t.AutomountServiceAccountToken {
				rep.Addf("%s: automountServiceAccountToken must be false (no service needs the Kubernetes API)", o.ID())
			}
		case *corev1.Service:
			services[t.Name] = t
		case *corev1.ConfigMap:
			for k := range t.Data {
				if sensitiveEnv.MatchString(k) {
					rep.Addf("%s: key %s looks like a credential; put it in a Secret", o.ID(), k)
				}
			}
		}
	}

	for _, w := range workloads {
		checkPod(w, serviceAccounts, rep)
	}
	autoscaled := checkScalers(objs, deployments, rep)
	for _, w := range workloads {
		if w.replicasSet && autoscaled[w.obj.Name] != "" {
			rep.Addf("%s: spec.replicas is set although %s scales it (every helm upgrade would reset the scale)", w.obj.ID(), autoscaled[w.obj.Name])
		}
	}
	checkServices(objs, workloads, rep)
	checkPDBs(objs, workloads, rep)
	checkNetworkPolicies(objs, workloads, rep)
	checkServiceMonitors(objs, services, rep)
}

func checkPod(w workload, sas map[string]*corev1.ServiceAccount, rep *Report) {
	id := w.obj.ID()
	spec := &w.template.Spec
	if d, ok := w.obj.Typed.(*appsv1.Deployment); ok {
		if !selectorMatches(d.Spec.Selector, d.Spec.Template.Labels) {
			rep.Addf("%s: spec.selector does not match the pod template labels", id)
		}
	}
	if spec.ServiceAccountName == "" || spec.ServiceAccountName == "default" {
		rep.Addf("%s: runs as the namespace's default ServiceAccount; give it its own", id)
	} else if _, ok := sas[spec.ServiceAccountName]; !ok {
		rep.Addf("%s: ServiceAccount %q is not part of the release", id, spec.ServiceAccountName)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		rep.Addf("%s: pod automountServiceAccountToken must be false", id)
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		rep.Addf("%s: host namespaces are not allowed", id)
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			rep.Addf("%s: hostPath volume %s is not allowed", id, v.Name)
		}
	}
	check := func(c corev1.Container, init bool) {
		cid := fmt.Sprintf("%s container %s", id, c.Name)
		if c.Image == "" || strings.HasSuffix(c.Image, ":latest") || (!strings.Contains(c.Image, "@sha256:") && !strings.Contains(lastSegment(c.Image), ":")) {
			rep.Addf("%s: image %q must be pinned by a version tag or a digest (not latest)", cid, c.Image)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Limits[r]; !ok {
				rep.Addf("%s: resources.limits.%s is required", cid, r)
			}
			if _, ok := c.Resources.Requests[r]; !ok {
				rep.Addf("%s: resources.requests.%s is required", cid, r)
			}
		}
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (sc.RunAsNonRoot == nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
		if !nonRoot {
			rep.Addf("%s: runAsNonRoot must be true", cid)
		}
		uid := sc.RunAsUser
		if uid == nil {
			uid = psc.RunAsUser
		}
		if uid != nil && *uid == 0 {
			rep.Addf("%s: runAsUser 0 is root", cid)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			rep.Addf("%s: readOnlyRootFilesystem must be true", cid)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			rep.Addf("%s: allowPrivilegeEscalation must be false", cid)
		}
		if sc.Privileged != nil && *sc.Privileged {
			rep.Addf("%s: privileged is not allowed", cid)
		}
		dropsAll := false
		if sc.Capabilities != nil {
			for _, d := range sc.Capabilities.Drop {
				if d == "ALL" {
					dropsAll = true
				}
			}
			if len(sc.Capabilities.Add) > 0 {
				rep.Addf("%s: capabilities.add is not allowed", cid)
			}
		}
		if !dropsAll {
			rep.Addf("%s: capabilities.drop must contain ALL", cid)
		}
		seccomp := sc.SeccompProfile
		if seccomp == nil {
			seccomp = psc.SeccompProfile
		}
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			rep.Addf("%s: seccompProfile.type must be RuntimeDefault", cid)
		}
		if !init {
			if c.StartupProbe == nil {
				rep.Addf("%s: startupProbe is required", cid)
			}
			if c.ReadinessProbe == nil {
				rep.Addf("%s: readinessProbe is required", cid)
			}
			if c.LivenessProbe == nil {
				rep.Addf("%s: livenessProbe is required", cid)
			}
			for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
				if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.Type == intstr.String && !hasPort(c, p.HTTPGet.Port.StrVal) {
					rep.Addf("%s: probe port %q is not a named port of the container", cid, p.HTTPGet.Port.StrVal)
				}
			}
		}
		for _, e := range c.Env {
			if sensitiveEnv.MatchString(e.Name) && e.Value != "" {
				rep.Addf("%s: env %s is a credential and must come from a Secret (valueFrom.secretKeyRef), not a literal value", cid, e.Name)
			}
		}
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			grace := int64(30)
			if spec.TerminationGracePeriodSeconds != nil {
				grace = *spec.TerminationGracePeriodSeconds
			}
			if c.Lifecycle.PreStop.Sleep.Seconds >= grace {
				rep.Addf("%s: preStop sleep %ds leaves no time of the %ds grace period for the shutdown", cid, c.Lifecycle.PreStop.Sleep.Seconds, grace)
			}
		}
	}
	for _, c := range spec.InitContainers {
		check(c, true)
	}
	for _, c := range spec.Containers {
		check(c, false)
	}
	if len(spec.TopologySpreadConstraints) == 0 {
		if d, ok := w.obj.Typed.(*appsv1.Deployment); ok && (d.Spec.Replicas == nil || *d.Spec.Replicas > 1) {
			rep.Addf("%s: topologySpreadConstraints are required for a replicated Deployment", id)
		}
	}
	for _, t := range spec.TopologySpreadConstraints {
		if !selectorMatches(t.LabelSelector, w.template.Labels) {
			rep.Addf("%s: topology spread constraint on %s does not select the pod's own labels", id, t.TopologyKey)
		}
	}
}

func lastSegment(image string) string {
	i := strings.LastIndex(image, "/")
	return image[i+1:]
}

func hasPort(c corev1.Container, name string) bool {
	for _, p := range c.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}

// checkScalers returns deployment name → what autoscales it.
func checkScalers(objs []*Object, deployments map[string]*appsv1.Deployment, rep *Report) map[string]string {
	out := map[string]string{}
	claim := func(o *Object, target string) {
		if _, ok := deployments[target]; !ok {
			rep.Addf("%s: scale target Deployment %q is not part of the release", o.ID(), target)
			return
		}
		if prev := out[target]; prev != "" {
			rep.Addf("%s: Deployment %q is already scaled by %s", o.ID(), target, prev)
		}
		out[target] = o.ID()
	}
	for _, o := range objs {
		switch t := o.Typed.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			if t.Spec.ScaleTargetRef.Kind != "Deployment" {
				rep.Addf("%s: scaleTargetRef must be a Deployment", o.ID())
				continue
			}
			if t.Spec.MinReplicas != nil && *t.Spec.MinReplicas > t.Spec.MaxReplicas {
				rep.Addf("%s: minReplicas > maxReplicas", o.ID())
			}
			claim(o, t.Spec.ScaleTargetRef.Name)
		}
		if o.GVK.Group == "keda.sh" && o.GVK.Kind == "ScaledObject" {
			spec, _ := o.Map["spec"].(map[string]interface{})
			ref, _ := spec["scaleTargetRef"].(map[string]interface{})
			name, _ := ref["name"].(string)
			if kind, _ := ref["kind"].(string); kind != "" && kind != "Deployment" {
				rep.Addf("%s: scaleTargetRef must be a Deployment", o.ID())
				continue
			}
			claim(o, name)
			triggers, _ := spec["triggers"].([]interface{})
			for _, tr := range triggers {
				trm, _ := tr.(map[string]interface{})
				if trm["type"] != "nats-jetstream" {
					continue
				}
				md, _ := trm["metadata"].(map[string]interface{})
				for _, k := range []string{"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"} {
					if s, _ := md[k].(string); s == "" {
						rep.Addf("%s: nats-jetstream trigger needs metadata.%s", o.ID(), k)
					}
				}
				// host:port, no scheme; the short form "svc:port" would resolve in KEDA's namespace.
				if ep, _ := md["natsServerMonitoringEndpoint"].(string); ep != "" {
					host := strings.Split(ep, ":")[0]
					if strings.Contains(ep, "://") || strings.Count(host, ".") < 1 {
						rep.Addf("%s: natsServerMonitoringEndpoint %q must be host:port with the namespace in the host (KEDA resolves it from its own namespace)", o.ID(), ep)
					}
				}
			}
		}
	}
	return out
}

func selectsAny(sel map[string]string, ws []workload) []workload {
	var out []workload
	if len(sel) == 0 {
		return nil
	}
	for _, w := range ws {
		if labels.SelectorFromSet(sel).Matches(labels.Set(w.template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func checkServices(objs []*Object, ws []workload, rep *Report) {
	for _, o := range objs {
		svc, ok := o.Typed.(*corev1.Service)
		if !ok || svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		targets := selectsAny(svc.Spec.Selector, ws)
		if len(targets) == 0 {
			rep.Addf("%s: selector %v matches no workload of the release", o.ID(), svc.Spec.Selector)
			continue
		}
		for _, p := range svc.Spec.Ports {
			tp := p.TargetPort
			if tp.Type == intstr.Int && tp.IntVal == 0 {
				tp = intstr.FromInt32(p.Port)
			}
			for _, w := range targets {
				found := false
				for _, c := range w.template.Spec.Containers {
					for _, cp := range c.Ports {
						if (tp.Type == intstr.String && cp.Name == tp.StrVal) || (tp.Type == intstr.Int && cp.ContainerPort == tp.IntVal) {
							found = true
						}
					}
				}
				if !found {
					rep.Addf("%s: targetPort %s is not a container port of %s", o.ID(), tp.String(), w.obj.ID())
				}
			}
		}
	}
}

func checkPDBs(objs []*Object, ws []workload, rep *Report) {
	covered := map[string]bool{}
	for _, o := range objs {
		pdb, ok := o.Typed.(*policyv1.PodDisruptionBudget)
		if !ok {
			continue
		}
		if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
			rep.Addf("%s: set exactly one of minAvailable and maxUnavailable", o.ID())
		}
		n := 0
		for _, w := range ws {
			if selectorMatches(pdb.Spec.Selector, w.template.Labels) {
				covered[w.obj.ID()] = true
				n++
			}
		}
		if n == 0 {
			rep.Addf("%s: selector matches no workload of the release", o.ID())
		}
	}
	for _, w := range ws {
		if _, ok := w.obj.Typed.(*appsv1.Deployment); ok && !covered[w.obj.ID()] {
			rep.Addf("%s: no PodDisruptionBudget covers it", w.obj.ID())
		}
	}
}

func checkNetworkPolicies(objs []*Object, ws []workload, rep *Report) {
	var nps []*networkingv1.NetworkPolicy
	for _, o := range objs {
		if np, ok := o.Typed.(*networkingv1.NetworkPolicy); ok {
			nps = append(nps, np)
		}
	}
	if len(nps) == 0 {
		return // NetworkPolicies switched off in values: nothing to check
	}
	for _, w := range ws {
		ingress, egress := false, false
		public := w.template.Labels[publicComponentLabel] == "true"
		for _, np := range nps {
			if !selectorMatches(&np.Spec.PodSelector, w.template.Labels) {
				continue
			}
			for _, t := range np.Spec.PolicyTypes {
				ingress = ingress || t == networkingv1.PolicyTypeIngress
				egress = egress || t == networkingv1.PolicyTypeEgress
			}
			for i, r := range np.Spec.Ingress {
				external := len(r.From) == 0
				for _, f := range r.From {
					if f.IPBlock != nil || f.NamespaceSelector != nil {
						external = true
					}
				}
				if !external || public {
					continue
				}
				// Outside sources may reach a non-public pod only on its metrics port.
				if len(r.Ports) == 0 {
					rep.Addf("NetworkPolicy/%s ingress[%d]: lets sources outside the release reach %s on every port; only the gateway takes outside traffic", np.Name, i, w.obj.ID())
				}
				for _, p := range r.Ports {
					if p.Port == nil || !(p.Port.Type == intstr.String && p.Port.StrVal == "ops") {
						rep.Addf("NetworkPolicy/%s ingress[%d]: lets sources outside the release reach %s on port %v; only the gateway takes outside traffic (others: the ops port for scrapes)", np.Name, i, w.obj.ID(), p.Port)
					}
				}
			}
			for i, r := range np.Spec.Egress {
				if len(r.To) == 0 && len(r.Ports) == 0 {
					rep.Addf("NetworkPolicy/%s egress[%d]: allows every destination on every port", np.Name, i)
				}
			}
		}
		if !ingress || !egress {
			rep.Addf("%s: not isolated by NetworkPolicies for both Ingress and Egress", w.obj.ID())
		}
	}
}

func checkServiceMonitors(objs []*Object, services map[string]*corev1.Service, rep *Report) {
	for _, o := range objs {
		sm, ok := o.Typed.(*monitoringv1.ServiceMonitor)
		if !ok {
			continue
		}
		matched := 0
		for _, svc := range services {
			if !selectorMatches(&sm.Spec.Selector, svc.Labels) {
				continue
			}
			matched++
			for _, ep := range sm.Spec.Endpoints {
				if ep.Port == "" {
					rep.Addf("%s: endpoints need a named port", o.ID())
					continue
				}
				found := false
				for _, p := range svc.Spec.Ports {
					found = found || p.Name == ep.Port
				}
				if !found {
					rep.Addf("%s: Service/%s has no port named %q", o.ID(), svc.Name, ep.Port)
				}
			}
		}
		if matched == 0 {
			rep.Addf("%s: selector matches no Service of the release", o.ID())
		}
	}
}
