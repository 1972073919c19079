package tfjsgraph

// BlazeFace returns the options that convert human-models' blazeface.json to
// the project's detector contract: input `input` [1,3,256,256] and the two
// heads joined per kind, the stride-16 anchors (16×16 cells × 2 = 512) before
// the stride-32 ones (8×8 × 6 = 384):
//
//	regressors     [1,896,16] = Identity_2 (regressors_1, 512) ‖ Identity_3 (regressors_2, 384)
//	classificators [1,896,1]  = Identity   (classificators_1)   ‖ Identity_1 (classificators_2)
//
// The Identity names are the graph's signature outputs; which Reshape each
// one reads was taken from the graph (and is checked by the tests).
func BlazeFace() Options {
	return Options{Outputs: []Output{
		{Name: "regressors", From: []string{"Identity_2", "Identity_3"}, Axis: 1},
		{Name: "classificators", From: []string{"Identity", "Identity_1"}, Axis: 1},
	}}
}
