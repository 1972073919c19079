package onnx

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// A plain-Go reference for the ops the OpenCV tests run: dense float32
// tensors, row-major, N=1 layouts where the op allows.
type tensor struct {
	shape []int
	data  []float32
}

func newTensor(shape ...int) tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return tensor{shape: append([]int(nil), shape...), data: make([]float32, n)}
}

func randTensor(r *rand.Rand, scale float32, shape ...int) tensor {
	t := newTensor(shape...)
	for i := range t.data {
		t.data[i] = (r.Float32()*2 - 1) * scale
	}
	return t
}

func (t tensor) dims64() []int64 {
	d := make([]int64, len(t.shape))
	for i, v := range t.shape {
		d[i] = int64(v)
	}
	return d
}

// at4 indexes an N×C×H×W tensor.
func (t tensor) at4(n, c, h, w int) float32 {
	return t.data[((n*t.shape[1]+c)*t.shape[2]+h)*t.shape[3]+w]
}

func (t tensor) set4(n, c, h, w int, v float32) {
	t.data[((n*t.shape[1]+c)*t.shape[2]+h)*t.shape[3]+w] = v
}

// conv2d follows ONNX Conv: pads [top, left, bottom, right], weights
// O×(C/group)×kH×kW. Accumulates in float64 so the reference is the more
// exact side of the comparison.
func conv2d(x, w tensor, bias []float32, strides, pads, dil []int, group int) tensor {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	o, cg, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	if cg*group != c || o%group != 0 {
		panic(fmt.Sprintf("conv2d: channels %d, weights %v, group %d", c, w.shape, group))
	}
	oh := (h+pads[0]+pads[2]-((kh-1)*dil[0]+1))/strides[0] + 1
	ow := (wd+pads[1]+pads[3]-((kw-1)*dil[1]+1))/strides[1] + 1
	y := newTensor(n, o, oh, ow)
	og := o / group
	for b := 0; b < n; b++ {
		for oc := 0; oc < o; oc++ {
			g := oc / og
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var s float64
					if bias != nil {
						s = float64(bias[oc])
					}
					for ic := 0; ic < cg; ic++ {
						for ky := 0; ky < kh; ky++ {
							iy := oy*strides[0] - pads[0] + ky*dil[0]
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < kw; kx++ {
								ix := ox*strides[1] - pads[1] + kx*dil[1]
								if ix < 0 || ix >= wd {
									continue
								}
								s += float64(x.at4(b, g*cg+ic, iy, ix)) * float64(w.at4(oc, ic, ky, kx))
							}
						}
					}
					y.set4(b, oc, oy, ox, float32(s))
				}
			}
		}
	}
	return y
}

// pool2d is ONNX MaxPool / AveragePool (count_include_pad as given), floor
// mode.
func pool2d(x tensor, kernel, strides, pads []int, avg, countPad bool) tensor {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh := (h+pads[0]+pads[2]-kernel[0])/strides[0] + 1
	ow := (wd+pads[1]+pads[3]-kernel[1])/strides[1] + 1
	y := newTensor(n, c, oh, ow)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					best, sum, cnt := float32(math.Inf(-1)), 0.0, 0
					for ky := 0; ky < kernel[0]; ky++ {
						for kx := 0; kx < kernel[1]; kx++ {
							iy, ix := oy*strides[0]-pads[0]+ky, ox*strides[1]-pads[1]+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							v := x.at4(b, ch, iy, ix)
							best = max(best, v)
							sum += float64(v)
							cnt++
						}
					}
					switch {
					case !avg:
						y.set4(b, ch, oy, ox, best)
					case countPad:
						y.set4(b, ch, oy, ox, float32(sum/float64(kernel[0]*kernel[1])))
					default:
						y.set4(b, ch, oy, ox, float32(sum/float64(cnt)))
					}
				}
			}
		}
	}
	return y
}

// perChannel applies f(x, k[c]) over an N×C×H×W tensor.
func perChannel(x tensor, k []float32, f func(v, k float32) float32) tensor {
	y := newTensor(x.shape...)
	plane := x.shape[2] * x.shape[3]
	for i, v := range x.data {
		c := (i / plane) % x.shape[1]
		y.data[i] = f(v, k[c])
	}
	return y
}

func mapT(x tensor, f func(float32) float32) tensor {
	y := newTensor(x.shape...)
	for i, v := range x.data {
		y.data[i] = f(v)
	}
	return y
}

func batchNorm(x tensor, scale, bias, mean, variance []float32, eps float32) tensor {
	y := newTensor(x.shape...)
	plane := x.shape[2] * x.shape[3]
	for i, v := range x.data {
		c := (i / plane) % x.shape[1]
		y.data[i] = float32(float64(scale[c])*(float64(v)-float64(mean[c]))/math.Sqrt(float64(variance[c])+float64(eps)) + float64(bias[c]))
	}
	return y
}

// nchwToNHWC is Transpose(0,2,3,1).
func nchwToNHWC(x tensor) tensor {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	y := newTensor(n, h, w, c)
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					y.data[((b*h+i)*w+j)*c+ch] = x.at4(b, ch, i, j)
				}
			}
		}
	}
	return y
}

// matmul multiplies a (M×K) by b (K×N), or by bᵀ when b is N×K and transB.
func matmul(a, b tensor, bias []float32, transB bool) tensor {
	m, k := a.shape[0], a.shape[1]
	nOut := b.shape[1]
	if transB {
		nOut = b.shape[0]
	}
	y := newTensor(m, nOut)
	for i := 0; i < m; i++ {
		for j := 0; j < nOut; j++ {
			var s float64
			if bias != nil {
				s = float64(bias[j])
			}
			for l := 0; l < k; l++ {
				bv := b.data[l*nOut+j]
				if transB {
					bv = b.data[j*k+l]
				}
				s += float64(a.data[i*k+l]) * float64(bv)
			}
			y.data[i*nOut+j] = float32(s)
		}
	}
	return y
}

func padConst(x tensor, top, left, bottom, right int, value float32) tensor {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	y := newTensor(n, c, h+top+bottom, w+left+right)
	for i := range y.data {
		y.data[i] = value
	}
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					y.set4(b, ch, i+top, j+left, x.at4(b, ch, i, j))
				}
			}
		}
	}
	return y
}

// concatChannels joins N×C×H×W tensors along C (N=1).
func concatChannels(xs ...tensor) tensor {
	c := 0
	var data []float32
	for _, x := range xs {
		c += x.shape[1]
		data = append(data, x.data...)
	}
	return tensor{shape: []int{1, c, xs[0].shape[2], xs[0].shape[3]}, data: data}
}

func globalAvg(x tensor) tensor {
	n, c, plane := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	y := newTensor(n, c)
	for i := range y.data {
		var s float64
		for _, v := range x.data[i*plane : (i+1)*plane] {
			s += float64(v)
		}
		y.data[i] = float32(s / float64(plane))
	}
	return y
}

func softmaxRows(x tensor) tensor {
	y := newTensor(x.shape...)
	k := x.shape[len(x.shape)-1]
	for r := 0; r < len(x.data)/k; r++ {
		row := x.data[r*k : (r+1)*k]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - m))
		}
		for j, v := range row {
			y.data[r*k+j] = float32(math.Exp(float64(v-m)) / s)
		}
	}
	return y
}

func sigmoid(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
