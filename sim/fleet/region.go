package fleet

import (
	"math"
	"time"
)

// regionDay is the region's no-dimension metrics for one day, per hour.
type regionDay struct {
	inv, errs, thr [24]int64
	conc, unres    [24]float64
}

// RegionDay returns per-hour sums over the region's functions for the day.
func (r *Region) regionDay(daysAgo int) *regionDay {
	r.aggMu.Lock()
	defer r.aggMu.Unlock()
	if rd := r.agg[daysAgo]; rd != nil {
		return rd
	}
	rd := &regionDay{}
	for _, fn := range r.Functions {
		if daysAgo > fn.CreatedDaysAgo {
			continue
		}
		d := fn.build(daysAgo) // bypass the cache: one pass over the region
		if d.Invocations == 0 && d.Throttles == 0 {
			continue
		}
		errs := d.countHour(d.Errors, true)
		thr := d.countHour(d.Throttles, false)
		for h := 0; h < 24; h++ {
			rd.inv[h] += d.hourCaps[h]
			rd.errs[h] += errs[h]
			rd.thr[h] += thr[h]
			if d.hourCaps[h] > 0 {
				g := d.gaugeAt(d.ConcurrencyMax, h)
				rd.conc[h] += g
				if fn.ReservedConcurrency == nil {
					rd.unres[h] += g
				}
			}
		}
	}
	if r.concOver != nil {
		// Reshape the hourly sums so the busiest hour is the override.
		target := r.concOver.at(daysAgo, r.fleet.Days, 0)
		var peak float64
		for _, c := range rd.conc {
			peak = math.Max(peak, c)
		}
		for h := range rd.conc {
			scale := 1.0
			if peak > 0 {
				scale = rd.conc[h] / peak
			}
			rd.conc[h] = math.Round(target * scale)
			rd.unres[h] = rd.conc[h]
		}
	}
	if r.agg == nil {
		r.agg = map[int]*regionDay{}
	}
	r.agg[daysAgo] = rd
	return rd
}

// addRegion adds the region-level samples of one piece.
func (r *Region) addRegion(a *acc, name string, daysAgo int, res time.Duration, at time.Time) {
	if daysAgo > r.fleet.Days {
		return
	}
	rd := r.regionDay(daysAgo)
	hours := []int{at.Hour()}
	if res == 24*time.Hour {
		hours = hours[:0]
		for h := 0; h < 24; h++ {
			hours = append(hours, h)
		}
	}
	for _, h := range hours {
		inv, errs, thr := rd.inv[h], rd.errs[h], rd.thr[h]
		w := 60.0
		if res == time.Minute {
			mi := at.Minute()
			caps := apportion(inv, uniform60)
			errs = splitCount(errs, caps, uniform60)[mi]
			thr = apportion(thr, uniform60)[mi]
			inv = caps[mi]
			w = 1
		}
		switch name {
		case "Invocations":
			a.add(1, float64(inv))
		case "Throttles":
			a.add(1, float64(thr))
		case "Errors":
			a.add(0, float64(inv-errs))
			a.add(1, float64(errs))
		case "ConcurrentExecutions":
			if inv > 0 || rd.conc[h] > 0 {
				a.add(rd.conc[h], w)
			}
		case "UnreservedConcurrentExecutions":
			if inv > 0 || rd.unres[h] > 0 {
				a.add(rd.unres[h], w)
			}
		}
	}
}

// ConcurrencyMax is the region's ConcurrentExecutions daily maximum.
func (r *Region) ConcurrencyMax(daysAgo int) float64 {
	rd := r.regionDay(daysAgo)
	var m float64
	for _, c := range rd.conc {
		m = math.Max(m, c)
	}
	return m
}
