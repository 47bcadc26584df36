package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdaudit/lambdaudit/store"
)

// conformance says how far an implementation's guarantees can be checked.
type conformance struct {
	// raceFreeCreate is false where the backend under test (moto_server)
	// checks and writes in two steps, so "exactly one of concurrent
	// Creates wins" is the real service's promise and cannot be checked.
	raceFreeCreate bool
}

// testConformance runs the shared table against fresh stores from
// newStore: every implementation must pass it.
func testConformance(t *testing.T, newStore func(t *testing.T) store.Store, c conformance) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"get missing is ErrNotFound", func(t *testing.T, s store.Store) {
			_, err := s.Get(ctx, "scans/2026-11-21/manifest.json")
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get: %v, want ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), "scans/2026-11-21/manifest.json") {
				t.Errorf("error %q does not name the key", err)
			}
		}},
		{"get of a prefix is ErrNotFound", func(t *testing.T, s store.Store) {
			mustPut(t, s, "units/u1.json", "x")
			if _, err := s.Get(ctx, "units"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get(units): %v, want ErrNotFound", err)
			}
		}},
		{"get below a document is ErrNotFound", func(t *testing.T, s store.Store) {
			mustPut(t, s, "units/u1.json", "x")
			if _, err := s.Get(ctx, "units/u1.json/more"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get: %v, want ErrNotFound", err)
			}
		}},
		{"put then get", func(t *testing.T, s store.Store) {
			mustPut(t, s, "a/b/c.json", `{"v":1}`)
			mustGet(t, s, "a/b/c.json", `{"v":1}`)
		}},
		{"put overwrites", func(t *testing.T, s store.Store) {
			mustPut(t, s, "state.json", "a much longer first document")
			mustPut(t, s, "state.json", "second")
			mustGet(t, s, "state.json", "second")
		}},
		{"empty document", func(t *testing.T, s store.Store) {
			mustPut(t, s, "empty", "")
			mustGet(t, s, "empty", "")
			if err := s.Create(ctx, "empty-claim", nil); err != nil {
				t.Fatal(err)
			}
			mustGet(t, s, "empty-claim", "")
		}},
		{"bytes are copied in and out", func(t *testing.T, s store.Store) {
			b := []byte("abc")
			if err := s.Put(ctx, "k", b); err != nil {
				t.Fatal(err)
			}
			b[0] = 'X'
			got, err := s.Get(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			got[1] = 'Y'
			mustGet(t, s, "k", "abc")
		}},
		{"create new then get", func(t *testing.T, s store.Store) {
			if err := s.Create(ctx, "claims/2026-11-21", []byte("worker-1")); err != nil {
				t.Fatalf("Create: %v", err)
			}
			mustGet(t, s, "claims/2026-11-21", "worker-1")
		}},
		{"create existing is ErrExists and changes nothing", func(t *testing.T, s store.Store) {
			if err := s.Create(ctx, "claims/day", []byte("worker-1")); err != nil {
				t.Fatal(err)
			}
			err := s.Create(ctx, "claims/day", []byte("worker-2"))
			if !errors.Is(err, store.ErrExists) {
				t.Fatalf("second Create: %v, want ErrExists", err)
			}
			if !strings.Contains(err.Error(), "claims/day") {
				t.Errorf("error %q does not name the key", err)
			}
			mustGet(t, s, "claims/day", "worker-1")
		}},
		{"create over a put document is ErrExists", func(t *testing.T, s store.Store) {
			mustPut(t, s, "k.json", "put")
			if err := s.Create(ctx, "k.json", []byte("create")); !errors.Is(err, store.ErrExists) {
				t.Fatalf("Create: %v, want ErrExists", err)
			}
			mustGet(t, s, "k.json", "put")
		}},
		{"put over a claim overwrites it", func(t *testing.T, s store.Store) {
			if err := s.Create(ctx, "k", []byte("claim")); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, "k", "done")
			mustGet(t, s, "k", "done")
		}},
		{"concurrent creates: one wins, readers never see part of a claim", func(t *testing.T, s store.Store) {
			const writers = 8
			const key = "claims/report-2026-11-21"
			bodies := make([][]byte, writers)
			for i := range bodies {
				// Large enough that a half-written claim would show.
				bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
			}
			errs := make([]error, writers)
			start := make(chan struct{})
			stop := make(chan struct{})
			var writersWG, readersWG sync.WaitGroup
			var readMu sync.Mutex
			var badReads []string
			for range 2 {
				readersWG.Add(1)
				go func() {
					defer readersWG.Done()
					<-start
					for {
						select {
						case <-stop:
							return
						default:
						}
						b, err := s.Get(ctx, key)
						if errors.Is(err, store.ErrNotFound) {
							continue
						}
						if err == nil && !slices.ContainsFunc(bodies, func(w []byte) bool { return bytes.Equal(w, b) }) {
							err = fmt.Errorf("read %d bytes that no writer wrote whole", len(b))
						}
						if err != nil {
							readMu.Lock()
							badReads = append(badReads, err.Error())
							readMu.Unlock()
							return
						}
					}
				}()
			}
			for i := range writers {
				writersWG.Add(1)
				go func() {
					defer writersWG.Done()
					<-start
					errs[i] = s.Create(ctx, key, bodies[i])
				}()
			}
			close(start)
			writersWG.Wait()
			close(stop)
			readersWG.Wait()
			for _, r := range badReads {
				t.Errorf("reader: %s", r)
			}
			var won []int
			for i, err := range errs {
				switch {
				case err == nil:
					won = append(won, i)
				case !errors.Is(err, store.ErrExists):
					t.Errorf("writer %d: %v, want nil or ErrExists", i, err)
				}
			}
			got, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if len(won) == 0 {
				t.Fatalf("no writer won")
			}
			if !c.raceFreeCreate {
				t.Logf("%d of %d creates won; exactly one is the real service's guarantee, not checked here", len(won), writers)
				return
			}
			if len(won) != 1 {
				t.Fatalf("writers %v all won; want exactly one", won)
			}
			if !bytes.Equal(got, bodies[won[0]]) {
				t.Errorf("stored claim is not the winner's (writer %d)", won[0])
			}
		}},
		{"list in lexical order with prefixes", func(t *testing.T, s store.Store) {
			keys := []string{"units/u2", "a/c/d", "b", "a.json", "units/u10", "ab", "a/b.json", "units/u1", "a-b", "Z", "é"}
			for _, k := range keys {
				mustPut(t, s, k, k)
			}
			sorted := slices.Sorted(slices.Values(keys)) // byte order, as S3 lists
			for _, tc := range []struct {
				prefix string
				want   []string
			}{
				{"", sorted},
				{"a", []string{"a-b", "a.json", "a/b.json", "a/c/d", "ab"}},
				{"a/", []string{"a/b.json", "a/c/d"}},
				{"a/c", []string{"a/c/d"}},
				{"a/c/d", []string{"a/c/d"}},
				{"a/c/d/", nil},
				{"units/u1", []string{"units/u1", "units/u10"}},
				{"units/", []string{"units/u1", "units/u10", "units/u2"}},
				{"zzz", nil},
				{"nothing/here/", nil},
			} {
				got, err := collect(s.List(ctx, tc.prefix))
				if err != nil {
					t.Fatalf("List(%q): %v", tc.prefix, err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
				}
			}
		}},
		{"list stops when the caller stops", func(t *testing.T, s store.Store) {
			for i := range 5 {
				mustPut(t, s, fmt.Sprintf("u/%d", i), "x")
			}
			var got []string
			for k, err := range s.List(ctx, "u/") {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, k)
				if len(got) == 2 {
					break
				}
			}
			if !slices.Equal(got, []string{"u/0", "u/1"}) {
				t.Errorf("got %q", got)
			}
		}},
		{"bad keys are refused naming the key", func(t *testing.T, s store.Store) {
			for _, key := range []string{"", "/abs", "a//b", "a/", "..", ".", "../x", "a/../b", "./a", "a/.hidden", "a\x00b", "a\nb", `a\b`} {
				checks := map[string]error{
					"Get":    func() error { _, err := s.Get(ctx, key); return err }(),
					"Put":    s.Put(ctx, key, []byte("x")),
					"Create": s.Create(ctx, key, []byte("x")),
				}
				for op, err := range checks {
					if !errors.Is(err, store.ErrInvalidKey) {
						t.Errorf("%s(%q): %v, want ErrInvalidKey", op, key, err)
					} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", key)) {
						t.Errorf("%s(%q): error %q does not name the key", op, key, err)
					}
				}
			}
			for _, prefix := range []string{"/", "../", "a//", "a/../b"} {
				if _, err := collect(s.List(ctx, prefix)); !errors.Is(err, store.ErrInvalidKey) {
					t.Errorf("List(%q): %v, want ErrInvalidKey", prefix, err)
				}
			}
			if got, err := collect(s.List(ctx, "")); err != nil || len(got) != 0 {
				t.Errorf("bad keys left %q (%v)", got, err)
			}
		}},
		{"a cancelled context fails", func(t *testing.T, s store.Store) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.Put(cctx, "k", []byte("x")); !errors.Is(err, context.Canceled) {
				t.Errorf("Put: %v, want context.Canceled", err)
			}
			if err := s.Create(cctx, "k", []byte("x")); !errors.Is(err, context.Canceled) {
				t.Errorf("Create: %v, want context.Canceled", err)
			}
			if _, err := s.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
				t.Errorf("Get: %v, want context.Canceled", err)
			}
			if _, err := collect(s.List(cctx, "")); !errors.Is(err, context.Canceled) {
				t.Errorf("List: %v, want context.Canceled", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func mustPut(t *testing.T, s store.Store, key, body string) {
	t.Helper()
	if err := s.Put(context.Background(), key, []byte(body)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	got, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if string(got) != want {
		t.Fatalf("Get(%q) = %.40q, want %.40q", key, got, want)
	}
}

// collect drains a listing, returning the keys before the first error.
func collect(seq func(func(string, error) bool)) ([]string, error) {
	var keys []string
	for k, err := range seq {
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func TestMemory(t *testing.T) {
	testConformance(t, func(*testing.T) store.Store { return store.NewMemory() }, conformance{raceFreeCreate: true})
}

func TestDir(t *testing.T) {
	testConformance(t, func(t *testing.T) store.Store {
		s, err := store.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, conformance{raceFreeCreate: true})
}
