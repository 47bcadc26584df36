package scanner

import (
	"context"

	"github.com/lambdaudit/lambdaudit/store"
)

// AssemblePeaks assembles m's targets and functions as Assemble does,
// handing each function to fn, and returns the most metrics and logs
// outcomes held at once while doing it.
func AssemblePeaks(ctx context.Context, st store.Store, m *Manifest, fn func(*Function)) (metrics, logs int, err error) {
	a := &assembly{ctx: ctx, st: st, m: m}
	res := &Result{}
	for i := range m.Targets {
		if _, err := a.target(i); err != nil {
			return 0, 0, err
		}
	}
	if err := a.logsFirstPass(res); err != nil {
		return 0, 0, err
	}
	for i := range m.Targets {
		if err := a.functions(i, func(f *Function) error { fn(f); return nil }); err != nil {
			return 0, 0, err
		}
	}
	return a.peakMetrics, a.peakLogs, nil
}
