package web

import (
	"compress/gzip"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/dsnet/compress/bzip2"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

// tarCompressors are the compressed tar formats of Filebrowser's download
// prompt (?algo=), each streaming at a fast setting: a download should
// start at once and keep the line busy, not squeeze out the last byte.
var tarCompressors = map[string]func(io.Writer) (io.WriteCloser, error){
	"targz": func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestSpeed) },
	"tarbz2": func(w io.Writer) (io.WriteCloser, error) {
		return bzip2.NewWriter(w, &bzip2.WriterConfig{Level: bzip2.BestSpeed})
	},
	"tarxz":  func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) },
	"tarlz4": func(w io.Writer) (io.WriteCloser, error) { return lz4.NewWriter(w), nil },
	// Snappy's framing format, as Filebrowser's "tarsz" writes it.
	"tarsz": func(w io.Writer) (io.WriteCloser, error) { return snappy.NewBufferedWriter(w), nil },
	"tarbr": func(w io.Writer) (io.WriteCloser, error) { return brotli.NewWriterLevel(w, 2), nil },
	"tarzst": func(w io.Writer) (io.WriteCloser, error) {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	},
}
