package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

var severities = map[string]bool{"critical": true, "warning": true, "info": true}

// parseExpr parses PromQL and records the metric names it selects.
func parseExpr(expr string, metrics map[string]bool) error {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return err
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			if name == "" {
				for _, m := range vs.LabelMatchers {
					if m.Name == model.MetricNameLabel {
						name = m.Value
					}
				}
			}
			if name != "" {
				metrics[name] = true
			}
		}
		return nil
	})
	return nil
}

// CheckRules parses every PrometheusRule expression and checks what an alert must carry.
func CheckRules(objs []*Object, rep *Report, metrics map[string]bool) {
	for _, o := range objs {
		pr, ok := o.Typed.(*monitoringv1.PrometheusRule)
		if !ok {
			continue
		}
		alerts := map[string]bool{}
		for _, g := range pr.Spec.Groups {
			if g.Interval != nil {
				if _, err := model.ParseDuration(string(*g.Interval)); err != nil {
					rep.Addf("%s group %s: interval: %v", o.ID(), g.Name, err)
				}
			}
			for _, r := range g.Rules {
				name := r.Alert + r.Record
				where := fmt.Sprintf("%s group %s rule %s", o.ID(), g.Name, name)
				if (r.Alert == "") == (r.Record == "") {
					rep.Addf("%s: set exactly one of alert and record", where)
				}
				if err := parseExpr(r.Expr.String(), metrics); err != nil {
					rep.Addf("%s: expr does not parse: %v", where, err)
				}
				if r.For != nil {
					if _, err := model.ParseDuration(string(*r.For)); err != nil {
						rep.Addf("%s: for: %v", where, err)
					}
				}
				if r.Alert == "" {
					continue
				}
				if alerts[r.Alert] {
					rep.Addf("%s: alert name used twice", where)
				}
				alerts[r.Alert] = true
				if !severities[r.Labels["severity"]] {
					rep.Addf("%s: labels.severity must be critical, warning or info", where)
				}
				for _, a := range []string{"summary", "description", "runbook_url"} {
					if r.Annotations[a] == "" {
						rep.Addf("%s: annotations.%s is required", where, a)
					}
				}
			}
		}
	}
}

// Grafana variables are replaced by something PromQL accepts before parsing.
var (
	grafanaRange = regexp.MustCompile(`\$__(rate_interval|interval|range)\b`)
	grafanaVar   = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?`)
)

type dashboard struct {
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// CheckDashboard parses every query of a Grafana dashboard JSON.
func CheckDashboard(path string, rep *Report, metrics map[string]bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		rep.Addf("%s: %v", path, err)
		return
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		rep.Addf("%s: not a dashboard JSON: %v", path, err)
		return
	}
	if d.Title == "" || d.UID == "" {
		rep.Addf("%s: title and uid are required", path)
	}
	queries := 0
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type != "row" && p.Type != "text" && len(p.Targets) == 0 {
				rep.Addf("%s panel %q: no query", path, p.Title)
			}
			for _, t := range p.Targets {
				queries++
				q := grafanaRange.ReplaceAllString(t.Expr, "5m")
				q = grafanaVar.ReplaceAllString(q, "x")
				if err := parseExpr(q, metrics); err != nil {
					rep.Addf("%s panel %q: query does not parse: %v (%s)", path, p.Title, err, t.Expr)
				}
			}
		}
	}
	walk(d.Panels)
	if queries == 0 {
		rep.Addf("%s: the dashboard has no queries", path)
	}
}
