package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/lambdaudit/lambdaudit/store"
)

// Workers write their outcomes under a scan's prefix, one of them claims
// the report, and the reporter lists what came back.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lambdaudit-state")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var s store.Store
	s, err = store.NewDir(dir) // or store.NewMemory(), or store.NewS3(client, bucket, prefix)
	if err != nil {
		log.Fatal(err)
	}

	for _, unit := range []string{"u2", "u1", "u10"} {
		if err := s.Put(ctx, "scans/2026-11-21/units/"+unit+".json", []byte(`{}`)); err != nil {
			log.Fatal(err)
		}
	}
	for _, worker := range []string{"worker-a", "worker-b"} {
		err := s.Create(ctx, "scans/2026-11-21/report.claim", []byte(worker))
		switch {
		case err == nil:
			fmt.Println(worker, "sends the report")
		case errors.Is(err, store.ErrExists):
			fmt.Println(worker, "leaves it: already claimed")
		default:
			log.Fatal(err)
		}
	}
	for key, err := range s.List(ctx, "scans/2026-11-21/units/") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(key)
	}
	if _, err := s.Get(ctx, "scans/2026-11-20/manifest.json"); errors.Is(err, store.ErrNotFound) {
		fmt.Println("no scan on 2026-11-20")
	}
	// Output:
	// worker-a sends the report
	// worker-b leaves it: already claimed
	// scans/2026-11-21/units/u1.json
	// scans/2026-11-21/units/u10.json
	// scans/2026-11-21/units/u2.json
	// no scan on 2026-11-20
}
