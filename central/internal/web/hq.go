package web

// routesDashboard registers the HQ dashboard under /dashboard.
func (s *Server) routesDashboard() {
	s.mux.HandleFunc("GET /dashboard", s.guard(s.handleDashboard))
	s.mux.HandleFunc("GET /partials/{part}", s.guard(s.handlePartial))
}
