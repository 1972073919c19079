package face

import (
	"image"
	"sync"
	"syscall"
	"testing"

	"gocv.io/x/gocv"
)

// benchEngine loads a fresh engine with the given OpenCV pool size (the
// pool is process-wide, so each benchmark sets its own).
func benchEngine(b *testing.B, threads int) *Engine {
	b.Helper()
	e, err := Load(Config{Dir: modelsDir(b), Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// BenchmarkLoad: reading the five networks and the calibration.
func BenchmarkLoad(b *testing.B) {
	dir := modelsDir(b)
	for b.Loop() {
		e, err := Load(Config{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}

// benchFace runs the whole per-face pipeline — detect, 2× landmarks,
// quality, both alignments, three embedders each with the mirror image —
// on one LFW photo per op.
func benchFace(b *testing.B, threads, goroutines int) {
	e := benchEngine(b, threads)
	img := readImage(b, photosOf(b, "adrien_brody")[0])
	defer img.Close()
	if _, err := e.Enrol(img); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if goroutines == 1 {
		benchCPU(b, func() {
			if _, err := e.Enrol(img); err != nil {
				b.Fatal(err)
			}
		})
		return
	}
	var wg sync.WaitGroup
	ch := make(chan struct{})
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := img.Clone()
			defer local.Close()
			for range ch {
				if _, err := e.Enrol(local); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		ch <- struct{}{}
	}
	close(ch)
	wg.Wait()
}

// BenchmarkFaceOneThread: one goroutine, OpenCV limited to one thread.
func BenchmarkFaceOneThread(b *testing.B) { benchFace(b, 1, 1) }

// BenchmarkFaceTwoThreads: one goroutine, OpenCV with two threads.
func BenchmarkFaceTwoThreads(b *testing.B) { benchFace(b, 2, 1) }

// BenchmarkFaceTwoGoroutines: two faces at once (reference photo and live
// frame), OpenCV with one thread each.
func BenchmarkFaceTwoGoroutines(b *testing.B) { benchFace(b, 1, 2) }

// BenchmarkDetect: detection, landmarks and quality only (per burst frame).
func BenchmarkDetect(b *testing.B) {
	e := benchEngine(b, 1)
	img := readImage(b, photosOf(b, "adrien_brody")[0])
	defer img.Close()
	for b.Loop() {
		if _, err := e.Detect(img); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare: fusing two templates' scores.
func BenchmarkCompare(b *testing.B) {
	e := benchEngine(b, 1)
	img := readImage(b, photosOf(b, "adrien_brody")[0])
	defer img.Close()
	t, err := e.Enrol(img)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		e.Compare(t, t)
	}
}

// cpuMS is the process's CPU time in milliseconds: on a shared machine it
// tells what the work costs where the wall clock also counts waiting.
func cpuMS() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// benchCPU runs f b.N times and reports its CPU time per op.
func benchCPU(b *testing.B, f func()) {
	b.Helper()
	c := cpuMS()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric((cpuMS()-c)/float64(n), "cpu-ms/op")
}

// BenchmarkNet: one Forward of each network alone, OpenCV on one thread,
// on a noise image of the net's input size.
func BenchmarkNet(b *testing.B) {
	e := benchEngine(b, 1)
	for _, nt := range []struct {
		n    *net
		side int
	}{{e.blaze, blazeSize}, {e.landmarks, landmarkSize}, {e.mfn, 112}, {e.frf, 112}, {e.dlib, dlibChipSize}} {
		b.Run(nt.n.spec.file, func(b *testing.B) {
			img := gocv.NewMatWithSize(nt.side, nt.side, gocv.MatTypeCV8UC3)
			defer img.Close()
			gocv.RandU(&img, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
			blob := gocv.BlobFromImage(img, 1.0/128, image.Pt(nt.side, nt.side), gocv.NewScalar(127.5, 127.5, 127.5, 0), true, false)
			defer blob.Close()
			if _, err := nt.n.run(blob); err != nil {
				b.Fatal(err)
			}
			benchCPU(b, func() {
				if _, err := nt.n.run(blob); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
