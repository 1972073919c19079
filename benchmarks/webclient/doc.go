// Package webclient logs in to central's web side the way any script
// does (GET /login for the login CSRF cookie, POST /login as JSON with it
// in X-CSRF-Token) and keeps the session: its cookie jar and its CSRF
// token, sent on every state-changing request. The border-post simulator,
// the benchmarks and the tests that run central as a process use it.
package webclient
