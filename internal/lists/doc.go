// Package lists defines the lists central distributes to the gates — lost,
// stolen and revoked documents, persons of interest with their aliases,
// visas and residence permits, registered travellers and the gate group's
// recent movements — their versioned delta format (add, change, remove),
// and the CSV files an officer or an import job loads them from. It holds
// data definitions and codecs only: the gate's replica stores them and the
// checks use them.
package lists
