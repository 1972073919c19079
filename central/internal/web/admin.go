package web

// routesAdmin registers the admin pages under /admin.
func (s *Server) routesAdmin() {}
