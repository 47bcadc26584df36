package sim

import "net/http"

type queryManager struct{}

func newQueryManager(s *Server) *queryManager { return &queryManager{} }

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, c, serviceError(c.svc, errUnknownOperation, "not implemented yet"))
}
