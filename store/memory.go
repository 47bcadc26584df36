package store

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
)

// Memory is a Store in this process's memory, for the in-process hosts
// (tests, the CLI and the demo when nothing must outlive the run). Its
// zero value is not usable: use NewMemory.
type Memory struct {
	mu   sync.Mutex
	docs map[string][]byte
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{docs: map[string][]byte{}} }

// Get returns a copy of the document under key.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store memory: get %q: %w", key, err)
	}
	m.mu.Lock()
	b, ok := m.docs[key]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("store memory: get %q: %w", key, ErrNotFound)
	}
	return slices.Clone(b), nil
}

// Put stores a copy of b under key.
func (m *Memory) Put(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store memory: put %q: %w", key, err)
	}
	c := clone(b)
	m.mu.Lock()
	m.docs[key] = c
	m.mu.Unlock()
	return nil
}

// Create stores a copy of b under key unless the key exists.
func (m *Memory) Create(ctx context.Context, key string, b []byte) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store memory: create %q: %w", key, err)
	}
	c := clone(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.docs[key]; ok {
		return fmt.Errorf("store memory: create %q: %w", key, ErrExists)
	}
	m.docs[key] = c
	return nil
}

// List yields the keys under prefix as they were when the listing began.
func (m *Memory) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := checkPrefix(prefix); err != nil {
		return failed(err)
	}
	return func(yield func(string, error) bool) {
		if err := ctx.Err(); err != nil {
			yield("", fmt.Errorf("store memory: list %q: %w", prefix, err))
			return
		}
		m.mu.Lock()
		var keys []string
		for k := range m.docs {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, k)
			}
		}
		m.mu.Unlock()
		slices.Sort(keys)
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				yield("", fmt.Errorf("store memory: list %q: %w", prefix, err))
				return
			}
			if !yield(k, nil) {
				return
			}
		}
	}
}

// clone copies b, keeping an empty document non-nil.
func clone(b []byte) []byte { return append([]byte{}, b...) }
