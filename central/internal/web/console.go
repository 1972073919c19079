package web

// routesConsole registers the officers' console under /console.
func (s *Server) routesConsole() {}
