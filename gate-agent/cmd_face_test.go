package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"autogate/internal/testenv"
	"autogate/models/face"
)

// faceModels returns the models folder, or skips naming `make models`.
func faceModels(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), face.DefaultDir)
	if err := face.CheckDir(dir); err != nil {
		t.Skip(err)
	}
	return dir
}

func runFaceVerify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := cmdFace(append([]string{"verify"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngClaiming is a small PNG whose header claims w×h pixels: the decoder
// must refuse it before allocating them.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	// Signature (8), IHDR length (4), "IHDR" (4), width, height, 5 more bytes, CRC.
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestFaceVerify(t *testing.T) {
	models := faceModels(t)
	lfw := testenv.SharedTestdata(t, "faces/lfw")
	brody1 := filepath.Join(lfw, "adrien_brody/Adrien_Brody_0001.jpg")
	brody3 := filepath.Join(lfw, "adrien_brody/Adrien_Brody_0003.jpg")
	brody2 := filepath.Join(lfw, "adrien_brody/Adrien_Brody_0002.jpg") // a second face in the background
	toledo := filepath.Join(lfw, "alejandro_toledo/Alejandro_Toledo_0001.jpg")

	dir := t.TempDir()
	blank := filepath.Join(dir, "blank.png")
	grey := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i % 251)
	}
	writePNG(t, blank, grey)
	corrupt := filepath.Join(dir, "corrupt.jpg")
	whole, _ := os.ReadFile(brody1)
	os.WriteFile(corrupt, whole[:len(whole)/3], 0o644)
	huge := filepath.Join(dir, "huge.png")
	os.WriteFile(huge, pngClaiming(t, 50000, 50000), 0o644)
	empty := filepath.Join(dir, "empty.jpg")
	os.WriteFile(empty, nil, 0o644)

	t.Run("same person matches", func(t *testing.T) {
		code, out, stderr := runFaceVerify(t, "--models", models, brody1, brody3)
		var r faceVerifyReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("stdout not JSON (%v): %s %s", err, out, stderr)
		}
		if code != 0 || r.Match == nil || !*r.Match || *r.Score < *r.Threshold {
			t.Fatalf("exit %d, %s", code, out)
		}
		if r.QualityA == nil || r.QualityA.InterEyePx <= 0 || r.PAD == nil || len(r.PerModel) < 2 {
			t.Fatalf("quality, PAD or per-model scores missing: %s", out)
		}
	})
	t.Run("another person does not", func(t *testing.T) {
		code, out, _ := runFaceVerify(t, "--models", models, brody1, toledo)
		if code != 1 || !strings.Contains(out, `"match": false`) {
			t.Fatalf("exit %d, %s", code, out)
		}
	})
	for _, c := range []struct{ name, img, want string }{
		{"no face", blank, "no face"},
		{"several faces", brody2, "several faces"},
		{"truncated", corrupt, "bad image"},
		{"too large", huge, "pixels"},
		{"empty", empty, "bad image"},
		{"missing", filepath.Join(dir, "absent.jpg"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runFaceVerify(t, "--models", models, "--max-pixels", "4000000", brody1, c.img)
			if code != 2 || out != "" || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, stderr, c.want)
			}
		})
	}
	t.Run("pairs", func(t *testing.T) {
		csv := filepath.Join(dir, "pairs.csv")
		os.WriteFile(csv, []byte("a,b\n"+brody1+","+brody3+"\n"+brody1+","+toledo+"\n"+brody3+","+blank+"\n"), 0o644)
		code, out, stderr := runFaceVerify(t, "--models", models, "--pairs", csv)
		if code != 2 || !strings.Contains(stderr, "1 of 3 pairs") {
			t.Fatalf("exit %d, stderr %q; want 2 for the pair with no face", code, stderr)
		}
		var rows []faceVerifyReport
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var r faceVerifyReport
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			rows = append(rows, r)
		}
		if len(rows) != 3 || rows[0].Match == nil || !*rows[0].Match || *rows[1].Match || rows[2].Error == "" || rows[2].Match != nil {
			t.Fatalf("rows: %s", out)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, _ := runFaceVerify(t, brody1); code != 2 {
			t.Fatalf("one image: exit %d", code)
		}
		if code, out, _ := runFaceVerify(t, "--help"); code != 0 || !strings.Contains(out, "--pairs") {
			t.Fatalf("--help: exit %d %q", code, out)
		}
		if code, _, stderr := runFaceVerify(t, "--models", dir, brody1, brody3); code != 2 || !strings.Contains(stderr, "make models") {
			t.Fatalf("no models: exit %d %q", code, stderr)
		}
	})
}
