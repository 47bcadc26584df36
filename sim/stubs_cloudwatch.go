package sim

import "net/http"

func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c, serviceError(c.svc, errUnknownOperation, "not implemented yet"))
}
