// Package promcheck evaluates Prometheus alerting and recording rules against one metrics scrape
// with Prometheus's own rule-file validation and PromQL engine.
package promcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Rule is one rule of a rules file together with what Prometheus's validation said about it.
type Rule struct {
	Group  string
	Rule   rulefmt.Rule
	Errors []string
}

// LoadRules reads either a PrometheusRule object (the rules are its spec) or a plain Prometheus
// rules file (top-level groups). Unknown fields are errors, as in `promtool check rules`. A YAML
// error fails the whole file; a rule that does not validate (bad expression, bad label name,
// neither alert nor record) is returned with its errors so the caller can report each rule.
func LoadRules(content []byte, p parser.Parser) ([]Rule, error) {
	body, isCR, err := rulesBody(content)
	if err != nil {
		return nil, err
	}
	groups, errs := rulefmt.Parse(body, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	if groups == nil {
		if isCR {
			return nil, fmt.Errorf("PrometheusRule spec (line numbers count from spec's first line): %w", errors.Join(errs...))
		}
		return nil, errors.Join(errs...)
	}
	perRule := map[[2]int][]string{}
	index := map[string]int{}
	for i, g := range groups.Groups {
		index[g.Name] = i
	}
	for _, e := range errs {
		var re *rulefmt.Error
		gi, ok := 0, false
		if errors.As(e, &re) {
			gi, ok = index[re.Group]
		}
		if !ok || re.Rule < 1 {
			return nil, e // a group-level problem (empty or repeated name, bad group label)
		}
		perRule[[2]int{gi, re.Rule - 1}] = append(perRule[[2]int{gi, re.Rule - 1}], withoutPosition(e).Error())
	}
	var out []Rule
	for gi, g := range groups.Groups {
		for ri, r := range g.Rules {
			out = append(out, Rule{Group: g.Name, Rule: r, Errors: perRule[[2]int{gi, ri}]})
		}
	}
	return out, nil
}

// withoutPosition drops rulefmt's line:column prefixes, which would point into the re-encoded
// spec of a PrometheusRule rather than into the caller's file; the expression parser's own
// position (within the expression) stays.
func withoutPosition(err error) error {
	var we *rulefmt.WrappedError
	if errors.As(err, &we) && errors.Unwrap(we) != nil {
		return errors.Unwrap(we)
	}
	return err
}

// rulesBody returns the plain rules-file YAML: the input itself, or a PrometheusRule's spec
// (re-encoded, so YAML line numbers then count from the spec).
func rulesBody(content []byte) ([]byte, bool, error) {
	var doc struct {
		Kind string    `yaml:"kind"`
		Spec yaml.Node `yaml:"spec"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("rules file is not YAML: %w", err)
	}
	if doc.Kind == "" {
		return content, false, nil
	}
	if doc.Kind != "PrometheusRule" {
		return nil, false, fmt.Errorf("rules file is a %s; expected a PrometheusRule or a Prometheus rules file with top-level groups", doc.Kind)
	}
	var b strings.Builder
	if err := yaml.NewEncoder(&b).Encode(&doc.Spec); err != nil {
		return nil, true, fmt.Errorf("PrometheusRule spec: %w", err)
	}
	return []byte(b.String()), true, nil
}
