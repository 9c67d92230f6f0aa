// A Go program for the start-up benchmarks (GOOS=wasip1): it uses a broad
// part of the standard library (JSON, regular expressions, templates,
// compression, hashing, big numbers, sorting, text formatting) on a small
// generated data set and prints a line per step, so that a run executes
// the Go runtime's start-up and a realistic spread of library code.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

type Record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Score float64           `json:"score"`
	Attrs map[string]string `json:"attrs"`
}

func records(n int) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{
			ID:    i,
			Name:  fmt.Sprintf("record-%04d", (i*7919)%10007),
			Tags:  []string{"t" + strconv.Itoa(i%7), "g" + strconv.Itoa(i%3)},
			Score: float64(i*31%1000) / 10,
			Attrs: map[string]string{"k": strings.Repeat("x", i%5), "n": strconv.Itoa(i)},
		}
	}
	return out
}

const report = `{{range .}}{{.Name}}:{{printf "%.1f" .Score}}{{range .Tags}} {{.}}{{end}}
{{end}}`

func main() {
	n := 300
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	recs := records(n)
	blob, err := json.Marshal(recs)
	if err != nil {
		panic(err)
	}
	fmt.Printf("json %d bytes sha256 %x\n", len(blob), sha256.Sum256(blob))

	var back []Record
	if err := json.Unmarshal(blob, &back); err != nil {
		panic(err)
	}
	sort.Slice(back, func(i, j int) bool { return back[i].Name < back[j].Name })
	fmt.Println("first", back[0].Name, "last", back[len(back)-1].Name)

	re := regexp.MustCompile(`record-0*([1-9][0-9]*)`)
	sum := 0
	for _, m := range re.FindAllSubmatch(blob, -1) {
		v, _ := strconv.Atoi(string(m[1]))
		sum += v
	}
	fmt.Println("regexp sum", sum)

	var sb strings.Builder
	tmpl := template.Must(template.New("r").Parse(report))
	if err := tmpl.Execute(&sb, back[:min(20, len(back))]); err != nil {
		panic(err)
	}
	text := sb.String()
	fmt.Printf("template %d bytes, %d lines\n", len(text), strings.Count(text, "\n"))

	var zbuf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zbuf, gzip.BestCompression)
	zw.ModTime = time.Unix(0, 0)
	zw.Write(blob)
	zw.Close()
	packed := zbuf.Len()
	zr, _ := gzip.NewReader(&zbuf)
	plain, _ := io.ReadAll(zr)
	fmt.Printf("gzip %d -> %d, round trip %v\n", len(blob), packed, bytes.Equal(plain, blob))

	f := new(big.Int).MulRange(1, int64(n))
	fmt.Println("factorial digits", len(f.String()), "mod 1e9+7", new(big.Int).Mod(f, big.NewInt(1000000007)))

	enc := base64.StdEncoding.EncodeToString(blob[:min(64, len(blob))])
	fmt.Println("base64", enc[:min(32, len(enc))])
}
