package promcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
)

// Sample is one element of a rule's result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	// Value is formatted as Prometheus's HTTP API does ("1", "0.5", "NaN", "+Inf"), since JSON
	// numbers cannot hold NaN or infinities.
	Value string `json:"value"`
}

// Result is what one rule evaluated to.
type Result struct {
	Group   string   `json:"group"`
	Alert   string   `json:"alert,omitempty"`
	Record  string   `json:"record,omitempty"`
	Expr    string   `json:"expr"`
	Error   string   `json:"error,omitempty"`
	Samples []Sample `json:"samples"`
}

// NewParser is the PromQL parser used both to validate rules and by the engine.
func NewParser() parser.Parser { return parser.NewParser(parser.Options{}) }

// Evaluate loads scrape (text exposition format) as samples at instant at, then evaluates the
// rules in file order at that same instant, as one rule-group evaluation would: a recording rule's
// output is stored at the instant, so later rules see it. An alerting rule's samples are its
// expression's result, i.e. what would be pending or firing; `for:` and `keep_firing_for:` are
// ignored, since there is a single instant. Rules that failed validation are not evaluated.
func Evaluate(ctx context.Context, rules []Rule, scrape []byte, at time.Time, p parser.Parser) ([]Result, error) {
	db := newMemStorage()
	ts := at.UnixMilli()
	if err := loadScrape(db, scrape, ts); err != nil {
		return nil, err
	}
	engine := promql.NewEngine(promql.EngineOpts{
		MaxSamples:    50_000_000,
		Timeout:       time.Minute,
		LookbackDelta: 5 * time.Minute,
		Parser:        p,
	})
	out := make([]Result, 0, len(rules))
	for _, r := range rules {
		res := Result{Group: r.Group, Alert: r.Rule.Alert, Record: r.Rule.Record, Expr: r.Rule.Expr, Samples: []Sample{}}
		if len(r.Errors) > 0 {
			res.Error = strings.Join(r.Errors, "; ")
			out = append(out, res)
			continue
		}
		vec, err := query(ctx, engine, db, r.Rule.Expr, at)
		if err == nil && r.Rule.Record != "" {
			vec = recorded(vec, r.Rule.Record, r.Rule.Labels)
			err = store(db, vec, ts)
		}
		if err != nil {
			res.Error = err.Error()
		}
		for _, s := range vec {
			res.Samples = append(res.Samples, Sample{Metric: s.Metric.Map(), Value: formatValue(s)})
		}
		out = append(out, res)
	}
	return out, nil
}

// query runs one instant query the way Prometheus's rule manager does (rules.EngineQueryFunc):
// a scalar result becomes a one-element vector without labels.
func query(ctx context.Context, engine *promql.Engine, q storage.Queryable, expr string, at time.Time) (promql.Vector, error) {
	qry, err := engine.NewInstantQuery(ctx, q, nil, expr, at)
	if err != nil {
		return nil, err
	}
	defer qry.Close()
	res := qry.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{{T: v.T, F: v.V, Metric: labels.EmptyLabels()}}, nil
	default:
		return nil, fmt.Errorf("rule result is a %s, not a vector or scalar", res.Value.Type())
	}
}

// recorded renames each sample to the recording rule's name and applies its labels.
func recorded(vec promql.Vector, name string, extra map[string]string) promql.Vector {
	out := make(promql.Vector, 0, len(vec))
	for _, s := range vec {
		b := labels.NewBuilder(s.Metric)
		b.Set(labels.MetricName, name)
		for k, v := range extra {
			b.Set(k, v)
		}
		s.Metric = b.Labels()
		out = append(out, s)
	}
	return out
}

func store(db *memStorage, vec promql.Vector, ts int64) error {
	for _, s := range vec {
		if err := db.add(s.Metric, ts, s.F, s.H); err != nil {
			return fmt.Errorf("store recorded series: %w", err)
		}
	}
	return nil
}

// loadScrape adds every series of a text-format scrape at ts. Timestamps written in the scrape
// are ignored: everything is placed at the evaluation instant.
func loadScrape(db *memStorage, scrape []byte, ts int64) error {
	p := textparse.NewPromParser(scrape, labels.NewSymbolTable(), false)
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("metrics scrape: %w", err)
		}
		if entry != textparse.EntrySeries {
			continue
		}
		var lset labels.Labels
		_, _, v := p.Series()
		p.Labels(&lset)
		if err := db.add(lset, ts, v, nil); err != nil {
			return fmt.Errorf("metrics scrape: %w", err)
		}
	}
}

func formatValue(s promql.Sample) string {
	if s.H != nil {
		return s.H.String()
	}
	return strconv.FormatFloat(s.F, 'f', -1, 64) // "+Inf", "-Inf" and "NaN" as Prometheus writes them
}
