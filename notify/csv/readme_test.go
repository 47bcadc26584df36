package csv

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEHasTheCSVColumns checks that the README's CSV section is the
// one generated from ReportColumns and SummaryColumns
// (notify/csv/testdata/csv-columns.md).
func TestREADMEHasTheCSVColumns(t *testing.T) {
	doc, err := os.ReadFile("testdata/csv-columns.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(doc), "\n") // the generated-file comment
	if !strings.Contains(string(readme), strings.TrimSpace(body)) {
		t.Errorf("README.md's CSV columns differ from notify/csv/testdata/csv-columns.md: paste the file's content (without its first line) between the csv-columns markers")
	}
}
