package main
import (
 _ "github.com/aws/aws-sdk-go-v2/aws"
 _ "github.com/aws/aws-sdk-go-v2/config"
 _ "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
 _ "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
 _ "github.com/aws/aws-sdk-go-v2/service/lambda"
 _ "github.com/aws/aws-sdk-go-v2/service/sts"
 _ "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
 _ "github.com/fxamacker/cbor/v2"
 _ "golang.org/x/time/rate"
 _ "gopkg.in/yaml.v3"
 _ "golang.org/x/sync/errgroup"
)
func main(){}
