package web

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders image.Decode knows
	"image/jpeg"
	_ "image/png"
	"io"

	"github.com/storage-agent/storage-agent/isolation/webproto"
)

// Preview sizes (WebRequest.Format of WebPreview): the longest side.
var previewSides = map[string]int{"thumb": 256, "big": 1080}

// Bounds on what a preview decodes, checked from the image's header
// before any pixel is decoded, so a small file that claims to be huge (a
// decompression bomb) is refused instead of filling the worker's memory.
const (
	maxPreviewFile   = 64 << 20
	maxPreviewPixels = 40 << 20
	maxPreviewSide   = 1 << 15
)

// preview answers a JPEG of Path scaled to fit the requested size; images
// smaller than that keep their size. Anything but PNG, JPEG or GIF, and
// any image over the bounds, is a bad request.
func (c *webCall) preview() error {
	side, ok := previewSides[c.req.Format]
	if !ok {
		return fmt.Errorf("preview size %q: %w", c.req.Format, errWebBadRequest)
	}
	p, f, fi, err := c.openRegular()
	if err != nil {
		return err
	}
	defer f.Close()
	if fi.Size() > maxPreviewFile {
		return fmt.Errorf("%s: not a previewable file: %w", p.abs, errWebBadRequest)
	}
	br := bufio.NewReader(io.LimitReader(f, maxPreviewFile))
	head, _ := br.Peek(64 << 10)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		return fmt.Errorf("%s: not an image: %w", p.abs, errWebBadRequest)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPreviewSide || cfg.Height > maxPreviewSide ||
		int64(cfg.Width)*int64(cfg.Height) > maxPreviewPixels {
		return fmt.Errorf("%s: %dx%d is too large to preview: %w", p.abs, cfg.Width, cfg.Height, errWebBadRequest)
	}
	src, _, err := image.Decode(br)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", p.abs, errWebBadRequest, err)
	}
	out := scaleToFit(src, side)
	if err := c.reply(webproto.WebReply{ModTime: fi.ModTime()}); err != nil {
		return nil
	}
	w := bufio.NewWriterSize(c.conn, 64<<10)
	_ = jpeg.Encode(w, out, &jpeg.Options{Quality: 82})
	_ = w.Flush()
	return nil
}

// scaleToFit shrinks src so its longest side is at most side, averaging
// the source pixels each output pixel covers; transparency becomes white.
func scaleToFit(src image.Image, side int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/b.Dx())
		} else {
			w, h = max(1, w*side/b.Dy()), side
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for y := range h {
		y0, y1 := b.Min.Y+y*b.Dy()/h, b.Min.Y+max((y+1)*b.Dy()/h, y*b.Dy()/h+1)
		for x := range w {
			x0, x1 := b.Min.X+x*b.Dx()/w, b.Min.X+max((x+1)*b.Dx()/w, x*b.Dx()/w+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					r, g, bl, a, n = r+uint64(cr), g+uint64(cg), bl+uint64(cb), a+uint64(ca), n+1
				}
			}
			// Premultiplied colour over white: c + (1-alpha)*white.
			white := (n*0xffff - a)
			out.Set(x, y, color.RGBA64{R: uint16((r + white) / n), G: uint16((g + white) / n), B: uint16((bl + white) / n), A: 0xffff})
		}
	}
	return out
}
