package scanner

import "testing"

func TestProgressStage(t *testing.T) {
	tests := []struct {
		name          string
		set           string
		targets, done int64
		want          string
	}{
		{"nothing set yet", "", 0, 0, ProgressStarting},
		{"listing", ProgressListing, 2, 1, ProgressListing},
		{"every target listed", ProgressListing, 2, 2, ProgressMetrics},
		{"logs", ProgressLogs, 2, 2, ProgressLogs},
		{"writing", ProgressWriting, 2, 2, ProgressWriting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Progress
			if tt.set != "" {
				p.SetStage(tt.set)
			}
			p.targets.Store(tt.targets)
			p.targetsDone.Store(tt.done)
			if got := p.Snapshot(nil).Stage; got != tt.want {
				t.Errorf("stage %q, want %q", got, tt.want)
			}
		})
	}
}
