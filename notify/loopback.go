package notify

import "net"

// IsLoopback reports whether host is this machine (localhost or a
// loopback address): the only place a channel may be reached over plain
// http, for tests and local stand-ins.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
