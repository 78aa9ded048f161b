package web

import (
	"net/http"
	"net/http/pprof"
)

// PprofHandler serves Go's profiles (CPU, heap, goroutines, traces) under
// /debug/pprof/, for Server.Pprof. Profiles show the service's internals
// and a CPU profile or trace costs CPU while it runs, so the server lets
// only signed-in department staff reach them.
func PprofHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}

// staffOnly serves h to signed-in department staff and answers everyone
// else 404, as if h were not there: behind a reverse proxy on the same
// host every request comes from loopback, so the caller's address proves
// nothing, while a session does.
func (s *Server) staffOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if c, err := r.Cookie(cookieName); err == nil && c.Value != "" {
			sess, ok, err := s.Store.Session(c.Value, s.now())
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if ok && s.isStaff(sess.UserID) {
				h.ServeHTTP(w, r)
				return
			}
		}
		s.page(w, r, http.StatusNotFound, "message", view{Title: s.t("web.notfound.title"), Message: s.t("web.notfound")})
	})
}
