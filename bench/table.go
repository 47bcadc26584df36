package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteTable writes rows as a Markdown table, the form the README shows.
func WriteTable(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| functions | strategy | wall | floor | wall/floor | API calls | GetMetricData | GetMetricStatistics | throttles | 5xx | failed functions | est. AWS bill | peak RSS |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ratio := "–"
		if r.Floor > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Wall.Seconds()/r.Floor.Seconds())
		}
		failed := fmt.Sprint(r.FailedFunctions)
		if r.Err != "" {
			failed += " (" + r.Err + ")"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %d | %d | %d | %d | %d | %s | $%.4f | %.0f MB |\n",
			r.Functions, r.Strategy, round(r.Wall), round(r.Floor), ratio, r.TotalCalls(),
			r.Calls["monitoring:GetMetricData"], r.Calls["monitoring:GetMetricStatistics"],
			r.Throttles, r.ServerErrors, failed, r.CostUSD, r.PeakRSSMB)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCalls writes every strategy's calls per API, one line per row.
func WriteCalls(w io.Writer, rows []Row) error {
	for _, r := range rows {
		keys := make([]string, 0, len(r.Calls))
		for k := range r.Calls {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", k, r.Calls[k])
		}
		if _, err := fmt.Fprintf(w, "%d %s: %s\n", r.Functions, r.Strategy, strings.Join(parts, " ")); err != nil {
			return err
		}
	}
	return nil
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
