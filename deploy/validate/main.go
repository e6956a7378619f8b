// Command fillsched-validate checks rendered Kubernetes manifests without a cluster.
//
//  1. Schema: every object is decoded strictly into the Go API types of one pinned Kubernetes
//     version (k8s.io/api v0.37.0 = Kubernetes 1.37): an unknown or duplicate field, a wrong type, a
//     bad quantity or a kind/apiVersion that 1.37 does not serve is an error. The Prometheus
//     operator kinds (ServiceMonitor, PrometheusRule) are decoded the same way into their Go types
//     (pinned module); KEDA's ScaledObject is validated against KEDA's own CRD OpenAPI schema,
//     vendored in crds/ from the pinned KEDA module, with unknown fields reported as errors.
//  2. Policy: what a reviewer of this platform's chart asks for (see policy.go).
//  3. PromQL: every rule expression and every dashboard query parses (prometheus/promql/parser).
//
// Usage: fillsched-validate [-dashboard file.json]... [-metrics] manifest.yaml... ("-" = stdin)
// Prints one line per problem and exits 1 if there is any; -metrics also prints the metric names
// the expressions use ("metric <name>"), so a test can compare them with what the services export.
package main

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

// KubeVersion is the Kubernetes minor whose API types (k8s.io/api v0.37.0) the schema check uses.
const KubeVersion = "1.37"

const kubeMajor, kubeMinor = 1, 37

//go:embed crds/*.yaml
var crdFiles embed.FS

// Object is one rendered manifest document.
type Object struct {
	Source    string
	GVK       schema.GroupVersionKind
	Name      string
	Namespace string
	JSON      []byte
	Map       map[string]interface{}
	Typed     runtime.Object // nil for kinds validated by a CRD schema
}

func (o *Object) ID() string {
	return fmt.Sprintf("%s/%s", o.GVK.Kind, o.Name)
}

// Report collects problems.
type Report struct{ problems []string }

func (r *Report) Addf(format string, args ...interface{}) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	must(clientgoscheme.AddToScheme(s))
	must(monitoringv1.AddToScheme(s))
	return s
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// splitDocuments returns the YAML documents of a stream with the index of each.
func splitDocuments(r io.Reader) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
}

// LoadObjects parses and schema-checks every document of a manifest stream.
func LoadObjects(name string, data []byte, scheme *runtime.Scheme, crds *CRDSchemas, rep *Report) []*Object {
	docs, err := splitDocuments(bytes.NewReader(data))
	if err != nil {
		rep.Addf("%s: cannot split YAML documents: %v", name, err)
		return nil
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	var objs []*Object
	for i, doc := range docs {
		src := fmt.Sprintf("%s#%d", name, i)
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		// Strict YAML: a duplicate key is an error (a later key would silently win otherwise).
		js, err := sigsyaml.YAMLToJSONStrict(doc)
		if err != nil {
			rep.Addf("%s: invalid YAML: %v", src, err)
			continue
		}
		var m map[string]interface{}
		if err := json.Unmarshal(js, &m); err != nil || m == nil {
			rep.Addf("%s: a manifest must be a mapping", src)
			continue
		}
		apiVersion, _ := m["apiVersion"].(string)
		kind, _ := m["kind"].(string)
		if apiVersion == "" || kind == "" {
			rep.Addf("%s: apiVersion and kind are required", src)
			continue
		}
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			rep.Addf("%s: bad apiVersion %q: %v", src, apiVersion, err)
			continue
		}
		obj := &Object{Source: src, GVK: gv.WithKind(kind), JSON: js, Map: m}
		if md, ok := m["metadata"].(map[string]interface{}); ok {
			obj.Name, _ = md["name"].(string)
			obj.Namespace, _ = md["namespace"].(string)
		}
		where := fmt.Sprintf("%s (%s %s)", src, kind, obj.Name)
		if obj.Name == "" {
			rep.Addf("%s: metadata.name is required", where)
		}
		switch {
		case scheme.Recognizes(obj.GVK):
			typed, _, err := decoder.Decode(js, nil, nil)
			if err != nil {
				rep.Addf("%s: does not match the %s schema of Kubernetes %s: %v", where, obj.GVK.GroupVersion(), KubeVersion, err)
				continue
			}
			obj.Typed = typed
			// Beta APIs carry the release that removes them (the API server's own rule).
			if l, ok := typed.(interface{ APILifecycleRemoved() (int, int) }); ok {
				if major, minor := l.APILifecycleRemoved(); major > 0 && (major < kubeMajor || (major == kubeMajor && minor <= kubeMinor)) {
					rep.Addf("%s: %s is not served by Kubernetes %s (removed in %d.%d)", where, obj.GVK, KubeVersion, major, minor)
					continue
				}
			}
		case crds.Has(obj.GVK):
			for _, p := range crds.Validate(obj.GVK, m) {
				rep.Addf("%s: does not match the vendored CRD schema: %s", where, p)
			}
		default:
			rep.Addf("%s: %s is neither served by Kubernetes %s nor a CRD this validator knows", where, obj.GVK, KubeVersion)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var dashboards multiFlag
	flag.Var(&dashboards, "dashboard", "a Grafana dashboard JSON whose queries must parse (repeatable)")
	printMetrics := flag.Bool("metrics", false, "print the metric names used by rules and dashboards")
	noPolicy := flag.Bool("no-policy", false, "schema and PromQL checks only")
	dumpJSON := flag.String("dump-json", "", "write the parsed objects as a JSON array to this file (for tests)")
	flag.Parse()
	if flag.NArg() == 0 && len(dashboards) == 0 {
		fmt.Fprintln(os.Stderr, "usage: fillsched-validate [-dashboard file.json]... [-metrics] [-no-policy] manifest.yaml... (- = stdin)")
		os.Exit(2)
	}

	scheme := newScheme()
	crds, err := LoadCRDSchemas(crdFiles)
	must(err)
	rep := &Report{}
	var objs []*Object
	for _, name := range flag.Args() {
		var data []byte
		if name == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			rep.Addf("%s: %v", name, err)
			continue
		}
		objs = append(objs, LoadObjects(name, data, scheme, crds, rep)...)
	}
	if !*noPolicy {
		CheckPolicies(objs, rep)
	}
	metrics := map[string]bool{}
	CheckRules(objs, rep, metrics)
	for _, d := range dashboards {
		CheckDashboard(d, rep, metrics)
	}
	if *printMetrics {
		names := make([]string, 0, len(metrics))
		for n := range metrics {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println("metric", n)
		}
	}
	if *dumpJSON != "" {
		all := make([]map[string]interface{}, 0, len(objs))
		for _, o := range objs {
			all = append(all, o.Map)
		}
		data, _ := json.Marshal(all)
		must(os.WriteFile(*dumpJSON, data, 0o644))
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GVK.Kind]++
	}
	fmt.Fprintf(os.Stderr, "checked %d objects against Kubernetes %s (%s)\n", len(objs), KubeVersion, summarize(kinds))
	if len(rep.problems) > 0 {
		for _, p := range rep.problems {
			fmt.Println("ERROR", p)
		}
		fmt.Fprintf(os.Stderr, "%d problem(s)\n", len(rep.problems))
		os.Exit(1)
	}
}

func summarize(kinds map[string]int) string {
	var parts []string
	for k, n := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
