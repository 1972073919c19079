package web

// routesLogin registers /login (GET form, POST), POST /logout and GET /
// (redirect to the viewer's home: the console for officers and
// supervisors, the dashboard for hq, the admin page for admins).
func (s *Server) routesLogin() {}
