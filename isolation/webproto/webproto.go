package webproto

import "time"

// DataPipeSize is the pipe buffer of a raw read (the kernel's default
// pipe-max-size is 1 MiB); the worker splices up to this much at a time.
const DataPipeSize = 1 << 20

// MaxStripes is the most parts a striped tus upload may have (the
// Upload-Stripes extension): webfs refuses more, and so does the worker.
const MaxStripes = 16

// Web operations (WebRequest.Op).
const (
	WebStat      = "stat"      // Reply only: size, mtime, isDir of Path
	WebInfo      = "info"      // Filebrowser resource JSON: a listing or a file's info
	WebRead      = "read"      // raw bytes [Offset, Offset+Length) of a file
	WebWrite     = "write"     // body becomes Path (staged aside, renamed into place)
	WebMkdir     = "mkdir"     // mkdir -p Path
	WebDelete    = "delete"    // rm -r Path
	WebCopy      = "copy"      // copy Path to Dest
	WebMove      = "move"      // move Path to Dest
	WebRecursive = "recursive" // JSON array of every entry below Path
	WebSearch    = "search"    // NDJSON of entries below Path matching Query
	WebUsage     = "usage"     // {"total","used"} of Path's filesystem
	WebArchive   = "archive"   // Path (or Files within it) as Format
	WebPreview   = "preview"   // a JPEG of image Path, Format "thumb" or "big"
	WebTusCreate = "tus-create"
	WebTusHead   = "tus-head"
	WebTusPatch  = "tus-patch"
	WebTusDelete = "tus-delete"
)

// WebRequest is one file operation done inside the worker. Paths are
// session paths ("/<mount>/..."), resolved only inside the worker.
type WebRequest struct {
	Op       string   `json:"op"`
	Path     string   `json:"path"`
	Dest     string   `json:"dest,omitempty"`
	Offset   int64    `json:"offset,omitempty"`
	Length   int64    `json:"length,omitempty"`
	Override bool     `json:"override,omitempty"`
	Existing bool     `json:"existing,omitempty"` // write: the file must exist (PUT)
	Rename   bool     `json:"rename,omitempty"`   // copy/move: pick "name(N).ext" when Dest exists
	Checksum string   `json:"checksum,omitempty"` // info: md5, sha1, sha256 or sha512
	Content  bool     `json:"content,omitempty"`  // info: include a text file's content
	Query    string   `json:"query,omitempty"`    // search
	Files    []string `json:"files,omitempty"`    // archive: entries relative to Path
	Format   string   `json:"format,omitempty"`   // archive: zip, tar or targz; preview: thumb or big
	MaxAge   int64    `json:"maxAge,omitempty"`   // tus-create: seconds after which idle uploads are swept
	Stripes  int      `json:"stripes,omitempty"`  // tus-create: parts of the file sent side by side (0 or 1: one)
	Sort     string   `json:"sort,omitempty"`     // info of a folder: "name" (also empty), "size" or "modified"
	Asc      bool     `json:"asc,omitempty"`      // info of a folder: Filebrowser's sorting.asc (for names, true is Z→A)
}

// WebReply is the worker's answer line. Status is an HTTP status code.
type WebReply struct {
	Status  int       `json:"status"`
	Error   string    `json:"error,omitempty"`
	Size    int64     `json:"size,omitempty"`
	ModTime time.Time `json:"mtime"`
	IsDir   bool      `json:"isDir,omitempty"`
	Offset  int64     `json:"offset,omitempty"`  // tus: bytes received so far
	Length  int64     `json:"length,omitempty"`  // tus: Upload-Length
	Stripes []int64   `json:"stripes,omitempty"` // tus: a striped upload's offset reached in each stripe
	Path    string    `json:"path,omitempty"`    // copy/move: where it landed
}
