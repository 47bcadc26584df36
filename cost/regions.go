package cost

import "strings"

// Partitions of AWS that run Lambda and that the price table covers.
const (
	PartitionAWS   = "aws"
	PartitionGov   = "aws-us-gov"
	PartitionChina = "aws-cn"
)

// Region is one region where Lambda is offered, as the AWS Price List
// names it.
type Region struct {
	Code      string
	Partition string
	// Location is the Price List's "location" attribute.
	Location string
	// UsagePrefix is the usage-type prefix of the region's products
	// ("EUW2-" in EUW2-Lambda-GB-Second); us-east-1's Lambda products have
	// none. The cost package reads a product's region from its regionCode
	// attribute, never from the prefix, so a prefix here that differs from
	// AWS's changes nothing but the simulator's usage-type names.
	UsagePrefix string
	// Currency is the currency of the region's list prices.
	Currency string
}

// LambdaRegions are the regions where Lambda is offered in the partitions
// aws, aws-us-gov and aws-cn (the regions of aws-sdk-go-v2's partitions
// metadata; Lambda runs in every one of them), sorted by code. The
// embedded price table has an entry per region and architecture
// (TestEmbeddedCoversEveryRegion). Not covered: the isolated partitions
// (aws-iso*) and the European Sovereign Cloud (aws-eusc), which have no
// public price list.
var LambdaRegions = []Region{
	{"af-south-1", PartitionAWS, "Africa (Cape Town)", "AFS1-", "USD"},
	{"ap-east-1", PartitionAWS, "Asia Pacific (Hong Kong)", "APE1-", "USD"},
	{"ap-east-2", PartitionAWS, "Asia Pacific (Taipei)", "APE2-", "USD"},
	{"ap-northeast-1", PartitionAWS, "Asia Pacific (Tokyo)", "APN1-", "USD"},
	{"ap-northeast-2", PartitionAWS, "Asia Pacific (Seoul)", "APN2-", "USD"},
	{"ap-northeast-3", PartitionAWS, "Asia Pacific (Osaka)", "APN3-", "USD"},
	{"ap-south-1", PartitionAWS, "Asia Pacific (Mumbai)", "APS3-", "USD"},
	{"ap-south-2", PartitionAWS, "Asia Pacific (Hyderabad)", "APS5-", "USD"},
	{"ap-southeast-1", PartitionAWS, "Asia Pacific (Singapore)", "APS1-", "USD"},
	{"ap-southeast-2", PartitionAWS, "Asia Pacific (Sydney)", "APS2-", "USD"},
	{"ap-southeast-3", PartitionAWS, "Asia Pacific (Jakarta)", "APS4-", "USD"},
	{"ap-southeast-4", PartitionAWS, "Asia Pacific (Melbourne)", "APS6-", "USD"},
	{"ap-southeast-5", PartitionAWS, "Asia Pacific (Malaysia)", "APS7-", "USD"},
	{"ap-southeast-6", PartitionAWS, "Asia Pacific (New Zealand)", "APS8-", "USD"},
	{"ap-southeast-7", PartitionAWS, "Asia Pacific (Thailand)", "APS9-", "USD"},
	{"ca-central-1", PartitionAWS, "Canada (Central)", "CAN1-", "USD"},
	{"ca-west-1", PartitionAWS, "Canada West (Calgary)", "CAN2-", "USD"},
	{"cn-north-1", PartitionChina, "China (Beijing)", "CNN1-", "CNY"},
	{"cn-northwest-1", PartitionChina, "China (Ningxia)", "CNW1-", "CNY"},
	{"eu-central-1", PartitionAWS, "EU (Frankfurt)", "EUC1-", "USD"},
	{"eu-central-2", PartitionAWS, "EU (Zurich)", "EUC2-", "USD"},
	{"eu-north-1", PartitionAWS, "EU (Stockholm)", "EUN1-", "USD"},
	{"eu-south-1", PartitionAWS, "EU (Milan)", "EUS1-", "USD"},
	{"eu-south-2", PartitionAWS, "EU (Spain)", "EUS2-", "USD"},
	{"eu-west-1", PartitionAWS, "EU (Ireland)", "EU-", "USD"},
	{"eu-west-2", PartitionAWS, "EU (London)", "EUW2-", "USD"},
	{"eu-west-3", PartitionAWS, "EU (Paris)", "EUW3-", "USD"},
	{"il-central-1", PartitionAWS, "Israel (Tel Aviv)", "ILC1-", "USD"},
	{"me-central-1", PartitionAWS, "Middle East (UAE)", "MEC1-", "USD"},
	{"me-south-1", PartitionAWS, "Middle East (Bahrain)", "MES1-", "USD"},
	{"mx-central-1", PartitionAWS, "Mexico (Central)", "MXC1-", "USD"},
	{"sa-east-1", PartitionAWS, "South America (Sao Paulo)", "SAE1-", "USD"},
	{"us-east-1", PartitionAWS, "US East (N. Virginia)", "", "USD"},
	{"us-east-2", PartitionAWS, "US East (Ohio)", "USE2-", "USD"},
	{"us-gov-east-1", PartitionGov, "AWS GovCloud (US-East)", "UGE1-", "USD"},
	{"us-gov-west-1", PartitionGov, "AWS GovCloud (US-West)", "UGW1-", "USD"},
	{"us-west-1", PartitionAWS, "US West (N. California)", "USW1-", "USD"},
	{"us-west-2", PartitionAWS, "US West (Oregon)", "USW2-", "USD"},
}

// LookupRegion is the catalogue entry of a region code.
func LookupRegion(code string) (Region, bool) {
	for _, r := range LambdaRegions {
		if r.Code == code {
			return r, true
		}
	}
	return Region{}, false
}

// PartitionOf is the partition a region code belongs to, by its prefix
// (cn- is aws-cn, us-gov- is aws-us-gov, anything else aws).
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGov
	}
	return PartitionAWS
}
