package webproto

import (
	"path"
	"strings"
)

// Filebrowser's "type" of a file decides how its UI shows it. Filebrowser
// sniffs 512 bytes of every file for it, which makes big listings slow;
// webfs decides by the extension alone (DESIGN: listings open no file).

// webTypeByExt maps lower-case extensions to Filebrowser types.
var webTypeByExt = func() map[string]string {
	m := map[string]string{".pdf": "pdf"}
	for _, e := range strings.Fields(".mp4 .webm .mkv .mov .avi .m4v .ogv .mpg .mpeg .wmv .flv .3gp") {
		m[e] = "video"
	}
	for _, e := range strings.Fields(".mp3 .wav .flac .ogg .oga .m4a .aac .opus .wma .mid .midi") {
		m[e] = "audio"
	}
	for _, e := range strings.Fields(".jpg .jpeg .png .gif .bmp .webp .svg .ico .tif .tiff .avif .heic") {
		m[e] = "image"
	}
	for _, e := range strings.Fields(`.txt .md .markdown .rst .csv .tsv .log .json .jsonl .ndjson .yaml .yml
		.toml .ini .cfg .conf .env .xml .html .htm .css .scss .js .mjs .ts .tsx .jsx .vue .go .py .ipynb .r
		.rb .pl .php .java .kt .scala .c .h .cc .cpp .hpp .cxx .cu .cuh .rs .swift .m .jl .lua .sh .bash
		.zsh .fish .ps1 .bat .sql .tex .bib .proto .gradle .mk .cmake .dockerfile .gitignore .patch .diff
		.srt .vtt .properties .lock .sum .mod`) {
		m[e] = "text"
	}
	return m
}()

// webTextNames are extension-less file names that are text.
var webTextNames = map[string]bool{
	"Makefile": true, "Dockerfile": true, "README": true, "LICENSE": true, "NOTICE": true,
	"AUTHORS": true, "CHANGELOG": true, "Vagrantfile": true, "Gemfile": true, "Procfile": true,
}

// webMIME maps types and some extensions to a Content-Type for inline views.
var webMIME = map[string]string{
	".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml", ".bmp": "image/bmp",
	".ico": "image/x-icon", ".avif": "image/avif", ".mp4": "video/mp4", ".webm": "video/webm",
	".ogv": "video/ogg", ".mov": "video/quicktime", ".mkv": "video/x-matroska", ".mp3": "audio/mpeg",
	".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg",
	".m4a": "audio/mp4", ".opus": "audio/opus", ".json": "application/json",
}

// WebFileType returns the Filebrowser type of a file name.
func WebFileType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := webTypeByExt[ext]; ok {
		return t
	}
	if webTextNames[name] || (ext == "" && strings.HasPrefix(name, ".")) {
		return "text" // dotfiles such as .bashrc
	}
	return "blob"
}

// WebContentType returns the Content-Type to serve a file inline with.
func WebContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := webMIME[ext]; ok {
		return t
	}
	if WebFileType(name) == "text" {
		// Never text/html or the like: inline content is shown, not run.
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
