// Command promql-check evaluates Cairn's alerting and recording rules with Prometheus's own rule
// validation and PromQL engine (the "real evaluator" for the rules the chart ships), against one
// metrics scrape in the text exposition format.
//
//	promql-check --rules rules.yaml --metrics scrape.txt [--time 2026-01-02T03:04:05Z]
//
// The rules file is a PrometheusRule object (its spec.groups) or a plain Prometheus rules file.
// Every scraped series is loaded as one sample at the evaluation instant (default: now), then the
// rules are evaluated at that instant in file order. Output on stdout is a JSON array with one
// entry per rule: {group, alert|record, expr, error?, samples: [{metric, value}]}. An alert's
// samples are its expression's result (what would be pending or firing: `for:` is ignored, there
// is only one instant); a recording rule's are the recorded series, which later rules can read.
// With a single instant, range functions over counters (rate, increase) see one sample per series
// and return nothing; test such rules for parsing, not for values.
//
// Exit codes: 0 every rule evaluated; 1 some rule has an error (an expression that does not parse,
// invalid rule fields, or an evaluation error) — the JSON is still written; 2 bad usage or
// unreadable input (missing file, not YAML, scrape not in the text format).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"cairn.dev/e2e/cluster/internal/promcheck"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("promql-check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	rulesPath := fl.String("rules", "", "PrometheusRule YAML or Prometheus rules file (required)")
	metricsPath := fl.String("metrics", "", "metrics scrape in the Prometheus text format (required)")
	atFlag := fl.String("time", "", "evaluation instant, RFC 3339 or Unix seconds (default: now)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		// One line per error, even for YAML errors that list several problems on several lines.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(fmt.Sprintf(format, a...), "\n", "; ")), " ")
		_, _ = fmt.Fprintln(stderr, "promql-check: "+strings.ReplaceAll(msg, ":;", ":"))
		return 2
	}
	if *rulesPath == "" || *metricsPath == "" {
		return fail("--rules and --metrics are both required (see --help)")
	}
	at, err := parseTime(*atFlag)
	if err != nil {
		return fail("--time %q: use RFC 3339 (2026-01-02T03:04:05Z) or Unix seconds", *atFlag)
	}
	rulesYAML, err := os.ReadFile(*rulesPath)
	if err != nil {
		return fail("--rules: %v", err)
	}
	scrape, err := os.ReadFile(*metricsPath)
	if err != nil {
		return fail("--metrics: %v", err)
	}

	p := promcheck.NewParser()
	rules, err := promcheck.LoadRules(rulesYAML, p)
	if err != nil {
		return fail("%s: %v", *rulesPath, err)
	}
	results, err := promcheck.Evaluate(context.Background(), rules, scrape, at, p)
	if err != nil {
		return fail("%s: %v", *metricsPath, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		return fail("write output: %v", err)
	}
	code := 0
	for _, r := range results {
		if r.Error != "" {
			_, _ = fmt.Fprintf(stderr, "promql-check: group %q rule %q: %s\n", r.Group, r.Alert+r.Record, r.Error)
			code = 1
		}
	}
	return code
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Now().Truncate(time.Millisecond), nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.UnixMilli(int64(secs * 1000)), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
