package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Architectures as Lambda names them.
const (
	ArchX86   = "x86_64"
	ArchARM64 = "arm64"
)

// TableSchema and TableVersion identify the price table format, embedded
// and written by `lambdaudit cost refresh` alike.
const (
	TableSchema  = "lambdaudit/prices"
	TableVersion = 1
)

// ErrNoPrice is returned (wrapped) for a region or architecture the price
// table has no entry for.
var ErrNoPrice = errors.New("no price")

// Rate is a price per unit in its entry's currency. It encodes as a plain decimal JSON
// number (0.0000166667, not 1.66667e-05) so that a table file reads like
// AWS's price list.
type Rate float64

// MarshalJSON writes the rate without an exponent.
func (r Rate) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(r)) || math.IsInf(float64(r), 0) {
		return nil, fmt.Errorf("rate %v is not a number", float64(r))
	}
	return []byte(strconv.FormatFloat(float64(r), 'f', -1, 64)), nil
}

// Tier is one band of the monthly duration price: the GB-s of an
// account's month (per region and architecture) up to UpToGBSeconds are
// billed at PerGBSecond; UpToGBSeconds 0 means no upper bound (the last
// tier).
type Tier struct {
	UpToGBSeconds Rate `json:"upToGBSeconds,omitempty"`
	PerGBSecond   Rate `json:"perGBSecond"`
}

// Currencies the price table knows: AWS bills the aws and aws-us-gov
// partitions in US dollars and aws-cn in Chinese yuan. lambdaudit never
// converts one into the other.
const (
	CurrencyUSD = "USD"
	CurrencyCNY = "CNY"
)

// Prices are the Lambda rates of one region and architecture, in
// Currency.
type Prices struct {
	Region       string `json:"region"`
	Architecture string `json:"architecture"`
	// Currency is the currency of every rate of the entry (USD, or CNY for
	// the aws-cn regions); a table file without it means the table's.
	Currency string `json:"currency,omitempty"`
	// PerRequest is the price of one request ($0.20 per million is
	// 0.0000002).
	PerRequest Rate `json:"perRequest"`
	// Duration are the on-demand duration tiers, in ascending order.
	Duration []Tier `json:"duration"`
	// EphemeralPerGBSecond is charged for the ephemeral storage
	// configured above the free 512 MB, per GB-s of billed duration.
	EphemeralPerGBSecond Rate `json:"ephemeralPerGBSecond"`
	// ProvisionedPerGBSecond is provisioned concurrency while enabled
	// (allocated GB × seconds enabled); ProvisionedDurationPerGBSecond
	// the duration of invocations it serves.
	ProvisionedPerGBSecond         Rate `json:"provisionedPerGBSecond"`
	ProvisionedDurationPerGBSecond Rate `json:"provisionedDurationPerGBSecond"`
	// AsOf is the date of the entry's rates (YYYY-MM-DD); empty in a
	// table file means the table's.
	AsOf string `json:"asOf,omitempty"`
	// Source says where these rates come from.
	Source string `json:"source"`
	// Unconfirmed names the rates the entry's source did not give from a
	// primary source (the AWS Price List); what stands in for them — us-
	// east-1's rate, or a regional multiplier of it — is said in Source,
	// until a refresh replaces them.
	Unconfirmed []string `json:"unconfirmed,omitempty"`
}

// FreeTier is the monthly free allowance of an account.
type FreeTier struct {
	Requests  float64 `json:"requests"`
	GBSeconds float64 `json:"gbSeconds"`
}

// Table is a dated set of prices per region and architecture.
type Table struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	AsOf    string `json:"asOf"` // YYYY-MM-DD
	// Currency is the reporting currency (USD): the currency of an entry
	// that does not name one, and the only one Model adds up.
	Currency string `json:"currency"`
	Source   string `json:"source"`
	// FreeTier is the monthly allowance per account (both architectures,
	// all regions together).
	FreeTier FreeTier `json:"freeTier"`
	// Entries has one entry per region and architecture, sorted by region
	// then architecture.
	Entries []Prices `json:"prices"`
	// Origin is where the table was read from ("embedded" or a path); it
	// is not part of the file.
	Origin string `json:"-"`

	index map[string]int
}

//go:embed prices/lambda.json
var embeddedTable []byte

var embedded = sync.OnceValue(func() *Table {
	t, err := Parse(embeddedTable)
	if err != nil {
		panic("cost: the embedded price table is invalid: " + err.Error())
	}
	t.Origin = "embedded"
	return t
})

// Embedded is the price table compiled into the tool. It is shared: do
// not modify it.
func Embedded() *Table { return embedded() }

// Load reads a price table file (as `lambdaudit cost refresh` writes it).
func Load(path string) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("price table %s: %w", path, err)
	}
	t.Origin = path
	return t, nil
}

// DefaultPath is where `lambdaudit cost refresh` writes the table and
// where Open looks for one: lambdaudit/prices.json under the user's
// configuration directory (~/.config on Linux).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("price table: %w", err)
	}
	return filepath.Join(dir, "lambdaudit", "prices.json"), nil
}

// Open is the table the tool uses: the file at path when path is set; else
// the refreshed file at DefaultPath when there is one; else the embedded
// table.
func Open(path string) (*Table, error) {
	if path != "" {
		return Load(path)
	}
	if def, err := DefaultPath(); err == nil {
		if _, err := os.Stat(def); err == nil {
			return Load(def)
		}
	}
	return Embedded(), nil
}

// Parse decodes and validates a price table.
func Parse(b []byte) (*Table, error) {
	var t Table
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate checks the table and indexes it; an error names the entry and
// the field.
func (t *Table) Validate() error {
	if t.Schema != TableSchema || t.Version != TableVersion {
		return fmt.Errorf("not a price table of a known version: schema %q version %d (want %q version %d)", t.Schema, t.Version, TableSchema, TableVersion)
	}
	if _, err := time.Parse(time.DateOnly, t.AsOf); err != nil {
		return fmt.Errorf("asOf: %q is not a date (YYYY-MM-DD)", t.AsOf)
	}
	if t.Currency != CurrencyUSD {
		return fmt.Errorf("currency: %q, the table's currency must be %s", t.Currency, CurrencyUSD)
	}
	if t.FreeTier.Requests < 0 || t.FreeTier.GBSeconds < 0 || !finite(t.FreeTier.Requests) || !finite(t.FreeTier.GBSeconds) {
		return fmt.Errorf("freeTier: requests %v and gbSeconds %v must be finite and not negative", t.FreeTier.Requests, t.FreeTier.GBSeconds)
	}
	if len(t.Entries) == 0 {
		return errors.New("prices: the table has no entries")
	}
	t.index = make(map[string]int, len(t.Entries))
	for i := range t.Entries {
		p := &t.Entries[i]
		if p.Currency == "" {
			p.Currency = t.Currency
		}
		if p.AsOf == "" {
			p.AsOf = t.AsOf
		}
		if err := p.validate(); err != nil {
			return fmt.Errorf("prices[%d] (%s %s): %w", i, p.Region, p.Architecture, err)
		}
		k := p.Region + "/" + p.Architecture
		if _, dup := t.index[k]; dup {
			return fmt.Errorf("prices[%d]: a second entry for %s %s", i, p.Region, p.Architecture)
		}
		t.index[k] = i
	}
	return nil
}

func (p *Prices) validate() error {
	switch {
	case p.Region == "":
		return errors.New("region is empty")
	case p.Architecture != ArchX86 && p.Architecture != ArchARM64:
		return fmt.Errorf("architecture %q is not %s or %s", p.Architecture, ArchX86, ArchARM64)
	case len(p.Duration) == 0:
		return errors.New("duration has no tier")
	case p.Currency != CurrencyUSD && p.Currency != CurrencyCNY:
		return fmt.Errorf("currency %q is not %s or %s", p.Currency, CurrencyUSD, CurrencyCNY)
	}
	if _, err := time.Parse(time.DateOnly, p.AsOf); err != nil {
		return fmt.Errorf("asOf: %q is not a date (YYYY-MM-DD)", p.AsOf)
	}
	rates := map[string]Rate{"perRequest": p.PerRequest, "ephemeralPerGBSecond": p.EphemeralPerGBSecond,
		"provisionedPerGBSecond": p.ProvisionedPerGBSecond, "provisionedDurationPerGBSecond": p.ProvisionedDurationPerGBSecond}
	for i, tr := range p.Duration {
		rates[fmt.Sprintf("duration[%d].perGBSecond", i)] = tr.PerGBSecond
	}
	names := make([]string, 0, len(rates))
	for n := range rates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if r := float64(rates[n]); r < 0 || !finite(r) {
			return fmt.Errorf("%s: %v is not a price", n, r)
		}
	}
	var prev Rate
	for i, tr := range p.Duration {
		last := i == len(p.Duration)-1
		switch {
		case last && tr.UpToGBSeconds != 0:
			return fmt.Errorf("duration[%d]: the last tier must have no upper bound (upToGBSeconds omitted), got %v", i, float64(tr.UpToGBSeconds))
		case !last && tr.UpToGBSeconds <= prev:
			return fmt.Errorf("duration[%d]: upToGBSeconds %v must be above the previous tier's %v", i, float64(tr.UpToGBSeconds), float64(prev))
		}
		prev = tr.UpToGBSeconds
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Prices are the rates of a region and architecture ("" is x86_64, as
// Lambda's default). An error wrapping ErrNoPrice names a region or
// architecture the table has no entry for.
func (t *Table) Prices(region, arch string) (Prices, error) {
	if arch == "" {
		arch = ArchX86
	}
	if t.index == nil {
		if err := t.Validate(); err != nil {
			return Prices{}, fmt.Errorf("price table: %w", err)
		}
	}
	if i, ok := t.index[region+"/"+arch]; ok {
		return t.Entries[i], nil
	}
	if arch != ArchX86 && arch != ArchARM64 {
		return Prices{}, fmt.Errorf("%w for architecture %q (region %s): Lambda architectures are %s and %s", ErrNoPrice, arch, region, ArchX86, ArchARM64)
	}
	return Prices{}, fmt.Errorf("%w for region %q, architecture %s, in the price table of %s (%s); it has %s — `lambdaudit cost refresh` fetches every region",
		ErrNoPrice, region, arch, t.AsOf, t.origin(), strings.Join(t.Regions(), ", "))
}

// Regions lists the table's regions, sorted.
func (t *Table) Regions() []string {
	var out []string
	for _, p := range t.Entries {
		if !slices.Contains(out, p.Region) {
			out = append(out, p.Region)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Table) origin() string {
	if t.Origin == "" {
		return "not from a file"
	}
	return t.Origin
}

// Sort orders the entries by region then architecture and re-indexes.
func (t *Table) Sort() {
	sort.Slice(t.Entries, func(i, j int) bool {
		a, b := t.Entries[i], t.Entries[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Architecture > b.Architecture // x86_64 before arm64
	})
	t.index = nil
}

// Write encodes the table as indented JSON, the format Load reads.
func (t *Table) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("write price table: %w", err)
	}
	return nil
}

// Merge adds to t the entries of base for the regions t has none of — the
// regions a refresh's Price List did not return (aws-cn, served by a Price
// List endpoint of its own, or the regions a --regions refresh left out) —
// so that a refresh never loses a region. The kept regions are named in
// t.Source with base's date and origin, and returned, sorted.
func (t *Table) Merge(base *Table) []string {
	if base == nil {
		return nil
	}
	have := map[string]bool{}
	for _, p := range t.Entries {
		have[p.Region] = true
	}
	var kept []string
	for _, p := range base.Entries {
		if have[p.Region] {
			continue
		}
		if p.Currency == "" {
			p.Currency = base.Currency
		}
		if p.AsOf == "" {
			p.AsOf = base.AsOf
		}
		p.Unconfirmed = slices.Clone(p.Unconfirmed)
		p.Duration = slices.Clone(p.Duration)
		t.Entries = append(t.Entries, p)
		if !slices.Contains(kept, p.Region) {
			kept = append(kept, p.Region)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	sort.Strings(kept)
	t.Source += fmt.Sprintf("; kept from the price table of %s (%s), not in this Price List read: %s", base.AsOf, base.origin(), strings.Join(kept, ", "))
	t.Sort()
	return kept
}

// ReplacePartition replaces t's entries of a partition (PartitionOf) by
// other's entries of that partition — a read of the aws-cn Price List,
// which AWS serves from an endpoint of its own — and notes it in Source.
// It returns the regions taken from other.
func (t *Table) ReplacePartition(partition string, other *Table) []string {
	keep := t.Entries[:0:0]
	for _, p := range t.Entries {
		if PartitionOf(p.Region) != partition {
			keep = append(keep, p)
		}
	}
	var taken []string
	for _, p := range other.Entries {
		if PartitionOf(p.Region) != partition {
			continue
		}
		p.Unconfirmed = slices.Clone(p.Unconfirmed)
		p.Duration = slices.Clone(p.Duration)
		keep = append(keep, p)
		if !slices.Contains(taken, p.Region) {
			taken = append(taken, p.Region)
		}
	}
	t.Entries = keep
	if len(taken) > 0 {
		sort.Strings(taken)
		t.Source += fmt.Sprintf("; %s (%s) from: %s", partition, strings.Join(taken, ", "), other.Source)
	}
	t.Sort()
	return taken
}
