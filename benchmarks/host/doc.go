// Package host holds what every benchmark program asks of the machine it
// runs on: how busy it was (the load average before and after a run), and
// a CPU profile of the run.
package host
