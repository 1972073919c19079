package verify

import (
	"strings"
	"testing"
)

func TestParseLabelsAndPickCrops(t *testing.T) {
	csv := "file,identity\n" +
		"bob/Bob_0003.jpg,bob\n" +
		"bob/Bob_0001.jpg,bob\n" +
		"amy/Amy_0002.jpg,amy\n" +
		"cid/Cid_0001.jpg,cid\n" +
		"amy/Amy_0001.jpg,amy\n"
	labels, err := ParseLabels([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 5 {
		t.Fatalf("%d labels, want 5", len(labels))
	}
	crops, err := PickCrops(labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []Crop{{"bob/Bob_0003.jpg", "bob"}, {"amy/Amy_0002.jpg", "amy"}}
	if len(crops) != 2 || crops[0] != want[0] || crops[1] != want[1] {
		t.Errorf("PickCrops = %v, want %v (first listed photo of the first listed people)", crops, want)
	}
	if _, err := PickCrops(labels, 4); err == nil || !strings.Contains(err.Error(), "3 people") {
		t.Errorf("4 crops of 3 people: err %v", err)
	}
}

func TestParseLabelsRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"empty":      "",
		"header":     "path,who\na/b.jpg,a\n",
		"escape":     "file,identity\n../secret.jpg,a\n",
		"absolute":   "file,identity\n/etc/passwd,a\n",
		"no name":    "file,identity\na/b.jpg,\n",
		"fields":     "file,identity\na/b.jpg,a,extra\n",
		"bad quotes": "file,identity\n\"a/b.jpg,a\n",
	} {
		if _, err := ParseLabels([]byte(body)); err == nil {
			t.Errorf("%s: accepted %q", name, body)
		}
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add([]byte("file,identity\nbob/Bob_0001.jpg,bob\namy/a.jpg,amy\n"))
	f.Add([]byte("file,identity\n../x,y\n"))
	f.Add([]byte("file,identity\n\"a\"\"b\",c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ParseLabels(data)
		if err != nil {
			return
		}
		for _, l := range labels {
			if !localPath(l.File) || l.Identity == "" {
				t.Fatalf("accepted row %+v", l)
			}
		}
		crops, err := PickCrops(labels, 3)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range crops {
			if seen[c.Identity] {
				t.Fatalf("two crops of %s", c.Identity)
			}
			seen[c.Identity] = true
		}
	})
}
