package opsgenie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// ogServer is a stand-in for the Opsgenie Alert API v2 that enforces its
// contract as documented (docs.opsgenie.com/docs/alert-api, /docs/response,
// /docs/api-rate-limiting) and refuses what the real API would:
//
//   - POST only; create at {prefix}/v2/alerts, close at
//     {prefix}/v2/alerts/{identifier}/close?identifierType=alias (the
//     identifier one escaped path segment);
//   - "Authorization: GenieKey <key>" (401 otherwise), Content-Type
//     application/json;
//   - the create body's fields and limits: message required ≤ 130,
//     alias ≤ 512, description ≤ 15,000, responders ≤ 50 of team/user/
//     escalation/schedule with id/name/username, tags ≤ 20 of ≤ 50, details
//     a string map ≤ 8,000 characters, entity ≤ 512, source ≤ 100,
//     priority P1–P5, user ≤ 100, note ≤ 25,000; the close body's user,
//     source ≤ 100 and note ≤ 25,000; an unknown field or a wrong type is
//     refused (422, the API's answer to a body it cannot process);
//   - 202 {"result": "Request will be processed", "took", "requestId"} for
//     a valid request; creates deduplicate by alias (count) and closes
//     close by alias, so tests can read the account's open alerts.
//
// Faults are scripted per alias: the next answers for that alias.
type ogServer struct {
	t      testing.TB
	key    string
	prefix string
	srv    *httptest.Server

	mu       sync.Mutex
	seq      int
	received []ogReceived
	open     map[string]*ogServerAlert
	closed   []string
	faults   map[string][]ogFault
}

type ogReceived struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Status                 int
}

type ogServerAlert struct {
	Body  CreateAlertBody
	Count int
}

// ogFault is a scripted answer: status, headers and body (nil: an
// Opsgenie-style error body).
type ogFault struct {
	Status int
	Header map[string]string
	Body   string
	// Hangup closes the connection without answering.
	Hangup bool
}

func newOgServer(t testing.TB, key, prefix string) *ogServer {
	s := &ogServer{t: t, key: key, prefix: prefix, open: map[string]*ogServerAlert{}, faults: map[string][]ogFault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to configure (with the prefix, like JSM's).
func (s *ogServer) URL() string { return s.srv.URL + s.prefix }

func (s *ogServer) fault(alias string, f ...ogFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[alias] = append(s.faults[alias], f...)
}

func (s *ogServer) requests() []ogReceived {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ogReceived(nil), s.received...)
}

func (s *ogServer) openAliases() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for a, v := range s.open {
		out[a] = v.Count
	}
	return out
}

func (s *ogServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := ogReceived{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	status := s.handle(w, r, body)
	rec.Status = status
	s.mu.Lock()
	s.received = append(s.received, rec)
	s.mu.Unlock()
}

func ogWriteError(w http.ResponseWriter, status int, msg string, errs map[string]string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	v := map[string]any{"message": msg, "took": 0.001, "requestId": "err-00000000"}
	if errs != nil {
		v["errors"] = errs
	}
	json.NewEncoder(w).Encode(v)
	return status
}

func (s *ogServer) handle(w http.ResponseWriter, r *http.Request, body []byte) int {
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, s.prefix+"/v2/alerts") {
		return ogWriteError(w, http.StatusNotFound, "Resource or handler not found", nil)
	}
	path = strings.TrimPrefix(path, s.prefix)
	if r.Method != http.MethodPost {
		return ogWriteError(w, http.StatusMethodNotAllowed, "method not allowed: "+r.Method, nil)
	}
	if auth := r.Header.Get("Authorization"); auth != "GenieKey "+s.key {
		// The real API does not echo the key; this one does, to prove the
		// client redacts whatever comes back.
		return ogWriteError(w, http.StatusUnauthorized, "Could not authenticate: "+auth, nil)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return ogWriteError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json, got "+ct, nil)
	}
	var alias string
	var create bool
	switch {
	case path == "/v2/alerts":
		if r.URL.RawQuery != "" {
			return ogWriteError(w, http.StatusBadRequest, "unexpected query "+r.URL.RawQuery, nil)
		}
		create = true
	case strings.HasSuffix(path, "/close"):
		seg := strings.TrimSuffix(strings.TrimPrefix(path, "/v2/alerts/"), "/close")
		if seg == "" || strings.Contains(seg, "/") {
			return ogWriteError(w, http.StatusNotFound, "Resource or handler not found: identifier must be one path segment", nil)
		}
		a, err := url.PathUnescape(seg)
		if err != nil {
			return ogWriteError(w, http.StatusBadRequest, "bad identifier", nil)
		}
		alias = a
		if q := r.URL.Query(); q.Get("identifierType") != "alias" || len(q) != 1 {
			return ogWriteError(w, http.StatusBadRequest, "want identifierType=alias, got "+r.URL.RawQuery, nil)
		}
	default:
		return ogWriteError(w, http.StatusNotFound, "Resource or handler not found", nil)
	}
	var cb CreateAlertBody
	if create {
		if errs := ogCheckCreate(body, &cb); errs != nil {
			return ogWriteError(w, http.StatusUnprocessableEntity, "Request body is not processable. Please check the errors.", errs)
		}
		alias = cb.Alias
	} else if errs := ogCheckClose(body); errs != nil {
		return ogWriteError(w, http.StatusUnprocessableEntity, "Request body is not processable. Please check the errors.", errs)
	}
	s.mu.Lock()
	if q := s.faults[alias]; len(q) > 0 {
		f := q[0]
		s.faults[alias] = q[1:]
		s.mu.Unlock()
		if f.Hangup {
			hj, ok := w.(http.Hijacker)
			if !ok {
				s.t.Error("ogServer: cannot hang up")
				return 0
			}
			conn, _, _ := hj.Hijack()
			conn.Close()
			return 0
		}
		for k, v := range f.Header {
			w.Header().Set(k, v)
		}
		if f.Body != "" {
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return f.Status
		}
		return ogWriteError(w, f.Status, http.StatusText(f.Status), nil)
	}
	s.seq++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
	if create {
		if a := s.open[alias]; a != nil {
			a.Count++
		} else {
			s.open[alias] = &ogServerAlert{Body: cb, Count: 1}
		}
	} else {
		// Closing an alias that is not open is accepted too: the real API
		// fails it later, asynchronously.
		delete(s.open, alias)
		s.closed = append(s.closed, alias)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-ID", id)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"result":"Request will be processed","took":0.002,"requestId":%q}`, id)
	return http.StatusAccepted
}

// ogStrict decodes JSON refusing unknown fields and trailing data.
func ogStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// ogCreateWire is the create body as the API documents it, every field.
type ogCreateWire struct {
	Message     *string           `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Responders  []Responder       `json:"responders"`
	VisibleTo   []Responder       `json:"visibleTo"`
	Actions     []string          `json:"actions"`
	Tags        []string          `json:"tags"`
	Details     map[string]string `json:"details"`
	Entity      string            `json:"entity"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
	User        string            `json:"user"`
	Note        string            `json:"note"`
}

func ogLen(s string) int { return utf8.RuneCountInString(s) }

func ogCheckCreate(body []byte, out *CreateAlertBody) map[string]string {
	var c ogCreateWire
	if err := ogStrict(body, &c); err != nil {
		return map[string]string{"body": err.Error()}
	}
	errs := map[string]string{}
	switch {
	case c.Message == nil || strings.TrimSpace(*c.Message) == "":
		errs["message"] = "Message can not be empty."
	case ogLen(*c.Message) > 130:
		errs["message"] = fmt.Sprintf("Message can not be longer than 130 characters (%d)", ogLen(*c.Message))
	}
	lim := func(field, v string, n int) {
		if ogLen(v) > n {
			errs[field] = fmt.Sprintf("%s can not be longer than %d characters (%d)", field, n, ogLen(v))
		}
	}
	lim("alias", c.Alias, 512)
	lim("description", c.Description, 15000)
	lim("entity", c.Entity, 512)
	lim("source", c.Source, 100)
	lim("user", c.User, 100)
	lim("note", c.Note, 25000)
	if len(c.Responders) > 50 {
		errs["responders"] = "at most 50"
	}
	for i, r := range c.Responders {
		if err := r.validate(); err != nil {
			errs[fmt.Sprintf("responders[%d]", i)] = err.Error()
		}
	}
	if len(c.Tags) > 20 {
		errs["tags"] = fmt.Sprintf("at most 20 tags, got %d", len(c.Tags))
	}
	for i, tag := range c.Tags {
		if tag == "" || ogLen(tag) > 50 {
			errs[fmt.Sprintf("tags[%d]", i)] = "a tag is 1 to 50 characters"
		}
	}
	size := 0
	for k, v := range c.Details {
		size += ogLen(k) + ogLen(v)
	}
	if size > 8000 {
		errs["details"] = fmt.Sprintf("details can not be longer than 8000 characters (%d)", size)
	}
	switch c.Priority {
	case "", "P1", "P2", "P3", "P4", "P5":
	default:
		errs["priority"] = "Priority should be one of [P1, P2, P3, P4, P5]"
	}
	if len(errs) > 0 {
		return errs
	}
	*out = CreateAlertBody{Message: *c.Message, Alias: c.Alias, Description: c.Description, Responders: c.Responders,
		Tags: c.Tags, Details: c.Details, Entity: c.Entity, Source: c.Source, Priority: c.Priority}
	if out.Alias == "" {
		out.Alias = out.Message // the API's default
	}
	return nil
}

func ogCheckClose(body []byte) map[string]string {
	var c struct {
		User   string `json:"user"`
		Source string `json:"source"`
		Note   string `json:"note"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil // the body is optional
	}
	if err := ogStrict(body, &c); err != nil {
		return map[string]string{"body": err.Error()}
	}
	errs := map[string]string{}
	if ogLen(c.User) > 100 {
		errs["user"] = "at most 100 characters"
	}
	if ogLen(c.Source) > 100 {
		errs["source"] = "at most 100 characters"
	}
	if ogLen(c.Note) > 25000 {
		errs["note"] = "at most 25000 characters"
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
