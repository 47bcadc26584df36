package csv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/lambdaudit/lambdaudit/cost"
)

// csvSummaryRow is one account-region of the cost model.
type csvSummaryRow struct {
	day string
	g   *cost.GroupCost
	L   int
}

var csvSummaryColumns = []csvCell[*csvSummaryRow]{
	plain("report_day", "the day the row is about (YYYY-MM-DD, UTC): the scan window's last day",
		func(r *csvSummaryRow) string { return r.day }),
	awsText("account", "AWS account ID",
		func(r *csvSummaryRow) string { return r.g.Account }),
	awsText("region", "AWS region",
		func(r *csvSummaryRow) string { return r.g.Region }),
	plain("functions", "functions the scan listed in the account-region",
		func(r *csvSummaryRow) string { return strconv.Itoa(r.g.Functions) }),
	plain("functions_with_cost", "of those, the functions with a cost figure on the report day",
		func(r *csvSummaryRow) string {
			if r.L < len(r.g.Covered) {
				return strconv.Itoa(r.g.Covered[r.L])
			}
			return ""
		}),
	plain("report_day_cost_usd", "the report day's cost of those functions, USD; empty when none has a figure",
		func(r *csvSummaryRow) string { return r.dayCost() }),
	plain("avg_7d_cost_usd", "mean daily cost of the 7 days before the report day that have a cost figure, USD",
		func(r *csvSummaryRow) string { return optNum(meanBefore(r.g.Days, r.L)) }),
	plain("month_to_date_usd", "cost of the report day's month up to and including the report day, USD",
		func(r *csvSummaryRow) string {
			if r.g.MonthToDate == nil {
				return ""
			}
			return formatNumber(r.g.MonthToDate.Total)
		}),
	plain("projected_month_usd", "the cost model's projection of the report day's month, USD",
		func(r *csvSummaryRow) string { return optNum(r.g.ProjectedMonth) }),
	plain("change_vs_7d_pct", "(report_day_cost_usd − avg_7d_cost_usd) ÷ avg_7d_cost_usd × 100, to 4 decimals; empty when either is empty or the average is 0",
		func(r *csvSummaryRow) string { return changePct(r.today(), meanBefore(r.g.Days, r.L)) }),
}

func (r *csvSummaryRow) today() *cost.Breakdown {
	if r.L < len(r.g.Days) {
		return r.g.Days[r.L]
	}
	return nil
}

func (r *csvSummaryRow) dayCost() string {
	if b := r.today(); b != nil {
		return formatNumber(b.Total)
	}
	return ""
}

// WriteSummary writes the cost model's account-region totals as CSV
// (SummaryColumns): one row per account-region, sorted by account then
// region, in the same format as WriteReport. It is the "totals" WriteReport
// leaves out, kept in a file of its own so that neither double-counts
// when a spreadsheet sums a column. The account-regions add up to the
// fleet; there is no grand-total row either.
//
// A figure the model does not have is an empty cell: an account-region
// whose functions were not priced (a region without a price, Managed
// Instances, …) has its row with functions_with_cost 0 and empty costs.
// Without costs at all (nil) the file has the header and no row; it is
// never withheld.
func WriteSummary(w io.Writer, costs *cost.Costs) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if costs == nil {
		if err := writeTable(cw, csvSummaryColumns, func(func(*csvSummaryRow) bool) {}); err != nil {
			return fmt.Errorf("csv summary: %w", err)
		}
		return nil
	}
	if err := costs.Window.Validate(); err != nil {
		return fmt.Errorf("csv summary: costs: %w", err)
	}
	day := ReportDay(costs.Window)
	err := writeTable(cw, csvSummaryColumns, func(yield func(*csvSummaryRow) bool) {
		for i := range costs.Regions {
			if !yield(&csvSummaryRow{day: day, g: &costs.Regions[i], L: costs.Window.Days - 1}) {
				return
			}
		}
	})
	if err != nil {
		return fmt.Errorf("csv summary: %w", err)
	}
	return nil
}
