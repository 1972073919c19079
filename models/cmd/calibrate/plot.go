package main

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

type curve struct {
	name   string
	points []detPoint
}

// Plot area and axes of the DET picture: log FMR across, log FNMR up.
const (
	plotW, plotH          = 900, 700
	left, right, top, bot = 90, 30, 40, 80
	fmrMin, fnmrMin       = 1e-5, 1e-4
)

var curveColours = []color.RGBA{
	{31, 119, 180, 0}, {255, 127, 14, 0}, {44, 160, 44, 0}, {214, 39, 40, 0}, {148, 103, 189, 0},
}

// writeDET draws the curves as a PNG with gocv.
func writeDET(path string, curves []curve) error {
	img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), plotH, plotW, gocv.MatTypeCV8UC3)
	defer img.Close()
	x := func(fmr float64) int {
		v := (math.Log10(max(fmr, fmrMin)) - math.Log10(fmrMin)) / -math.Log10(fmrMin)
		return left + int(v*float64(plotW-left-right))
	}
	y := func(fnmr float64) int {
		v := (math.Log10(max(fnmr, fnmrMin)) - math.Log10(fnmrMin)) / -math.Log10(fnmrMin)
		return plotH - bot - int(v*float64(plotH-top-bot))
	}
	grey, black := color.RGBA{210, 210, 210, 0}, color.RGBA{0, 0, 0, 0}
	font := gocv.FontHersheySimplex
	for e := -5; e <= 0; e++ {
		v := math.Pow(10, float64(e))
		gocv.Line(&img, image.Pt(x(v), top), image.Pt(x(v), plotH-bot), grey, 1)
		gocv.PutText(&img, fmt.Sprintf("1e%d", e), image.Pt(x(v)-18, plotH-bot+22), font, 0.5, black, 1)
	}
	for e := -4; e <= 0; e++ {
		v := math.Pow(10, float64(e))
		gocv.Line(&img, image.Pt(left, y(v)), image.Pt(plotW-right, y(v)), grey, 1)
		gocv.PutText(&img, fmt.Sprintf("1e%d", e), image.Pt(left-50, y(v)+5), font, 0.5, black, 1)
	}
	// The gate's target: FNMR 2 % at FMR 0.1 %.
	red := color.RGBA{200, 0, 0, 0}
	gocv.Circle(&img, image.Pt(x(1e-3), y(0.02)), 6, red, 2)
	gocv.PutText(&img, "target", image.Pt(x(1e-3)+8, y(0.02)-8), font, 0.45, red, 1)
	gocv.Rectangle(&img, image.Rect(left, top, plotW-right, plotH-bot), black, 1)
	gocv.PutText(&img, "FMR (false match rate)", image.Pt(plotW/2-90, plotH-30), font, 0.6, black, 1)
	gocv.PutText(&img, "FNMR", image.Pt(8, (y(1e-1)+y(1e-2))/2+5), font, 0.6, black, 1)
	gocv.PutText(&img, "DET, held-out half (fit on the other half)", image.Pt(left, 25), font, 0.6, black, 1)
	for i, c := range curves {
		col := curveColours[i%len(curveColours)]
		thick := 2
		if c.name == "fused" {
			thick = 3
		}
		var prev image.Point
		for k, p := range c.points {
			pt := image.Pt(x(p.fmr), y(p.fnmr))
			if k > 0 && pt != prev {
				gocv.Line(&img, prev, pt, col, thick)
			}
			prev = pt
		}
		ly := top + 25 + 22*i
		gocv.Line(&img, image.Pt(plotW-right-200, ly), image.Pt(plotW-right-170, ly), col, thick)
		gocv.PutText(&img, c.name, image.Pt(plotW-right-160, ly+5), font, 0.5, black, 1)
	}
	if !gocv.IMWrite(path, img) {
		return fmt.Errorf("writing %s failed", path)
	}
	return nil
}
