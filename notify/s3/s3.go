package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/csv"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// DefaultPresignExpiry is how long a presigned link stays valid unless
// Config.Expiry says otherwise: 7 days, the most Signature Version 4
// allows.
const DefaultPresignExpiry = 7 * 24 * time.Hour

// The objects UploadCSV, UploadCSVSummary and UploadReportJSON write
// under <prefix>/<report day>/.
const (
	CSVObjectName        = "report.csv"
	CSVSummaryObjectName = "summary.csv"
	ReportObjectName     = "report.json"
)

// Config says where in S3 the reports go.
type Config struct {
	// Bucket is the bucket's name.
	Bucket string
	// Prefix is the key prefix ("lambdaudit/reports"; slashes at either
	// end are ignored; empty is the bucket's root). Objects are written as
	// <prefix>/<report day YYYY-MM-DD>/<name>, so a day's rerun replaces
	// that day's objects and no other.
	Prefix string
	// Expiry is the presigned links' lifetime, at most 7 days; 0 is
	// DefaultPresignExpiry. A link signed with temporary credentials (a
	// Lambda function's role, an assumed role, SSO) stops working when
	// those credentials expire, whichever comes first.
	Expiry time.Duration
}

// bucketName is S3's general-purpose bucket naming rule (3–63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit).
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Validate reports a setting S3 would refuse, naming it.
func (c Config) Validate() error {
	switch {
	case c.Bucket == "":
		return errors.New("s3 bucket: not set")
	case !bucketName.MatchString(c.Bucket) || strings.Contains(c.Bucket, ".."):
		return fmt.Errorf("s3 bucket %q: not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", c.Bucket)
	case c.Expiry < 0:
		return fmt.Errorf("s3 presign expiry: must not be negative, got %s", c.Expiry)
	case c.Expiry > DefaultPresignExpiry:
		return fmt.Errorf("s3 presign expiry: at most 7 days (168h) with Signature Version 4, got %s", c.Expiry)
	case len(c.prefix()) > 900:
		return fmt.Errorf("s3 prefix: %d bytes leaves no room in S3's 1,024-byte keys", len(c.prefix()))
	}
	return nil
}

func (c Config) prefix() string { return strings.Trim(c.Prefix, "/") }

func (c Config) expiry() time.Duration {
	if c.Expiry == 0 {
		return DefaultPresignExpiry
	}
	return c.Expiry
}

// ParseURL reads "s3://bucket/prefix" (the prefix optional) into an
// Config with the default expiry, validated.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("s3 location %q: %w", s, err)
	}
	if u.Scheme != "s3" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Config{}, fmt.Errorf("s3 location %q: want s3://bucket/prefix", s)
	}
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("s3 location %q: %w", s, err)
	}
	return c, nil
}

// PutAPI is the call Uploader makes to store an object: the SDK's
// (*s3.Client).PutObject.
type PutAPI interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// PresignAPI signs the link to an object: the SDK's
// (*s3.PresignClient).PresignGetObject (s3.NewPresignClient).
type PresignAPI interface {
	PresignGetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// Uploader writes reports to a bucket and returns presigned GET links
// to them, the link the Slack digest carries.
type Uploader struct {
	put     PutAPI
	presign PresignAPI
	cfg     Config
	now     func() time.Time
}

// NewUploader is an uploader with the given clients — typically
//
//	client := awss3.NewFromConfig(awsCfg) // the SDK's service/s3
//	up, err := s3.NewUploader(client, awss3.NewPresignClient(client), cfg)
//
// (with o.UsePathStyle = true for a local S3 such as moto_server). It
// refuses an invalid config (Config.Validate).
func NewUploader(put PutAPI, presign PresignAPI, cfg Config) (*Uploader, error) {
	if put == nil || presign == nil {
		return nil, errors.New("s3 uploader: needs an S3 client and a presign client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Prefix = cfg.prefix()
	return &Uploader{put: put, presign: presign, cfg: cfg, now: time.Now}, nil
}

// Object is an uploaded object and its presigned GET link.
type Object struct {
	Bucket string
	Key    string
	// URL is the presigned GET link: anyone holding it can read the
	// object until Expires, without AWS credentials. Do not log it where
	// the report should not be read.
	URL     string
	Expires time.Time
}

// Key is where an object named name of report day day (YYYY-MM-DD) goes:
// <prefix>/<day>/<name>.
func (u *Uploader) Key(day, name string) string {
	return path.Join(u.cfg.Prefix, day, name)
}

// Put uploads body as <prefix>/<day>/<name> with the content type given
// and a download file name of lambdaudit-<day>-<name>, then presigns a
// GET of it for the configured expiry.
func (u *Uploader) Put(ctx context.Context, day, name string, body []byte, contentType string) (*Object, error) {
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return nil, fmt.Errorf("s3 upload: report day %q is not YYYY-MM-DD", day)
	}
	if name == "" || strings.ContainsAny(name, "/\"\\") || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("s3 upload: object name %q: want a plain file name", name)
	}
	key := u.Key(day, name)
	where := "s3://" + u.cfg.Bucket + "/" + key
	_, err := u.put.PutObject(ctx, &s3.PutObjectInput{
		Bucket:             aws.String(u.cfg.Bucket),
		Key:                aws.String(key),
		Body:               bytes.NewReader(body),
		ContentLength:      aws.Int64(int64(len(body))),
		ContentType:        aws.String(contentType),
		ContentDisposition: aws.String(`attachment; filename="lambdaudit-` + day + "-" + name + `"`),
	})
	if err != nil {
		return nil, fmt.Errorf("s3 upload %s: %w", where, err)
	}
	exp := u.cfg.expiry()
	signed := u.now()
	req, err := u.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.cfg.Bucket), Key: aws.String(key)},
		s3.WithPresignExpires(exp))
	if err != nil {
		return nil, fmt.Errorf("s3 presign %s: %w", where, err)
	}
	return &Object{Bucket: u.cfg.Bucket, Key: key, URL: req.URL, Expires: signed.Add(exp).UTC().Truncate(time.Second)}, nil
}

// CSV content types.
const (
	contentTypeCSV  = "text/csv; charset=utf-8; header=present"
	contentTypeJSON = "application/json"
)

// UploadCSV writes the CSV cost report (csv.WriteReport) to
// <prefix>/<report day>/report.csv and returns it with its presigned link.
func (u *Uploader) UploadCSV(ctx context.Context, res *scanner.Result, costs *cost.Costs, r *insights.Report) (*Object, error) {
	var buf bytes.Buffer
	if err := csv.WriteReport(&buf, res, costs, r); err != nil {
		return nil, err
	}
	return u.Put(ctx, csv.ReportDay(res.Window), CSVObjectName, buf.Bytes(), contentTypeCSV)
}

// UploadCSVSummary writes the account-region totals (csv.WriteSummary) to
// <prefix>/<report day>/summary.csv.
func (u *Uploader) UploadCSVSummary(ctx context.Context, costs *cost.Costs) (*Object, error) {
	var buf bytes.Buffer
	if err := csv.WriteSummary(&buf, costs); err != nil {
		return nil, err
	}
	return u.Put(ctx, csv.ReportDay(costs.Window), CSVSummaryObjectName, buf.Bytes(), contentTypeCSV)
}

// UploadReportJSON writes the report (insights.Report.Encode) to
// <prefix>/<report day>/report.json.
func (u *Uploader) UploadReportJSON(ctx context.Context, r *insights.Report) (*Object, error) {
	if r == nil {
		return nil, errors.New("s3 upload: no report")
	}
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		return nil, err
	}
	return u.Put(ctx, r.ReportDay, ReportObjectName, buf.Bytes(), contentTypeJSON)
}
