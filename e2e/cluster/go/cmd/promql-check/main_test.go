package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cairn.dev/e2e/cluster/internal/promcheck"
)

const scrape = `# HELP cairn_schedule_consecutive_failures Failed runs in a row.
# TYPE cairn_schedule_consecutive_failures gauge
cairn_schedule_consecutive_failures{namespace="apps",schedule="db"} 3
cairn_schedule_consecutive_failures{namespace="apps",schedule="web"} 0
# TYPE cairn_schedule_last_success_timestamp_seconds gauge
cairn_schedule_last_success_timestamp_seconds{namespace="apps",schedule="db"} 1000 1234
cairn_schedule_last_success_timestamp_seconds{namespace="apps",schedule="web"} 1999999000
`

const prometheusRule = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: cairn}
spec:
  groups:
    - name: cairn
      rules:
        - record: cairn:failing_schedules:count
          expr: count(cairn_schedule_consecutive_failures >= 2)
          labels: {team: storage}
        - alert: CairnScheduleFailing
          expr: cairn:failing_schedules:count > 0
          for: 15m
        - alert: CairnScheduleStale
          expr: time() - cairn_schedule_last_success_timestamp_seconds > 2 * 86400
        - alert: CairnBroken
          expr: sum(rate(cairn_runs_total[5m]) by (schedule)
`

func runCheck(t *testing.T, rules, metrics string) (int, []promcheck.Result, string) {
	t.Helper()
	dir := t.TempDir()
	rp, mp := filepath.Join(dir, "rules.yaml"), filepath.Join(dir, "scrape.txt")
	if err := os.WriteFile(rp, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte(metrics), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"--rules", rp, "--metrics", mp, "--time", "2000000000"}, &stdout, &stderr)
	var results []promcheck.Result
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
		}
	}
	return code, results, stderr.String()
}

func TestPrometheusRuleValuesAndParseError(t *testing.T) {
	code, res, stderr := runCheck(t, prometheusRule, scrape)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one expression does not parse)", code)
	}
	if len(res) != 4 {
		t.Fatalf("got %d results, want 4: %+v", len(res), res)
	}

	rec := res[0]
	if rec.Record != "cairn:failing_schedules:count" || rec.Error != "" || len(rec.Samples) != 1 ||
		rec.Samples[0].Value != "1" || rec.Samples[0].Metric["__name__"] != "cairn:failing_schedules:count" ||
		rec.Samples[0].Metric["team"] != "storage" {
		t.Errorf("recording rule = %+v", rec)
	}
	// The alert reads the series the recording rule just wrote, as in one group evaluation.
	if a := res[1]; a.Alert != "CairnScheduleFailing" || len(a.Samples) != 1 || a.Samples[0].Value != "1" {
		t.Errorf("alert on a recorded series = %+v", a)
	}
	// Only db is stale: 2000000000 - 1000 (the scrape's own timestamp is ignored).
	stale := res[2]
	if len(stale.Samples) != 1 || stale.Samples[0].Metric["schedule"] != "db" || stale.Samples[0].Value != "1999999000" {
		t.Errorf("CairnScheduleStale = %+v", stale)
	}
	broken := res[3]
	if broken.Alert != "CairnBroken" || !strings.Contains(broken.Error, "parse error") || len(broken.Samples) != 0 {
		t.Errorf("CairnBroken = %+v, want a parse error", broken)
	}
	if !strings.Contains(stderr, `rule "CairnBroken"`) {
		t.Errorf("stderr does not name the failing rule: %q", stderr)
	}
}

func TestPlainRulesFile(t *testing.T) {
	rules := `groups:
  - name: g
    rules:
      - alert: Failing
        expr: cairn_schedule_consecutive_failures >= 2
`
	code, res, stderr := runCheck(t, rules, scrape)
	if code != 0 || len(res) != 1 || len(res[0].Samples) != 1 || res[0].Samples[0].Metric["schedule"] != "db" ||
		res[0].Samples[0].Value != "3" {
		t.Errorf("exit %d, results %+v, stderr %q", code, res, stderr)
	}
}

func TestBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ rules, metrics, want string }{
		"not YAML":         {"groups: [", scrape, "rules.yaml"},
		"unknown field":    {"groups:\n  - name: g\n    rulez: []\n", scrape, "rulez"},
		"other kind":       {"kind: ConfigMap\n", scrape, "ConfigMap"},
		"bad scrape":       {"groups: []\n", "metric{ 1\n", "scrape.txt"},
		"duplicate series": {"groups: []\n", "a 1\na 2\n", "duplicate sample"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCheck(t, tc.rules, tc.metrics)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line naming %q", code, stderr, tc.want)
			}
		})
	}
}
