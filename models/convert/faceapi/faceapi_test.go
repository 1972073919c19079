package faceapi

import (
	"math"
	"path/filepath"
	"testing"
)

// meanPoint is the mean (x, y) of landmarks [from, to).
func meanPoint(lm []float32, from, to int) (x, y float64) {
	for i := from; i < to; i++ {
		x += float64(lm[2*i])
		y += float64(lm[2*i+1])
	}
	n := float64(to - from)
	return x / n, y / n
}

// TestLandmark68OnLFW runs the converted net on LFW face crops (the central
// 150×150 of the 250×250 photos, where LFW centres the face): every point
// must lie inside the crop, in the iBUG-68 layout (eyes above the nose tip
// above the mouth above the chin, the image-left eye left of the other).
func TestLandmark68OnLFW(t *testing.T) {
	net := realNet(t, NetLandmark68)
	files, _ := lfwFiles(t, 12, 1)
	for _, f := range files {
		lm := forward(t, net, nchw(lfwCrop(t, f, Landmark68Size), Landmark68Size), []int{1, 3, Landmark68Size, Landmark68Size}, "landmarks")
		name := filepath.Base(f)
		if len(lm) != 136 {
			t.Fatalf("%s: %d values, want 136", name, len(lm))
		}
		for i, v := range lm {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%s: coordinate %d = %v, outside the crop", name, i, v)
			}
		}
		lex, ley := meanPoint(lm, 36, 42)
		rex, rey := meanPoint(lm, 42, 48)
		_, noseY := meanPoint(lm, 30, 36)
		_, mouthY := meanPoint(lm, 48, 68)
		_, chinY := meanPoint(lm, 8, 9)
		if !(math.Max(ley, rey) < noseY && noseY < mouthY && mouthY < chinY && lex < rex) {
			t.Errorf("%s: implausible layout: eyes (%.2f,%.2f) (%.2f,%.2f), nose tip y %.2f, mouth y %.2f, chin y %.2f", name, lex, ley, rex, rey, noseY, mouthY, chinY)
		}
		t.Logf("%s: eyes (%.2f,%.2f) (%.2f,%.2f), nose %.2f, mouth %.2f, chin %.2f", name, lex, ley, rex, rey, noseY, mouthY, chinY)
	}
}

// TestDlibOnLFW embeds several photos of a few people: descriptors of the
// same person must be closer (L2, as dlib compares them) than those of
// different people on average. The crops are not dlib-aligned, so this is a
// sanity check, not the accuracy measurement.
func TestDlibOnLFW(t *testing.T) {
	net := realNet(t, NetDlib)
	files, ids := lfwFiles(t, 5, 4)
	desc := make([][]float32, len(files))
	for i, f := range files {
		desc[i] = forward(t, net, nchw(lfwCrop(t, f, DlibSize), DlibSize), []int{1, 3, DlibSize, DlibSize}, "descriptor")
		if len(desc[i]) != 128 {
			t.Fatalf("%s: %d values, want 128", f, len(desc[i]))
		}
	}
	var same, diff float64
	var nSame, nDiff int
	for i := range desc {
		for j := i + 1; j < len(desc); j++ {
			var d float64
			for k := range desc[i] {
				e := float64(desc[i][k] - desc[j][k])
				d += e * e
			}
			d = math.Sqrt(d)
			if ids[i] == ids[j] {
				same, nSame = same+d, nSame+1
			} else {
				diff, nDiff = diff+d, nDiff+1
			}
		}
	}
	same /= float64(nSame)
	diff /= float64(nDiff)
	t.Logf("%d photos of %d people: mean L2 same person %.3f, different people %.3f", len(files), len(files)/4, same, diff)
	if !(same < diff) {
		t.Errorf("same-person distance %.3f not below different-person %.3f", same, diff)
	}
}
