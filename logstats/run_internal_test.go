package logstats

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSleep: the default Settings.Sleep waits d, and returns ctx's error
// at once when ctx ends first.
func TestSleep(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cancel  bool
		d       time.Duration
		wantErr error
	}{
		{"waits", false, 20 * time.Millisecond, nil},
		{"cancelled", true, time.Hour, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			start := time.Now()
			err := NewRunner(Settings{}).set.Sleep(ctx, tc.d)
			took := time.Since(start)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.cancel && took > time.Second || !tc.cancel && took < tc.d {
				t.Errorf("took %v for a wait of %v", took, tc.d)
			}
		})
	}
}
