package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/csv"
	"github.com/lambdaudit/lambdaudit/notify/internal/notifytest"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

func TestS3ConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"bucket only", Config{Bucket: "reports"}, ""},
		{"prefix and expiry", Config{Bucket: "my.reports-1", Prefix: "/lambdaudit/daily/", Expiry: time.Hour}, ""},
		{"seven days exactly", Config{Bucket: "reports", Expiry: 7 * 24 * time.Hour}, ""},
		{"no bucket", Config{}, "s3 bucket: not set"},
		{"uppercase bucket", Config{Bucket: "Reports"}, `s3 bucket "Reports": not a bucket name`},
		{"bucket too short", Config{Bucket: "ab"}, `s3 bucket "ab": not a bucket name`},
		{"bucket with a slash", Config{Bucket: "reports/daily"}, `s3 bucket "reports/daily": not a bucket name`},
		{"double dot", Config{Bucket: "my..reports"}, `s3 bucket "my..reports": not a bucket name`},
		{"expiry over 7 days", Config{Bucket: "reports", Expiry: 8 * 24 * time.Hour}, "s3 presign expiry: at most 7 days"},
		{"negative expiry", Config{Bucket: "reports", Expiry: -time.Second}, "s3 presign expiry: must not be negative"},
		{"prefix too long", Config{Bucket: "reports", Prefix: strings.Repeat("p", 901)}, "s3 prefix: 901 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		name, in string
		want     Config
		err      string
	}{
		{"bucket and prefix", "s3://reports/lambdaudit/daily/", Config{Bucket: "reports", Prefix: "lambdaudit/daily"}, ""},
		{"bucket only", "s3://reports", Config{Bucket: "reports"}, ""},
		{"not s3", "https://reports.s3.amazonaws.com/x", Config{}, "want s3://bucket/prefix"},
		{"no bucket", "s3:///prefix", Config{}, "s3 bucket: not set"},
		{"query", "s3://reports/x?versionId=1", Config{}, "want s3://bucket/prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseS3URL(%q) = %+v, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseS3URL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

// s3Fake records what the uploader asks of S3.
type s3Fake struct {
	puts    []*s3.PutObjectInput
	bodies  [][]byte
	expires []time.Duration
	putErr  error
}

func (f *s3Fake) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, _ := io.ReadAll(in.Body)
	f.puts, f.bodies = append(f.puts, in), append(f.bodies, b)
	return &s3.PutObjectOutput{}, f.putErr
}

func (f *s3Fake) PresignGetObject(_ context.Context, in *s3.GetObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	var o s3.PresignOptions
	for _, fn := range opts {
		fn(&o)
	}
	f.expires = append(f.expires, o.Expires)
	return &v4.PresignedHTTPRequest{Method: "GET", URL: "https://example.invalid/" + *in.Bucket + "/" + *in.Key}, nil
}

// TestS3UploaderPut: keys, headers, expiry, and what is refused before
// any call.
func TestS3UploaderPut(t *testing.T) {
	now := time.Date(2026, 11, 21, 6, 30, 0, 500, time.UTC)
	tests := []struct {
		name      string
		cfg       Config
		day, file string
		wantKey   string
		wantExp   time.Duration
		err       string
	}{
		{name: "prefix with slashes", cfg: Config{Bucket: "reports", Prefix: "/lambdaudit/daily/"}, day: "2026-11-20", file: "report.csv",
			wantKey: "lambdaudit/daily/2026-11-20/report.csv", wantExp: DefaultPresignExpiry},
		{name: "no prefix, custom expiry", cfg: Config{Bucket: "reports", Expiry: 12 * time.Hour}, day: "2026-11-20", file: "report.json",
			wantKey: "2026-11-20/report.json", wantExp: 12 * time.Hour},
		{name: "day not a date", cfg: Config{Bucket: "reports"}, day: "../../etc", file: "report.csv", err: `report day "../../etc" is not YYYY-MM-DD`},
		{name: "name with a slash", cfg: Config{Bucket: "reports"}, day: "2026-11-20", file: "a/b.csv", err: `object name "a/b.csv": want a plain file name`},
		{name: "name with a quote", cfg: Config{Bucket: "reports"}, day: "2026-11-20", file: `a".csv`, err: "want a plain file name"},
		{name: "empty name", cfg: Config{Bucket: "reports"}, day: "2026-11-20", file: "", err: "want a plain file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &s3Fake{}
			up, err := NewUploader(fake, fake, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			up.now = func() time.Time { return now }
			obj, err := up.Put(context.Background(), tt.day, tt.file, []byte("a,b\r\n"), "text/csv")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Put: %v, want %q", err, tt.err)
				}
				if len(fake.puts) != 0 {
					t.Error("called S3 for a refused object")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in := fake.puts[0]
			if *in.Key != tt.wantKey || obj.Key != tt.wantKey || obj.Bucket != "reports" {
				t.Errorf("key %q (object %q in %q), want %q", *in.Key, obj.Key, obj.Bucket, tt.wantKey)
			}
			if want := `attachment; filename="lambdaudit-` + tt.day + "-" + tt.file + `"`; aws.ToString(in.ContentDisposition) != want {
				t.Errorf("Content-Disposition %q, want %q", aws.ToString(in.ContentDisposition), want)
			}
			if aws.ToInt64(in.ContentLength) != 5 || string(fake.bodies[0]) != "a,b\r\n" {
				t.Errorf("body %q (length %d)", fake.bodies[0], aws.ToInt64(in.ContentLength))
			}
			if fake.expires[0] != tt.wantExp {
				t.Errorf("presigned for %s, want %s", fake.expires[0], tt.wantExp)
			}
			if want := now.Add(tt.wantExp).Truncate(time.Second); !obj.Expires.Equal(want) {
				t.Errorf("Expires %s, want %s", obj.Expires, want)
			}
		})
	}
	t.Run("put fails: the error names the object", func(t *testing.T) {
		fake := &s3Fake{putErr: errors.New("AccessDenied")}
		up, _ := NewUploader(fake, fake, Config{Bucket: "reports", Prefix: "p"})
		_, err := up.Put(context.Background(), "2026-11-20", "report.csv", nil, "text/csv")
		if err == nil || err.Error() != "s3 upload s3://reports/p/2026-11-20/report.csv: AccessDenied" {
			t.Fatalf("err %v", err)
		}
		if len(fake.expires) != 0 {
			t.Error("presigned a link to an object that was not written")
		}
	})
	t.Run("invalid config refused", func(t *testing.T) {
		fake := &s3Fake{}
		if _, err := NewUploader(fake, fake, Config{}); err == nil {
			t.Fatal("no error for a config without a bucket")
		}
		if _, err := NewUploader(nil, fake, Config{Bucket: "reports"}); err == nil {
			t.Fatal("no error without a client")
		}
	})
}

// s3Fetch GETs a presigned URL with plain net/http, as a Slack reader's
// browser would.
func s3Fetch(t *testing.T, link string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestS3UploadMoto uploads the CSV, the summary and the report to
// moto_server and fetches them back through their presigned links.
func TestS3UploadMoto(t *testing.T) {
	client, bucket := simtest.MotoS3(t)
	res, costs, rep := notifytest.CSVFixture(t)
	up, err := NewUploader(client, s3.NewPresignClient(client), Config{Bucket: bucket, Prefix: "/lambdaudit/reports/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	obj, err := up.UploadCSV(ctx, res, costs, rep)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != "lambdaudit/reports/2026-11-20/report.csv" || obj.Bucket != bucket {
		t.Fatalf("uploaded to s3://%s/%s", obj.Bucket, obj.Key)
	}
	u, err := url.Parse(obj.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.Path, "/"+bucket+"/lambdaudit/reports/2026-11-20/report.csv") {
		t.Errorf("presigned URL %s is not path-style", u.Redacted())
	}
	q := u.Query()
	if q.Get("X-Amz-Expires") != "604800" || q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Errorf("presigned query: expires %q, signature set %v, algorithm %q; want 604800 s (7 days), SigV4",
			q.Get("X-Amz-Expires"), q.Get("X-Amz-Signature") != "", q.Get("X-Amz-Algorithm"))
	}
	if d := time.Until(obj.Expires); d < DefaultPresignExpiry-time.Minute || d > DefaultPresignExpiry {
		t.Errorf("Expires in %s, want 7 days", d)
	}

	resp, body := s3Fetch(t, obj.URL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: %s: %s", resp.Status, body)
	}
	if want := s3CSV(t, res, costs, rep); !bytes.Equal(body, want) {
		t.Errorf("the presigned link returns %d bytes that are not the CSV (%d bytes)", len(body), len(want))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="lambdaudit-2026-11-20-report.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	sum, err := up.UploadCSVSummary(ctx, costs)
	if err != nil {
		t.Fatal(err)
	}
	if _, b := s3Fetch(t, sum.URL); !bytes.HasPrefix(b, []byte("report_day,account,region,functions,")) {
		t.Errorf("summary.csv at %s reads %.60q", sum.Key, b)
	}
	js, err := up.UploadReportJSON(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	if js.Key != "lambdaudit/reports/2026-11-20/report.json" {
		t.Errorf("report.json at %s", js.Key)
	}
	_, b := s3Fetch(t, js.URL)
	back, err := insights.DecodeReport(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("report.json from the presigned link: %v", err)
	}
	if back.ReportDay != rep.ReportDay || len(back.Insights) != len(rep.Insights) {
		t.Errorf("report.json read back: day %s, %d insights; want %s, %d", back.ReportDay, len(back.Insights), rep.ReportDay, len(rep.Insights))
	}

	// A rerun of the day replaces the day's object.
	again, err := up.Put(ctx, "2026-11-20", CSVObjectName, []byte("rerun\r\n"), contentTypeCSV)
	if err != nil {
		t.Fatal(err)
	}
	if _, b := s3Fetch(t, again.URL); string(b) != "rerun\r\n" || again.Key != obj.Key {
		t.Errorf("rerun: %s reads %q", again.Key, b)
	}
}

// TestS3UploadMotoExpiryAndErrors: a configured expiry reaches the link;
// a missing bucket is an error naming the object.
func TestS3UploadMotoExpiryAndErrors(t *testing.T) {
	client, bucket := simtest.MotoS3(t)
	ctx := context.Background()
	up, err := NewUploader(client, s3.NewPresignClient(client), Config{Bucket: bucket, Expiry: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := up.Put(ctx, "2026-11-20", "report.csv", []byte("a\r\n"), contentTypeCSV)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(obj.URL)
	if got := u.Query().Get("X-Amz-Expires"); got != "5400" {
		t.Errorf("X-Amz-Expires %q, want 5400 (90 min)", got)
	}
	if resp, b := s3Fetch(t, obj.URL); resp.StatusCode != http.StatusOK || string(b) != "a\r\n" {
		t.Errorf("GET: %s %q", resp.Status, b)
	}

	missing, err := NewUploader(client, s3.NewPresignClient(client), Config{Bucket: bucket + "-missing"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = missing.Put(ctx, "2026-11-20", "report.csv", []byte("a\r\n"), contentTypeCSV)
	if err == nil || !strings.Contains(err.Error(), "s3 upload s3://"+bucket+"-missing/2026-11-20/report.csv") || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("upload to a missing bucket: %v", err)
	}
}

// s3CSV is the CSV report UploadCSV should upload.
func s3CSV(t *testing.T, res *scanner.Result, costs *cost.Costs, rep *insights.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := csv.WriteReport(&buf, res, costs, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
