package promcheck

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// memStorage is the smallest storage.Queryable the PromQL engine accepts: series held in memory.
// Prometheus's own TSDB would do, but the tsdb package imports config and service discovery (and
// with them cloud SDKs and client-go); promql-check needs none of that for one instant of data.
type memStorage struct {
	series map[string]*memSeries // by labels.Labels.String()
}

type memSeries struct {
	lset    labels.Labels
	samples []chunks.Sample // ascending by time
}

func newMemStorage() *memStorage { return &memStorage{series: map[string]*memSeries{}} }

// add stores a float sample, or a float histogram if fh is set. Like the TSDB, a second, different
// value for a series at the same timestamp is an error.
func (m *memStorage) add(lset labels.Labels, t int64, f float64, fh *histogram.FloatHistogram) error {
	key := lset.String()
	s, ok := m.series[key]
	if !ok {
		s = &memSeries{lset: lset}
		m.series[key] = s
	}
	for _, old := range s.samples {
		if old.T() == t {
			if fh == nil && old.FH() == nil && old.F() == f {
				return nil
			}
			return fmt.Errorf("duplicate sample for timestamp %d of series %s", t, key)
		}
	}
	s.samples = append(s.samples, sample{t: t, f: f, fh: fh})
	slices.SortFunc(s.samples, func(a, b chunks.Sample) int { return cmp.Compare(a.T(), b.T()) })
	return nil
}

func (m *memStorage) Querier(mint, maxt int64) (storage.Querier, error) {
	return &memQuerier{m: m, mint: mint, maxt: maxt}, nil
}

type memQuerier struct {
	m          *memStorage
	mint, maxt int64
}

// matching returns the series that match every matcher and have samples in the querier's range,
// sorted by labels.
func (q *memQuerier) matching(matchers []*labels.Matcher) []storage.Series {
	var out []storage.Series
	for _, s := range q.m.series {
		if !matchesAll(s.lset, matchers) {
			continue
		}
		var in []chunks.Sample
		for _, smp := range s.samples {
			if smp.T() >= q.mint && smp.T() <= q.maxt {
				in = append(in, smp)
			}
		}
		if len(in) > 0 {
			out = append(out, storage.NewListSeries(s.lset, in))
		}
	}
	slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return out
}

func matchesAll(lset labels.Labels, matchers []*labels.Matcher) bool {
	for _, m := range matchers {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (q *memQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, matchers ...*labels.Matcher) storage.SeriesSet {
	return &seriesSet{series: q.matching(matchers), i: -1}
}

func (q *memQuerier) LabelValues(_ context.Context, name string, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	var out []string
	for _, s := range q.matching(matchers) {
		if v := s.Labels().Get(name); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil, nil
}

func (q *memQuerier) LabelNames(_ context.Context, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	var out []string
	for _, s := range q.matching(matchers) {
		s.Labels().Range(func(l labels.Label) { out = append(out, l.Name) })
	}
	slices.Sort(out)
	return slices.Compact(out), nil, nil
}

func (q *memQuerier) Close() error { return nil }

type seriesSet struct {
	series []storage.Series
	i      int
}

func (s *seriesSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *seriesSet) At() storage.Series                { return s.series[s.i] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

// sample is a float or float-histogram sample (the only kinds a text scrape or a rule produces).
type sample struct {
	t  int64
	f  float64
	fh *histogram.FloatHistogram
}

func (s sample) T() int64                      { return s.t }
func (s sample) ST() int64                     { return 0 }
func (s sample) F() float64                    { return s.f }
func (s sample) H() *histogram.Histogram       { return nil }
func (s sample) FH() *histogram.FloatHistogram { return s.fh }
func (s sample) Copy() chunks.Sample {
	c := s
	if s.fh != nil {
		c.fh = s.fh.Copy()
	}
	return c
}

func (s sample) Type() chunkenc.ValueType {
	if s.fh != nil {
		return chunkenc.ValFloatHistogram
	}
	return chunkenc.ValFloat
}
