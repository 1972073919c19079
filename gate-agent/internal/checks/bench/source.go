package main

import (
	"autogate/internal/lists"
	"autogate/internal/lists/synth"
)

// generator is what the benchmark draws its lists and travellers from:
// records addressed by index, so that a run can find again the records a
// cached database was built from.
type generator interface {
	Person(i int) lists.Person
	// Document is a listed document; TravelDocument a traveller's, which
	// no Document of the same seed shares.
	Document(i int) lists.Document
	TravelDocument(i int) lists.Document
}

type synthGenerator struct{ *synth.Generator }

func (g synthGenerator) TravelDocument(i int) lists.Document {
	d := g.Generator.TravelDocument(i)
	return lists.Document{Number: d.Number, IssuingState: d.IssuingState, Type: d.Type}
}

func newGenerator(seed uint64) generator { return synthGenerator{synth.New(seed)} }

// nationalities are the codes the generator draws persons from.
func nationalities() []string { return synth.Nationalities() }

// maxDocumentIndex bounds the generator's document indices.
const maxDocumentIndex = synth.MaxDocuments
