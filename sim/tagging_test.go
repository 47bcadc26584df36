package sim_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	tagtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// taggedSpec is n functions; every fifth is untagged, the others carry
// team (a, b, c by turn) and, every other one, env=prod.
func taggedSpec(n int) string {
	var b strings.Builder
	b.WriteString("accounts:\n  - id: \"111111111111\"\n    regions:\n      - name: us-east-1\n        functions:\n")
	for i := range n {
		fmt.Fprintf(&b, "          - name: fn-%03d\n", i)
		if i%5 == 4 {
			continue
		}
		fmt.Fprintf(&b, "            tags: {team: %c", 'a'+i%3)
		if i%2 == 0 {
			b.WriteString(", env: prod")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// wantTagged lists the ARNs of taggedSpec(n) that keep(i) selects.
func wantTagged(n int, keep func(i int) bool) []string {
	var out []string
	for i := range n {
		if i%5 != 4 && keep(i) {
			out = append(out, fmt.Sprintf("arn:aws:lambda:us-east-1:111111111111:function:fn-%03d", i))
		}
	}
	return out
}

func TestTaggingGetResources(t *testing.T) {
	const n = 250
	env := simtest.Start(t, taggedSpec(n), noQuotas())
	client := tagging.NewFromConfig(env.Config)
	ctx := context.Background()
	all := func(int) bool { return true }
	for _, tc := range []struct {
		name      string
		in        tagging.GetResourcesInput
		want      []string
		wantPages int
	}{
		{"everything, 100 per page", tagging.GetResourcesInput{}, wantTagged(n, all), 2},
		{"30 per page", tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(30)}, wantTagged(n, all), 7},
		{"lambda:function type", tagging.GetResourcesInput{ResourceTypeFilters: []string{"lambda:function"}}, wantTagged(n, all), 2},
		{"lambda service type", tagging.GetResourcesInput{ResourceTypeFilters: []string{"lambda"}}, wantTagged(n, all), 2},
		{"other service type", tagging.GetResourcesInput{ResourceTypeFilters: []string{"ec2:instance"}}, nil, 1},
		{"one of two types", tagging.GetResourcesInput{ResourceTypeFilters: []string{"ec2:instance", "lambda:function"}}, wantTagged(n, all), 2},
		{"tag value", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("team"), Values: []string{"a"}}}},
			wantTagged(n, func(i int) bool { return i%3 == 0 }), 1},
		{"tag values OR", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("team"), Values: []string{"a", "b"}}}, ResourcesPerPage: aws.Int32(50)},
			wantTagged(n, func(i int) bool { return i%3 != 2 }), 3},
		{"tag key only", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("env")}}},
			wantTagged(n, func(i int) bool { return i%2 == 0 }), 1},
		{"filters AND", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("env"), Values: []string{"prod"}}, {Key: aws.String("team"), Values: []string{"c"}}}},
			wantTagged(n, func(i int) bool { return i%2 == 0 && i%3 == 2 }), 1},
		{"no match", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("team"), Values: []string{"z"}}}}, nil, 1},
		{"ARN list", tagging.GetResourcesInput{ResourceARNList: []string{
			"arn:aws:lambda:us-east-1:111111111111:function:fn-007",
			"arn:aws:lambda:us-east-1:111111111111:function:fn-001",
			"arn:aws:lambda:us-east-1:111111111111:function:fn-004", // untagged
			"arn:aws:lambda:us-east-1:111111111111:function:nope",
		}}, []string{"arn:aws:lambda:us-east-1:111111111111:function:fn-001", "arn:aws:lambda:us-east-1:111111111111:function:fn-007"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tagging.NewGetResourcesPaginator(client, &tc.in)
			var got []string
			pages := 0
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("page %d: %v", pages+1, err)
				}
				pages++
				for _, m := range out.ResourceTagMappingList {
					got = append(got, aws.ToString(m.ResourceARN))
					if len(m.Tags) == 0 {
						t.Fatalf("%s: no tags", aws.ToString(m.ResourceARN))
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %d resources %v…, want %d", len(got), got[:min(3, len(got))], len(tc.want))
			}
			if pages != tc.wantPages {
				t.Fatalf("%d pages, want %d", pages, tc.wantPages)
			}
		})
	}
	t.Run("tags as Key/Value pairs", func(t *testing.T) {
		out, err := client.GetResources(ctx, &tagging.GetResourcesInput{ResourceARNList: []string{"arn:aws:lambda:us-east-1:111111111111:function:fn-000"}})
		if err != nil {
			t.Fatal(err)
		}
		m := out.ResourceTagMappingList[0]
		if len(m.Tags) != 2 || aws.ToString(m.Tags[0].Key) != "env" || aws.ToString(m.Tags[0].Value) != "prod" || aws.ToString(m.Tags[1].Key) != "team" || aws.ToString(m.Tags[1].Value) != "a" {
			t.Fatalf("tags = %+v", m.Tags)
		}
		if out.PaginationToken == nil || *out.PaginationToken != "" {
			t.Fatalf("last page PaginationToken = %v, want \"\" like AWS", out.PaginationToken)
		}
	})
	first, err := client.GetResources(ctx, &tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   tagging.GetResourcesInput
	}{
		{"ResourcesPerPage 0", tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(0)}},
		{"ResourcesPerPage 101", tagging.GetResourcesInput{ResourcesPerPage: aws.Int32(101)}},
		{"TagsPerPage 50", tagging.GetResourcesInput{TagsPerPage: aws.Int32(50)}},
		{"garbage token", tagging.GetResourcesInput{PaginationToken: aws.String("garbage")}},
		{"token of another query", tagging.GetResourcesInput{PaginationToken: first.PaginationToken, TagFilters: []tagtypes.TagFilter{{Key: aws.String("env")}}}},
		{"empty tag key", tagging.GetResourcesInput{TagFilters: []tagtypes.TagFilter{{Key: aws.String("")}}}},
		{"ARN list with filters", tagging.GetResourcesInput{ResourceARNList: []string{"arn:aws:lambda:us-east-1:111111111111:function:fn-000"}, ResourceTypeFilters: []string{"lambda"}}},
		{"bad type filter", tagging.GetResourcesInput{ResourceTypeFilters: []string{":function"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.GetResources(ctx, &tc.in)
			var ipe *tagtypes.InvalidParameterException
			apiErr(t, err, "InvalidParameterException")
			if !errors.As(err, &ipe) || httpStatus(err) != 400 {
				t.Fatalf("err = %T %v (HTTP %d)", err, err, httpStatus(err))
			}
		})
	}
	t.Run("region without functions", func(t *testing.T) {
		out, err := tagging.NewFromConfig(env.Config, func(o *tagging.Options) { o.Region = "eu-west-1" }).GetResources(ctx, &tagging.GetResourcesInput{})
		if err != nil || len(out.ResourceTagMappingList) != 0 {
			t.Fatalf("out = %+v, err = %v", out, err)
		}
	})
}
