package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	sigsyaml "sigs.k8s.io/yaml"
)

// CRDSchemas holds the openAPIV3Schema of every served version of the vendored CRDs.
type CRDSchemas struct {
	byGVK map[schema.GroupVersionKind]*spec.Schema
}

type crdDoc struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// LoadCRDSchemas reads every *.yaml CustomResourceDefinition of the file system.
func LoadCRDSchemas(fsys fs.FS) (*CRDSchemas, error) {
	out := &CRDSchemas{byGVK: map[schema.GroupVersionKind]*spec.Schema{}}
	files, err := fs.Glob(fsys, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var crd crdDoc
		if err := sigsyaml.Unmarshal(data, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			s := &spec.Schema{}
			if err := json.Unmarshal(v.Schema.OpenAPIV3Schema, s); err != nil {
				return nil, fmt.Errorf("%s %s: %w", f, v.Name, err)
			}
			out.byGVK[schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}] = s
		}
	}
	return out, nil
}

func (c *CRDSchemas) Has(gvk schema.GroupVersionKind) bool { _, ok := c.byGVK[gvk]; return ok }

// Validate checks an object against its CRD schema the way the API server does (types, enums,
// required, patterns) and, like `kubectl apply --validate=strict`, reports unknown fields.
func (c *CRDSchemas) Validate(gvk schema.GroupVersionKind, obj map[string]interface{}) []string {
	s := c.byGVK[gvk]
	var problems []string
	res := validate.NewSchemaValidator(s, nil, "", strfmt.Default).Validate(obj)
	for _, e := range res.Errors {
		problems = append(problems, e.Error())
	}
	// metadata is `type: object` in CRD schemas; the API server checks it as ObjectMeta.
	if md, ok := obj["metadata"]; ok {
		raw, _ := json.Marshal(md)
		var meta metav1.ObjectMeta
		if err := strictUnmarshal(raw, &meta); err != nil {
			problems = append(problems, "metadata: "+err.Error())
		}
	}
	for k, v := range obj {
		if k == "metadata" || k == "apiVersion" || k == "kind" {
			continue
		}
		prop, ok := s.Properties[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown field %q", k))
			continue
		}
		unknownFields(&prop, v, k, &problems)
	}
	sort.Strings(problems)
	return problems
}

func preservesUnknown(s *spec.Schema) bool {
	v, ok := s.Extensions["x-kubernetes-preserve-unknown-fields"]
	b, _ := v.(bool)
	return ok && b
}

func unknownFields(s *spec.Schema, v interface{}, path string, problems *[]string) {
	if s == nil || preservesUnknown(s) {
		return
	}
	switch val := v.(type) {
	case map[string]interface{}:
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if prop, ok := s.Properties[k]; ok {
				unknownFields(&prop, val[k], path+"."+k, problems)
			} else if s.AdditionalProperties != nil && (s.AdditionalProperties.Allows || s.AdditionalProperties.Schema != nil) {
				unknownFields(s.AdditionalProperties.Schema, val[k], path+"."+k, problems)
			} else if len(s.Properties) > 0 || s.AdditionalProperties != nil {
				*problems = append(*problems, fmt.Sprintf("unknown field %q", path+"."+k))
			}
		}
	case []interface{}:
		if s.Items != nil && s.Items.Schema != nil {
			for i, item := range val {
				unknownFields(s.Items.Schema, item, fmt.Sprintf("%s[%d]", path, i), problems)
			}
		}
	}
}

// strictUnmarshal decodes JSON and fails on unknown fields.
func strictUnmarshal(data []byte, into interface{}) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}
