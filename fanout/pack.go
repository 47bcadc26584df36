package fanout

import (
	"errors"
	"fmt"
)

// OversizeError says an item cannot fit any bin: it weighs more than a
// cap on its own (or has a negative weight).
type OversizeError struct {
	// Index is the item's position in the input (or the count of items
	// added to a Packer before it).
	Index int
	// Dim is the cap the item breaks, Weight its weight there.
	Dim, Weight, Cap int
}

// Error names the item, the cap and the weight.
func (e *OversizeError) Error() string {
	if e.Weight < 0 {
		return fmt.Sprintf("fanout: pack: item %d has a negative weight %d in dimension %d", e.Index, e.Weight, e.Dim)
	}
	return fmt.Sprintf("fanout: pack: item %d weighs %d in dimension %d, over the cap %d", e.Index, e.Weight, e.Dim, e.Cap)
}

// Pack splits items, in order, into bins whose summed weights stay within
// every cap (caps[d] bounds the sum of weight(item)[d]), next-fit: a bin
// is closed when the next item would break a cap or when it reaches a cap
// exactly. With one binding cap and unit weights that gives
// ceil(len(items)/cap) bins, the fewest possible. An item heavier than a
// cap on its own is an *OversizeError naming its index.
func Pack[T any](items []T, caps []int, weight func(T) []int) ([][]T, error) {
	p, err := NewPacker(caps, weight)
	if err != nil {
		return nil, err
	}
	var bins [][]T
	for _, it := range items {
		full, err := p.Add(it)
		if err != nil {
			return nil, err
		}
		bins = append(bins, full...)
	}
	if last := p.Flush(); last != nil {
		bins = append(bins, last)
	}
	return bins, nil
}

// Packer is Pack for items that arrive over time: Add returns a bin as
// soon as it is complete, so work can start before the input ends, and
// Flush returns the last, partly filled bin. A Packer is not safe for
// concurrent use.
type Packer[T any] struct {
	caps   []int
	weight func(T) []int
	bin    []T
	sum    []int
	n      int
}

// NewPacker returns a packer for the caps (each > 0) and the weight
// function, which must return one weight per cap.
func NewPacker[T any](caps []int, weight func(T) []int) (*Packer[T], error) {
	if len(caps) == 0 {
		return nil, errors.New("fanout: pack: no caps")
	}
	for d, c := range caps {
		if c <= 0 {
			return nil, fmt.Errorf("fanout: pack: cap %d is %d, must be positive", d, c)
		}
	}
	if weight == nil {
		return nil, errors.New("fanout: pack: nil weight function")
	}
	return &Packer[T]{caps: append([]int(nil), caps...), weight: weight, sum: make([]int, len(caps))}, nil
}

// Add puts an item in the current bin and returns the bins that became
// complete (none, one or two). An item that cannot fit any bin is an
// *OversizeError and leaves the packer unchanged.
func (p *Packer[T]) Add(item T) ([][]T, error) {
	idx := p.n
	p.n++
	w := p.weight(item)
	if len(w) != len(p.caps) {
		return nil, fmt.Errorf("fanout: pack: item %d has %d weights for %d caps", idx, len(w), len(p.caps))
	}
	fits := true
	for d, x := range w {
		if x < 0 || x > p.caps[d] {
			return nil, &OversizeError{Index: idx, Dim: d, Weight: x, Cap: p.caps[d]}
		}
		if p.sum[d]+x > p.caps[d] {
			fits = false
		}
	}
	var full [][]T
	if !fits {
		full = append(full, p.take())
	}
	p.bin = append(p.bin, item)
	reached := false
	for d, x := range w {
		p.sum[d] += x
		if p.sum[d] == p.caps[d] {
			reached = true
		}
	}
	if reached {
		full = append(full, p.take())
	}
	return full, nil
}

// Flush returns the current bin, nil if it is empty, and starts a new one.
func (p *Packer[T]) Flush() []T {
	if len(p.bin) == 0 {
		return nil
	}
	return p.take()
}

func (p *Packer[T]) take() []T {
	b := p.bin
	p.bin = make([]T, 0, len(b))
	clear(p.sum)
	return b
}
