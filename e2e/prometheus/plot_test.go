package prometheus

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A small chart renderer on the standard library alone: line charts with axes, ticks, a
// legend, event markers and a strip of firing alerts, labelled with a 5x7 bitmap font.

// plotLine is one series of a chart.
type plotLine struct {
	label  string
	color  color.RGBA
	times  []time.Time
	values []float64
}

// plotChart is one panel: lines sharing a y axis.
type plotChart struct {
	title string
	lines []plotLine
	// unitDiv divides values for display (60 shows seconds as minutes).
	unitDiv float64
}

// plotStrip is one row of the alert strip: when the alert was firing.
type plotStrip struct {
	label string
	color color.RGBA
	times []time.Time // sample times at which it was firing
}

// plotMark is a vertical line across all panels.
type plotMark struct {
	at    time.Time
	label string
	color color.RGBA
}

type figure struct {
	title      string
	start, end time.Time
	step       time.Duration
	charts     []plotChart
	strips     []plotStrip
	marks      []plotMark
}

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{30, 30, 30, 255}
	grey      = color.RGBA{120, 120, 120, 255}
	lightGrey = color.RGBA{225, 225, 225, 255}
	blue      = color.RGBA{31, 119, 180, 255}
	orange    = color.RGBA{230, 120, 20, 255}
	red       = color.RGBA{200, 30, 40, 255}
	green     = color.RGBA{40, 150, 60, 255}
	purple    = color.RGBA{130, 70, 170, 255}
	brown     = color.RGBA{140, 86, 75, 255}
)

const (
	figWidth    = 1200
	marginLeft  = 180
	marginRight = 30
	chartTop    = 110
	chartHeight = 220
	chartGap    = 84
	stripRow    = 22
	fontScale   = 2
)

// render draws the figure: title, event labels, the charts, the alert strip and the time axis.
func (f figure) render() *image.RGBA {
	stripTop := chartTop + len(f.charts)*(chartHeight+chartGap) - 30
	bottom := stripTop + len(f.strips)*stripRow
	height := bottom + 50
	img := image.NewRGBA(image.Rect(0, 0, figWidth, height))
	fillRect(img, img.Bounds(), white)
	drawText(img, marginLeft, 12, f.title, black, fontScale)

	x0, x1 := marginLeft, figWidth-marginRight
	span := f.end.Sub(f.start).Seconds()
	xOf := func(t time.Time) int {
		return x0 + int(math.Round(t.Sub(f.start).Seconds()/span*float64(x1-x0)))
	}
	for i, c := range f.charts {
		f.renderChart(img, c, chartTop+i*(chartHeight+chartGap), xOf)
	}
	if len(f.strips) > 0 {
		drawText(img, x0, stripTop-24, "ALERTS FIRING", black, fontScale)
	}
	for i, s := range f.strips {
		y := stripTop + i*stripRow
		fillRect(img, image.Rect(x0, y+2, x1, y+stripRow-2), color.RGBA{242, 242, 242, 255})
		for _, t := range s.times {
			a, b := xOf(t), xOf(t.Add(f.step))
			fillRect(img, image.Rect(a, y+3, min(b+1, x1), y+stripRow-3), s.color)
		}
		drawTextRight(img, x0-8, y+7, s.label, black, 1)
	}
	drawHLine(img, x0, x1, bottom+2, black)
	for sec := 0.0; sec <= span+0.001; sec += tickStep(span, 12) {
		x := x0 + int(math.Round(sec/span*float64(x1-x0)))
		drawVLine(img, x, bottom+2, bottom+7, black)
		drawTextCenter(img, x, bottom+11, fmt.Sprintf("%d", int(sec)), black, 1)
	}
	drawTextCenter(img, (x0+x1)/2, bottom+26, "SECONDS SINCE START", black, fontScale)
	// Event marks: dashed lines through the charts and the strip, labelled above the charts.
	for _, m := range f.marks {
		x := xOf(m.at)
		spans := [][2]int{{stripTop, bottom}}
		for i := range f.charts {
			top := chartTop + i*(chartHeight+chartGap)
			spans = append(spans, [2]int{top, top + chartHeight})
		}
		for _, sp := range spans {
			for y := sp[0]; y < sp[1]; y += 8 {
				drawVLine(img, x, y, min(y+4, sp[1]), m.color)
				drawVLine(img, x+1, y, min(y+4, sp[1]), m.color)
			}
		}
		drawVLine(img, x, 42, 50, m.color)
		drawVLine(img, x+1, 42, 50, m.color)
		drawText(img, x+6, 40, m.label, m.color, fontScale)
	}
	return img
}

func (f figure) renderChart(img *image.RGBA, c plotChart, top int, xOf func(time.Time) int) {
	x0, x1 := marginLeft, figWidth-marginRight
	y0, y1 := top+chartHeight, top // y0 is the bottom
	div := c.unitDiv
	if div == 0 {
		div = 1
	}
	maxV := 0.0
	for _, l := range c.lines {
		for _, v := range l.values {
			maxV = math.Max(maxV, v/div)
		}
	}
	step := tickStep(maxV, 5)
	yMax := math.Max(step, math.Ceil(maxV/step)*step)
	yOf := func(v float64) int {
		return y0 - int(math.Round(v/div/yMax*float64(y0-y1)))
	}
	drawText(img, x0, top-40, c.title, black, fontScale)
	for v := 0.0; v <= yMax+step/2; v += step {
		y := y0 - int(math.Round(v/yMax*float64(y0-y1)))
		drawHLine(img, x0, x1, y, lightGrey)
		drawHLine(img, x0-5, x0, y, black)
		drawTextRight(img, x0-8, y-3, formatTick(v), black, 1)
	}
	for sec := 0.0; sec <= f.end.Sub(f.start).Seconds()+0.001; sec += tickStep(f.end.Sub(f.start).Seconds(), 12) {
		x := xOf(f.start.Add(time.Duration(sec * float64(time.Second))))
		drawVLine(img, x, y1, y0, lightGrey)
	}
	drawVLine(img, x0, y1, y0, black)
	drawHLine(img, x0, x1, y0, black)
	for _, l := range c.lines {
		for i := 1; i < len(l.times); i++ {
			if l.times[i].Sub(l.times[i-1]) > f.step*3/2 {
				continue // a gap: no sample in between
			}
			drawThickLine(img, xOf(l.times[i-1]), yOf(l.values[i-1]), xOf(l.times[i]), yOf(l.values[i]), l.color)
		}
	}
	// Legend: one row between the title and the chart, so that it hides no line.
	lx := x0
	for _, l := range c.lines {
		fillRect(img, image.Rect(lx, top-14, lx+24, top-9), l.color)
		drawText(img, lx+30, top-15, l.label, black, 1)
		lx += 30 + textWidth(l.label, 1) + 30
	}
}

// tickStep picks 1, 2 or 5 times a power of ten so that span has about n ticks.
func tickStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return math.Max(m*p, 1)
		}
	}
	return 10 * p
}

func formatTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func drawHLine(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func drawVLine(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// drawThickLine draws a line 2 to 3 pixels wide (Bresenham, with a square brush).
func drawThickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		for ox := -1; ox <= 1; ox++ {
			for oy := -1; oy <= 0; oy++ {
				img.SetRGBA(x0+ox, y0+oy, c)
			}
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// font is a 5x7 bitmap font: upper case letters, digits and some punctuation; lower case
// is drawn as upper case.
var font = map[rune]string{
	'A': ".###.|#...#|#...#|#####|#...#|#...#|#...#",
	'B': "####.|#...#|#...#|####.|#...#|#...#|####.",
	'C': ".###.|#...#|#....|#....|#....|#...#|.###.",
	'D': "####.|#...#|#...#|#...#|#...#|#...#|####.",
	'E': "#####|#....|#....|####.|#....|#....|#####",
	'F': "#####|#....|#....|####.|#....|#....|#....",
	'G': ".###.|#...#|#....|#.###|#...#|#...#|.####",
	'H': "#...#|#...#|#...#|#####|#...#|#...#|#...#",
	'I': ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
	'J': "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
	'K': "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
	'L': "#....|#....|#....|#....|#....|#....|#####",
	'M': "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
	'N': "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
	'O': ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
	'P': "####.|#...#|#...#|####.|#....|#....|#....",
	'Q': ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
	'R': "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
	'S': ".####|#....|#....|.###.|....#|....#|####.",
	'T': "#####|..#..|..#..|..#..|..#..|..#..|..#..",
	'U': "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
	'V': "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
	'W': "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
	'X': "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
	'Y': "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
	'Z': "#####|....#|...#.|..#..|.#...|#....|#####",
	'0': ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
	'1': "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
	'2': ".###.|#...#|....#|...#.|..#..|.#...|#####",
	'3': "#####|...#.|..#..|...#.|....#|#...#|.###.",
	'4': "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
	'5': "#####|#....|####.|....#|....#|#...#|.###.",
	'6': "..##.|.#...|#....|####.|#...#|#...#|.###.",
	'7': "#####|....#|...#.|..#..|.#...|.#...|.#...",
	'8': ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
	'9': ".###.|#...#|#...#|.####|....#|...#.|.##..",
	' ': ".....|.....|.....|.....|.....|.....|.....",
	'-': ".....|.....|.....|#####|.....|.....|.....",
	'/': ".....|....#|...#.|..#..|.#...|#....|.....",
	':': ".....|.##..|.##..|.....|.##..|.##..|.....",
	'.': ".....|.....|.....|.....|.....|.##..|.##..",
	',': ".....|.....|.....|.....|.##..|..#..|.#...",
	'(': "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
	')': ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
	'_': ".....|.....|.....|.....|.....|.....|#####",
	'+': ".....|..#..|..#..|#####|..#..|..#..|.....",
	'=': ".....|.....|#####|.....|#####|.....|.....",
	'>': ".#...|..#..|...#.|....#|...#.|..#..|.#...",
	'<': "...#.|..#..|.#...|#....|.#...|..#..|...#.",
}

const glyphAdvance = 6 // 5 columns and a space

func textWidth(s string, scale int) int {
	return len([]rune(s)) * glyphAdvance * scale
}

// drawText writes s with its top left corner at (x, y).
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	for _, r := range strings.ToUpper(s) {
		g, ok := font[r]
		if !ok {
			g = font[' ']
		}
		for row, bits := range strings.Split(g, "|") {
			for col, b := range bits {
				if b == '#' {
					fillRect(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += glyphAdvance * scale
	}
}

func drawTextRight(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	drawText(img, x-textWidth(s, scale), y, s, c, scale)
}

func drawTextCenter(img *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	drawText(img, x-textWidth(s, scale)/2, y, s, c, scale)
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plotScenario reads the failure scenario back from Prometheus' range API and draws it.
func plotScenario(t *testing.T, prom *promClient, out string, start, end, failedAt, recoveredAt time.Time) {
	t.Helper()
	step := time.Second
	rangeLine := func(q, label string, c color.RGBA) plotLine {
		t.Helper()
		res, err := prom.queryRange(q, start, end, step)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(res) != 1 {
			t.Fatalf("%s: %d series, want 1", q, len(res))
		}
		return plotLine{label: label, color: c, times: res[0].Times, values: res[0].Values}
	}
	fig := figure{
		title: "BACKBONE ISSUE SYNC: FAILURE SCENARIO SCRAPED BY PROMETHEUS EVERY SECOND",
		start: start, end: end, step: step,
		charts: []plotChart{
			{
				title: "MESSAGES IN QUEUE FOLDERS",
				lines: []plotLine{
					rangeLine(`sum(backbone_folder_messages{backbone_connector_key="SP-28",backbone_folder="send"})`, "INT-15/SP-28 SEND (PARTNER OFFLINE)", blue),
					rangeLine(`sum(backbone_folder_messages{backbone_folder=~"error|sequence_error|send_error"})`, "ALL ERROR, SEQUENCE-ERROR AND SEND-ERROR", red),
					rangeLine(`sum(backbone_folder_messages{backbone_connector_key="SSD-38",backbone_folder="receive"})`, "INT-17/SSD-38 RECEIVE (INTEGRATION STOPPED)", orange),
				},
			},
			{
				title:   "OLDEST MESSAGE AGE (MINUTES)",
				unitDiv: 60,
				lines: []plotLine{
					rangeLine(`sum(backbone_folder_oldest_message_age_seconds{backbone_connector_key="SP-28",backbone_folder="send"})`, "INT-15/SP-28 SEND", blue),
					rangeLine(`sum(backbone_folder_oldest_message_age_seconds{backbone_connector_key="SSD-38",backbone_folder="receive"})`, "INT-17/SSD-38 RECEIVE", orange),
				},
			},
		},
		marks: []plotMark{
			{at: failedAt, label: "FAILURES INJECTED", color: red},
			{at: recoveredAt, label: "RECOVERY", color: green},
		},
	}
	strips := []struct {
		name  string
		label string
		c     color.RGBA
	}{
		{"BackboneConnectorOffline", "CONNECTOR OFFLINE", red},
		{"BackboneSendStuck", "SEND STUCK", blue},
		{"BackboneSendBacklogGrowing", "SEND BACKLOG GROWING", purple},
		{"BackboneMessagesInError", "MESSAGES IN ERROR", red},
		{"BackboneIntegrationNotRunning", "INTEGRATION NOT RUNNING", brown},
		{"BackboneReceiveStuck", "RECEIVE STUCK", orange},
		{"BackboneRouteNotStarted", "ROUTE NOT STARTED", grey},
	}
	for _, s := range strips {
		res, err := prom.queryRange(fmt.Sprintf(`max(ALERTS{alertname=%q,alertstate="firing"})`, s.name), start, end, step)
		if err != nil {
			t.Fatal(err)
		}
		strip := plotStrip{label: s.label, color: s.c}
		if len(res) == 1 {
			strip.times = res[0].Times
		}
		fig.strips = append(fig.strips, strip)
	}
	if err := writePNG(out, fig.render()); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

// The renderer draws a figure that decodes as a PNG of the expected size, with the lines'
// colours on it.
func TestPrometheusPlotRender(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	var times []time.Time
	var up, down []float64
	for i := range 60 {
		times = append(times, start.Add(time.Duration(i)*time.Second))
		up = append(up, float64(i*i))
		down = append(down, float64(3600-i*60))
	}
	fig := figure{
		title: "TEST", start: start, end: start.Add(59 * time.Second), step: time.Second,
		charts: []plotChart{{title: "LINES", lines: []plotLine{
			{label: "UP", color: blue, times: times, values: up},
			{label: "DOWN (MIN)", color: orange, times: times, values: down},
		}}},
		strips: []plotStrip{{label: "ALERT", color: red, times: times[10:20]}},
		marks:  []plotMark{{at: times[10], label: "MARK", color: green}},
	}
	path := filepath.Join(t.TempDir(), "fig.png")
	if err := writePNG(path, fig.render()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != figWidth {
		t.Errorf("width %d, want %d", w, figWidth)
	}
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	for _, c := range []color.RGBA{blue, orange, red, green, black} {
		if !seen[c] {
			t.Errorf("colour %v not drawn", c)
		}
	}
	for r, g := range font {
		rows := strings.Split(g, "|")
		if len(rows) != 7 {
			t.Errorf("glyph %q has %d rows", r, len(rows))
		}
		for _, row := range rows {
			if len(row) != 5 {
				t.Errorf("glyph %q has a row of %d columns", r, len(row))
			}
		}
	}
}
