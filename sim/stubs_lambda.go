package sim

import "net/http"

func (s *Server) serveLambda(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c, serviceError(c.svc, errUnknownOperation, "not implemented yet"))
}

func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c, serviceError(c.svc, errUnknownOperation, "not implemented yet"))
}

func (s *Server) serveTagging(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c, serviceError(c.svc, errUnknownOperation, "not implemented yet"))
}
